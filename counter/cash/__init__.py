"""The cash office: shifts and the drawer's cash, counts and movements, X and Z reports."""
