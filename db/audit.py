"""Auditing the local store: verify every chain against its sealed head, check that the
protective triggers are in place and that the sales and returns tables agree with the
journal, and export the journal for an auditor (JSON lines + a manifest).

What each check catches, and what none of them can, is in docs/trust.md. Reads only
(the read engine); never writes to the store it audits.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from counter.journal import JournalEntry, JournalHead, Verification, utc_stamp, verify_chain
from counter.store import TerminalIdentity
from db import schema as s
from db.derive import derive_and_compare
from db.guards import missing_triggers
from db.keys import InstallationSecret
from db.queries import journal_entries, read_settings

EXPORT_FORMAT = "counter-journal-export/1"


@dataclass(frozen=True)
class StoreAudit:
    chains: dict[str, Verification]
    missing_triggers: list[str]
    record_problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(v.ok for v in self.chains.values()) and not self.missing_triggers and not self.record_problems

    def lines(self) -> list[str]:
        out = [f"{terminal}: {v.describe()}" for terminal, v in sorted(self.chains.items())]
        if not self.chains:
            out.append("OK: the journal is empty")
        if self.missing_triggers:
            out.append(
                "BAD: protections removed (triggers dropped outside Counter): " + ", ".join(self.missing_triggers)
            )
        out += [f"BAD: records: {p}" for p in self.record_problems]
        return out


def heads(engine: Engine, secret: InstallationSecret | None) -> dict[str, JournalHead]:
    with engine.connect() as conn:
        rows = conn.execute(select(s.journal_head)).mappings().all()
    out = {}
    for r in rows:
        sealed = None
        if secret is not None:
            sealed = hmac.compare_digest(secret.head_seal(r["terminal_id"], r["seq"], r["hash"]), r["seal"])
        out[r["terminal_id"]] = JournalHead(r["seq"], r["hash"], sealed)
    return out


def terminals(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        found = {r[0] for r in conn.execute(select(s.journal.c.terminal_id).distinct())}
        found |= {r[0] for r in conn.execute(select(s.journal_head.c.terminal_id))}
    return sorted(found)


def audit_store(
    engine: Engine, secret: InstallationSecret | None, anchors: Mapping[str, Mapping[int, str]] | None = None
) -> StoreAudit:
    """Every terminal's chain against its head (and the ``anchors`` known from outside:
    terminal → {seq: hash}), the triggers, and the local terminal's records."""
    all_heads = heads(engine, secret)
    z_reach = z_report_reach(engine)
    chains = {}
    for t in sorted(set(terminals(engine)) | set(anchors or {}) | set(z_reach)):
        seals = _SealWatch(engine, t, secret)
        chain = verify_chain(seals.entries(), head=all_heads.get(t), anchors=(anchors or {}).get(t))
        if seals.first_bad is not None and (
            chain.ok or chain.first_bad_seq is None or seals.first_bad < chain.first_bad_seq
        ):
            chain = Verification(
                False,
                seals.first_bad - 1,
                seals.first_bad,
                "its seal does not match: written or rewritten outside Counter",
                chain.last_hash,
            )
        if chain.ok and z_reach.get(t, 0) > chain.checked:
            chain = Verification(
                False,
                chain.checked,
                chain.checked + 1,
                f"missing: Z report data shows the journal reached entry {z_reach[t]}; entries from here were removed",
                chain.last_hash,
            )
        chains[t] = chain
    with engine.connect() as conn:
        missing = missing_triggers(conn)
    return StoreAudit(chains, missing, record_problems(engine))


class _SealWatch:
    """Streams a terminal's entries and notes the first whose seal is missing or wrong
    (only with the installation key; without it seals cannot be checked)."""

    def __init__(self, engine: Engine, terminal: str, secret: InstallationSecret | None) -> None:
        self.engine, self.terminal, self.secret = engine, terminal, secret
        self.first_bad: int | None = None

    def entries(self) -> Iterator[JournalEntry]:
        stmt = select(s.journal).where(s.journal.c.terminal_id == self.terminal).order_by(s.journal.c.seq)
        with self.engine.connect() as conn:
            for r in conn.execution_options(yield_per=1000).execute(stmt).mappings():
                entry = JournalEntry(
                    r["terminal_id"], r["seq"], r["id"], r["type"], r["at"], r["body"], r["prev_hash"], r["hash"]
                )
                if self.secret is not None and self.first_bad is None:
                    expected = self.secret.seal(entry.terminal, entry.seq, entry.hash)
                    if not hmac.compare_digest(expected, r["seal"] or ""):
                        self.first_bad = entry.seq
                yield entry


