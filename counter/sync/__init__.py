"""The lane's side of HQ: the upstream port, reservations of returns and the offline rules."""
