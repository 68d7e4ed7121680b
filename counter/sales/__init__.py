"""Selling: the cart and its prices, checkout and tenders, store-credit vouchers, and the
commands on a committed sale (void, reprint)."""
