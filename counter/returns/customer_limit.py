"""The no-receipt limit across lanes: how much one customer (one ID document) has been
refunded without a receipt within the store's window, as far as this lane can know.

Two sources, neither complete alone:

* **HQ** (``ChainNoReceipt``, asked in the HQ phase of the return, no transaction open):
  every lane and store of the chain, the returns HQ received and those it holds for a lane
  that has not pushed them yet, with the ids of the returns it counted;
* **this store file**: this lane's own returns, including those HQ does not know yet
  (taken offline and not pushed).

The customer's total is HQ's total plus this lane's returns that HQ did not count, and never
less than this lane's own total. A plain "larger of the two" would miss a return this lane
took offline when another lane's return is at HQ; a plain sum would count twice each return
of this lane HQ already holds. Without HQ (offline, or no HQ set up) it is this lane's own
total, and the offline caps bound the rest (``counter.sync.upstream.check_offline_return``).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from counter.money import ZERO, Currency
from counter.returns.policy import ReturnRules
from counter.sync.upstream import ChainNoReceipt
from counter.trust.entry_fields import MAX_MINOR

#: The longest window HQ judges (a hundred years): a longer setting is taken as this.
MAX_WINDOW_DAYS = 36_500


def customer_total(local: Mapping[str, Decimal], chain: ChainNoReceipt | None, currency: Currency) -> Decimal:
    """The customer's no-receipt refunds within the window: ``local`` is this lane's, by
    return id; ``chain`` is HQ's answer (None: HQ was not asked)."""
    own = sum(local.values(), ZERO)
    if chain is None:
        return own
    unknown_to_hq = sum((amount for return_id, amount in local.items() if return_id not in chain.counted), ZERO)
    return max(own, currency.from_minor(chain.total_minor) + unknown_to_hq)


def limit_note(rules: ReturnRules, before: Decimal, currency: Currency) -> dict[str, Any]:
    """What a no-receipt return's journal entry states about the limit it was taken under:
    the store's limit and window, and the customer's total the lane counted before it. HQ
    judges the chain-wide total against this limit when the return arrives (hq/no_receipt.py)."""
    return {
        "limit": min(currency.to_minor(rules.no_receipt_customer_limit), MAX_MINOR - 1),
        "window_days": window_days(rules),
        "before": min(currency.to_minor(before), MAX_MINOR - 1),
    }


def window_days(rules: ReturnRules) -> int:
    """The store's window as HQ is told it (0 .. ``MAX_WINDOW_DAYS``)."""
    return max(0, min(rules.no_receipt_window_days, MAX_WINDOW_DAYS))
