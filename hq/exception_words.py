"""An exception HQ flagged, in one line a person can act on: for ``counter hq report``
(hq/cli.py) and the back office's exception page (hq/office/exception_pages.py)."""

from __future__ import annotations

from typing import Any

from counter.i18n import _


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
        return _(
            "voucher {voucher} overdrawn: {amount} redeemed by {where} at {lane} "
            "({redeemed} redeemed of {issued} issued; issued by {issued_by}; lanes {lanes})"
        ).format(
            voucher=x["sale_line_id"], amount=money, where=where, lane=f"{x['store_id']}-{x['terminal_id']}",
            redeemed=x["returned"], issued=x["sold"], issued_by=x.get("return_numbers") or "?",
            lanes=x.get("lanes") or "?",
        )  # fmt: skip
    if x["kind"] == "no_receipt_limit":  # hq/no_receipt.py: sold holds the limit, returned the total
        key = str(x.get("customer_key") or "?")
        return _(
            "no-receipt returns of customer ID key {key}… over the limit: {refunded} refunded "
            "by {returns} at {lanes} (limit {limit}); the last, at {lane}, refunded {amount}"
        ).format(
            key=key[:12], refunded=f"{x['returned'] / 100:,.2f}", returns=x.get("return_numbers"), lanes=x.get("lanes"),
            limit=f"{x['sold'] / 100:,.2f}", lane=f"{x['store_id']}-{x['terminal_id']}", amount=money,
        )  # fmt: skip
    if x.get("receipt_number"):
        return _(
            "over-return on receipt {receipt}: {item} ({sku}), {returned} returned of {sold} sold "
            "by {returns} at {lanes}; the last refunded {amount}"
        ).format(
            receipt=x["receipt_number"], item=x.get("item_name"), sku=x.get("sku"), returned=x["returned"],
            sold=x["sold"], returns=x.get("return_numbers"), lanes=x.get("lanes"), amount=money,
        )  # fmt: skip
    # flagged before migration 0005; the detail is stored text, shown as it is
    return _("sale {sale} line {line}: return {return_id} at {lane}: {detail}").format(
        sale=x["sale_id"], line=x["sale_line_id"], return_id=x["return_id"], lane=f"{x['store_id']}-{x['terminal_id']}",
        detail=x["detail"],
    )  # fmt: skip
