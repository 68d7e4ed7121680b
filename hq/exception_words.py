"""An exception HQ flagged, in one line a person can act on: for ``counter hq report``
(hq/cli.py) and the back office's exception page (hq/office/exception_pages.py)."""

from __future__ import annotations

from typing import Any


def describe_exception(x: Any) -> str:
    """One line a person can act on: what happened, on which receipt and item, by which
    returns at which lanes, and the amount (minor units shown as 0.00)."""
    amount = x.get("amount_minor")
    money = f"{amount / 100:,.2f}" if amount is not None else "?"
    from hq import desk_exceptions

    if x["kind"] in desk_exceptions.KINDS:  # hq/desk_exceptions.py: two lanes' offline desk work
        return desk_exceptions.describe(x)
    if x["kind"] == "voucher_overdrawn":  # hq/people.py: sale_line_id holds the voucher code
        where = x.get("receipt_number") or x["sale_id"]
        return (
            f"voucher {x['sale_line_id']} overdrawn: {money} redeemed by {where} at {x['store_id']}-{x['terminal_id']} "
            f"({x['returned']} redeemed of {x['sold']} issued; issued by {x.get('return_numbers') or '?'}; "
            f"lanes {x.get('lanes') or '?'})"
        )
    if x["kind"] == "no_receipt_limit":  # hq/no_receipt.py: sold holds the limit, returned the total
        key = str(x.get("customer_key") or "?")
        return (
            f"no-receipt returns of customer ID key {key[:12]}… over the limit: {x['returned'] / 100:,.2f} refunded "
            f"by {x.get('return_numbers')} at {x.get('lanes')} (limit {x['sold'] / 100:,.2f}); "
            f"the last, at {x['store_id']}-{x['terminal_id']}, refunded {money}"
        )
    if x.get("receipt_number"):
        return (
            f"over-return on receipt {x['receipt_number']}: {x.get('item_name')} ({x.get('sku')}), "
            f"{x['returned']} returned of {x['sold']} sold by {x.get('return_numbers')} at {x.get('lanes')}; "
            f"the last refunded {money}"
        )
    where = f"return {x['return_id']} at {x['store_id']}-{x['terminal_id']}"  # flagged before migration 0005
    return f"sale {x['sale_id']} line {x['sale_line_id']}: {where}: {x['detail']}"
