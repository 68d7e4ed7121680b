"""``counter sync ...`` (a terminal and its HQ) and ``counter hq seed-demo``.

counter sync enrol --hq URL --code CODE [--hq-fingerprint SHA256 | --ca-file F] --data-dir DIR
                                                         enrol this store file's lane (https: HQ's certificate pinned)
counter sync now --data-dir DIR                          push the journal and pull changes once
counter sync status --data-dir DIR                       what is waiting, and where HQ is
counter hq seed-demo [--database-url URL]                load the demo chain's catalog and staff into HQ
"""

from __future__ import annotations

import argparse
import csv
import sys
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from counter.errors import CounterError
from counter.i18n import _
from counter.sync.upstream import UpstreamUnavailable

if TYPE_CHECKING:
    from db.sync import Syncer


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    sync = sub.add_parser("sync", help="this terminal and HQ")
    ssub = sync.add_subparsers(dest="sync_command", required=True)
    p = ssub.add_parser("enrol", parents=[common], help="enrol this terminal with HQ using a one-time code")
    p.add_argument("--hq", required=True, help="HQ's address, e.g. https://hq.example:8765")
    p.add_argument("--code", required=True, help="the code printed by `counter hq enrol-code`")
    p.add_argument(
        "--hq-fingerprint",
        default=None,
        help="SHA-256 of HQ's certificate, as `counter hq serve` printed it: pinned for every later connection",
    )
    p.add_argument("--ca-file", default=None, help="instead of a fingerprint: the CA that signed HQ's certificate")
    ssub.add_parser("now", parents=[common], help="push the journal and pull changes once")
    ssub.add_parser("status", parents=[common], help="show what is waiting to be sent")


def run(args: argparse.Namespace, data_dir: Path) -> int:
    from db.engine import open_database
    from db.hq_client import HqRefused
    from db.sync import Syncer, enrol, sync_config

    db = open_database(data_dir, create=False)
    try:
        if args.sync_command == "enrol":
            try:
                config = enrol(db.write, args.hq, args.code, fingerprint=args.hq_fingerprint, ca_file=args.ca_file)
            except HqRefused as exc:
                print(_("counter sync: HQ refused: {problem}").format(problem=exc.message), file=sys.stderr)
                return 1
            except UpstreamUnavailable as exc:
                print(_("counter sync: {problem}").format(problem=exc.message), file=sys.stderr)
                return 1
            lane = f"{config.store}-{config.terminal}"
            if config.trust is not None:
                enrolled_text = _("Enrolled as {lane} with {hq}; trusting {trust}.").format(
                    lane=lane, hq=config.hq, trust=config.trust.describe()
                )
            else:
                enrolled_text = _("Enrolled as {lane} with {hq}.").format(lane=lane, hq=config.hq)
            print(enrolled_text)
            return 0
        enrolled = sync_config(db.read)
        if enrolled is None:
            raise CounterError(_("This terminal is not enrolled with HQ."), _("Run `counter sync enrol` first."))
        config = enrolled
        client = config.client()
        try:
            syncer = Syncer(db.write, db.read, client, config)
            if args.sync_command == "now":
                status = syncer.cycle()
                print(status.describe())
                return 0 if status.online and not status.problem else 1
            for line in status_lines(syncer):
                print(line)
            return 0
        finally:
            client.close()
    finally:
        db.dispose()


def status_lines(syncer: Syncer) -> list[str]:
    """What ``counter sync status`` says (also bundled by ``counter diagnose``); reads the
    store only, asks HQ nothing."""
    from db.diagnostics import entry_written_at

    config = syncer.config
    acked = syncer.acked_seq()
    head = _("{lane} at {hq}: {waiting} entries waiting, acknowledged up to {acked}, pull cursor {cursor}")
    lines = [
        head.format(
            lane=f"{config.store}-{config.terminal}",
            hq=config.hq,
            waiting=syncer.backlog(),
            acked=acked,
            cursor=syncer.cursor(),
        )
    ]
    written = entry_written_at(syncer.read, config.terminal, acked) if acked else None
    if written:
        lines.append("  " + _("last entry HQ acknowledged written at {time} (UTC)").format(time=written))
    else:
        lines.append("  " + _("HQ has acknowledged nothing yet"))
    for feed_id, tries, problem in syncer.desk_waiting():
        waiting = _("desk event {event} from another lane not applied ({tries} tries): {problem}")
        lines.append("  " + waiting.format(event=feed_id, tries=tries, problem=problem))
    return lines


