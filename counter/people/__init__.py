"""Staff: users and roles, PINs, the admin's commands, and the permission check with its
refusals on the record."""
