"""Documents of a recorded return: the thermal return receipt and the credit-note PDF,
saved in the store's ``documents`` folder for e-mailing or printing on A4."""

from __future__ import annotations

from pathlib import Path

from counter.documents import Receipt
from counter.return_receipt import return_receipt
from devices.pdf import render_pdf
from ui.context import AppContext

__all__ = ["documents_dir", "return_receipt", "save_credit_note"]


def documents_dir(ctx: AppContext) -> Path:
    folder = ctx.data_dir / "documents"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save_credit_note(ctx: AppContext, receipt: Receipt) -> Path:
    path = documents_dir(ctx) / f"credit-note-{receipt.receipt_number}.pdf"
    path.write_bytes(render_pdf(receipt))
    return path