def seed_demo(database_url: str | None) -> int:
    """Load the demo chain's tax classes, categories with policies, catalog (with the same
    item ids as the demo store) and staff (with their PIN verifiers) into HQ, through
    HQ's own command line (``hq.cli.seed_reference``)."""
    from counter.barcodes import canonical_gtin
    from counter.people.users import PinHasher
    from db.demo import DEMO_DIR, DEMO_USERS, TAX_CLASSES
    from hq.cli import seed_reference

    return seed_reference(
        database_url, demo_reference_data(PinHasher(), DEMO_DIR, DEMO_USERS, TAX_CLASSES, canonical_gtin)
    )


#: The demo chain's vendors (invented). A demo item's vendor follows the company prefix of its
#: barcode (resources/demo/make_catalog.py gives each product family a supplier's prefix, two
#: house-brand suppliers per category), so every variant of a family has one vendor; the
#: prefixes, in order, take the names in turn. Items sold by SKU only have none on file.
DEMO_VENDORS = (
    "Northwind Trading", "Bluebird Brands", "Cedar & Vine", "Brightline Supply", "Meridian Imports",
    "Lakeside Goods", "Copperfield & Co.", "Redwood Brands", "Silverline Wholesale", "Oakridge Partners",
    "Harbor Point Supply", "Kestrel Sourcing", "Maple Street Brands", "Pinecrest Distributors", "Sterling Row",
    "Tidewater Trading", "Union Hill Supply", "Westgate Brands", "Alder & Finch", "Granite Peak Goods",
)  # fmt: skip


def _company_prefix(digits: str) -> str:
    return digits[:3] if len(digits) == 8 else digits[:6] if len(digits) == 12 else digits[:7]


def demo_vendors(barcodes: list[str]) -> dict[str, str]:
    """Printed barcode -> its demo vendor (from the company prefix; a barcode-less item: none)."""
    prefixes = sorted({_company_prefix(b) for b in barcodes if b})
    name = {p: DEMO_VENDORS[n % len(DEMO_VENDORS)] for n, p in enumerate(prefixes)}
    return {b: name[_company_prefix(b)] for b in barcodes if b}


def demo_reference_data(hasher: Any, demo_dir: Path, users: Any, taxes: Any, gtin: Any) -> dict[str, Any]:
    with (demo_dir / "categories.csv").open(newline="", encoding="utf-8") as fh:
        cats = list(csv.DictReader(fh))
    with (demo_dir / "catalog.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    vendors = demo_vendors([r["barcode"] for r in rows])
    return {
        "tax_classes": [{"code": t.code, "label": t.label, "rate": str(t.rate)} for t in taxes],
        "categories": [
            {
                "id": c["id"],
                "name": c["name"],
                "tax_code": c["tax_code"],
                "return_days": int(c["return_days"]),
                "final_sale": c["final_sale"] == "true",
                "receipt_required": c["receipt_required"] == "true",
                "restocking_fee_percent": c["restocking_fee_percent"],
            }
            for c in cats
        ],
        "items": [
            {
                "id": f"item-{n:06d}",  # the demo store's ids (db/demo.py numbers rows alike)
                "sku": r["sku"],
                "barcode": gtin(r["barcode"]) if r["barcode"] else None,
                "name": r["name"],
                "category_id": r["category_id"],
                "price_minor": int(Decimal(r["price"]).scaleb(2)),
                "tax_code": r["tax_code"],
                "active": True,
                "vendor": vendors.get(r["barcode"]),
            }
            for n, r in enumerate(rows, start=1)
        ],
        "users": [
            {
                "id": u.id,
                "store_id": None,
                "name": u.name,
                "role": str(u.role),
                "pin_hash": hasher.hash(u.pin),
                "active": True,
            }
            for u in users
        ],
    }