def z_report_reach(engine: Engine) -> dict[str, int]:
    """How far each terminal's journal reached at its last Z report (the report's last
    entry, and its own ZReportTaken entry after it)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(s.z_reports.c.terminal_id, func.max(s.z_reports.c.last_seq)).group_by(s.z_reports.c.terminal_id)
        ).all()
    return {terminal: int(last) + 1 for terminal, last in rows if last is not None}


def record_problems(engine: Engine) -> list[str]:
    """Every derived table must be exactly what the journal's entries make of it
    (``db.derive``: every chain in the file, every row, every column), approvals must name
    an approver who held the right then, and receipt and return numbers must run without
    a gap up to the terminal's counter."""
    settings = read_settings(engine)
    try:
        store_id, terminal = settings["store"]["id"], settings["terminal"]["id"]
    except (KeyError, TypeError):
        return ["the store's settings (store and terminal) are missing"]
    problems = derive_and_compare(engine).lines()
    with engine.connect() as conn:
        ours = (s.sales.c.store_id == store_id) & (s.sales.c.terminal_id == terminal)
        receipts = [r[0] for r in conn.execute(select(s.sales.c.receipt_number).where(ours))]
        r_ours = (s.returns.c.store_id == store_id) & (s.returns.c.terminal_id == terminal)
        return_numbers = [r[0] for r in conn.execute(select(s.returns.c.return_number).where(r_ours))]
        problems += _numbering(conn, TerminalIdentity(store_id, terminal), receipts, return_numbers)
    return problems


def _numbering(conn: Connection, terminal: TerminalIdentity, receipts: list[str], returns: list[str]) -> list[str]:
    """Receipt and return numbers run 1, 2, 3... up to the terminal's counter: no gap,
    none used twice, none beyond the counter."""
    counters = dict(
        conn.execute(
            select(s.counters.c.name, s.counters.c.value).where(s.counters.c.terminal_id == terminal.terminal_id)
        ).all()
    )
    problems = []
    for series, numbers, make in (
        ("receipt", receipts, terminal.receipt_number),
        ("return", returns, lambda n: f"{terminal.code}-R{n:06d}"),
    ):
        top = int(counters.get(series, 0))
        expected = {make(n) for n in range(1, top + 1)}
        got = set(numbers)
        for number in sorted(expected - got)[:5]:
            problems.append(f"{series} number {number} is missing (a gap in the numbering)")
        for number in sorted(got - expected)[:5]:
            problems.append(f"{series} number {number} is beyond the terminal's counter ({top})")
    return problems


# --------------------------------------------------------------------------- export


def export_line(entry: JournalEntry) -> str:
    """One entry as a JSON line; ``body`` as an object (its canonical text is what the
    chain hashes, and scripts/verify_export.py re-derives it). A body that is not JSON
    any more (tampered) is exported as it is, as ``body_text``, for the auditor to see."""
    record: dict[str, Any] = {
        "terminal": entry.terminal,
        "seq": entry.seq,
        "id": entry.id,
        "type": entry.type,
        "at": entry.at,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }
    try:
        record["body"] = entry.body_data()
    except ValueError:
        record["body_text"] = entry.body
    return json.dumps(
        record,
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )


def manifest_path(out: Path) -> Path:
    return out.with_name(out.name + ".manifest.json")


def export_journal(engine: Engine, secret: InstallationSecret | None, out: Path) -> dict[str, Any]:
    """Write every terminal's journal to ``out`` (JSON lines, terminal then seq order) and
    ``out``.manifest.json; return the manifest. Both files are written to a temporary
    name and renamed, so a crash never leaves half an export under the real name."""
    audit = audit_store(engine, secret)
    settings = read_settings(engine)
    per_terminal: dict[str, dict[str, Any]] = {}
    digest = hashlib.sha256()
    total = 0
    tmp = out.with_name(out.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="\n") as fh:
        for terminal in terminals(engine):
            count, first, last = 0, None, None
            for entry in journal_entries(engine, terminal):
                line = (export_line(entry) + "\n").encode("utf-8")
                fh.write(line.decode("utf-8"))
                digest.update(line)
                count += 1
                first = entry.seq if first is None else first
                last = entry
            total += count
            per_terminal[terminal] = {
                "count": count,
                "first_seq": first,
                "last_seq": last.seq if last else 0,
                "last_hash": last.hash if last else None,
            }
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, out)
    manifest = {
        "format": EXPORT_FORMAT,
        "store": (settings.get("store") or {}).get("id"),
        "exported_at": utc_stamp(datetime.now(UTC)),
        "journal_file": out.name,
        "journal_sha256": digest.hexdigest(),
        "entries": total,
        "terminals": per_terminal,
        "store_verification": {"ok": audit.ok, "report": audit.lines()},
    }
    mpath = manifest_path(out)
    mtmp = mpath.with_name(mpath.name + ".tmp")
    mtmp.write_text(json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(mtmp, mpath)
    return manifest
