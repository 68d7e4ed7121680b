"""The screens of sign-in, staff, the idle lock and card guard, the start-up check, the manager's station."""
