"""Domain errors: every one says what happened and what to do next."""

from __future__ import annotations


class CounterError(Exception):
    """Base of every error a person at the counter may see.

    ``message`` says what happened, ``hint`` what to do about it. Both are written
    for a cashier, not a developer.
    """

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


class InvalidAmount(CounterError):
    """An amount that cannot be money in this store's currency."""


class InvalidQuantity(CounterError):
    """A quantity outside what a counter line accepts."""


class BarcodeError(CounterError):
    """A scanned or typed code that is not a valid barcode."""


class ItemNotFound(CounterError):
    """A valid code that no item in the catalog carries."""


class CartError(CounterError):
    """An operation on the cart that does not fit its state."""


class TenderError(CounterError):
    """A payment that cannot be taken as given."""


class SignInError(CounterError):
    """A sign-in that did not succeed."""


class StoreError(CounterError):
    """The store's data cannot be used (corrupt, locked, full disk, ...)."""
