"""The screens of the service desk: customers, cases, orders, accounts."""
