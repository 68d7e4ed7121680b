"""``counter diagnose``: one zip for support, without the store's secrets or customers.

    counter diagnose [--out FILE] [--with-customer-data] [--no-probe] --data-dir DIR

The zip holds the logs, the versions of Counter and what it runs on, the settings, each
device's address and (unless ``--no-probe``) whether it answers, what ``counter journal
verify`` and ``counter sync status`` say, and the rows per table of the store. It never
holds the store file, its key (``secret.key``) or HQ's token (``hq.token``). Every file in it
is redacted (counter/trust/redaction.py: card data, PINs, passwords, tokens, e-mail
addresses, phone numbers), and the store's own customers' names, phones, e-mail addresses,
street lines and desk notes are taken out wherever they appear, unless
``--with-customer-data``, which adds ``customers.json`` and leaves them in. docs/support.md.

Exit codes: 0 when the zip was written (whatever it says about the store: read its
``journal_verify.txt``), 1 when it could not be (the line says why and what to do), 130 when
stopped with Ctrl+C (nothing written).
Runs on the main thread; each device probe on a short-lived daemon thread of its own,
waited for at most ``PROBE_SECONDS``, so a device that hangs never holds the command.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import platform
import sqlite3
import sys
import threading
import zipfile
from collections.abc import Callable
from dataclasses import fields
from datetime import UTC, datetime
from functools import partial
from importlib import metadata
from pathlib import Path

from app.config import Settings, default_config_file, load_settings
from app.device_checks import KINDS, SETTING, CheckResult, check, check_drawer, check_printer, is_none, problem_text
from app.logs import log_files, log_folder
from counter.errors import CounterError
from counter.i18n import N_, SOURCE_LANGUAGE, _, use_language
from counter.trust.redaction import CustomerScrubber, redact
from db.audit_copy import audit_folder
from db.engine import DB_FILENAME, Database, open_database, script_head

log = logging.getLogger(__name__)

PROBE_SECONDS = 15.0
#: The versions worth knowing besides Counter's own and Python's (distribution names).
DISTRIBUTIONS = (
    "PySide6-Essentials",
    "SQLAlchemy",
    "alembic",
    "python-escpos",
    "pyserial",
    "httpx",
    "platformdirs",
    "reportlab",
    "argon2-cffi",
    "fastapi",
    "uvicorn",
    "psycopg",
)
#: What each file of the bundle is, in the order README.txt and the terminal list them (the
#: bundle is for support, in English; the terminal shows them with ``_()``).
CONTENTS = {
    "README.txt": N_("what this bundle is and what was left out"),
    "versions.txt": N_("Counter, Python, Qt, SQLAlchemy and the OS; the store's schema revision"),
    "settings.txt": N_("the settings in use (counter.toml), secrets removed"),
    "devices.txt": N_("printer, drawer, scanner, display and card terminal: address and state"),
    "journal_verify.txt": N_("what `counter journal verify` says of the store"),
    "sync_status.txt": N_("what `counter sync status` says: backlog, last acknowledged entry"),
    "store_counts.txt": N_("rows per table of the store"),
    "customers.json": N_("the customers' details (asked for with --with-customer-data)"),
}
LOG_FILE = N_("a log file, redacted")


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "diagnose", parents=[common], help="write a zip for support: logs, versions, devices, verify, sync, counts"
    )
    p.add_argument(
        "--out", type=Path, default=None, help="the zip to write (default: counter-diagnose-TIME.zip in this folder)"
    )
    p.add_argument(
        "--with-customer-data",
        action="store_true",
        help="leave the customers' names, phones, e-mails, addresses and notes in (only when support asks)",
    )
    p.add_argument("--no-probe", action="store_true", help="do not ask the devices their state (a busy lane)")


class BundleRefused(CounterError):
    """The zip cannot be written where it was asked for."""


def run(args: argparse.Namespace, data_dir: Path) -> int:
    now = datetime.now(UTC)
    out: Path = args.out or Path.cwd() / f"counter-diagnose-{now:%Y%m%d-%H%M%S}.zip"
    part = _claim(out)  # before the minutes a verify may take: a wrong --out is said at once
    try:
        with use_language(SOURCE_LANGUAGE):  # the bundle's files are read by support, in English
            files = gather(data_dir, now, with_customers=args.with_customer_data, probe=not args.no_probe)
        _write_zip(part, files)
        os.replace(part, out)
    except OSError as exc:
        raise BundleRefused(
            _("Cannot write {file} ({reason}).").format(file=out, reason=exc.strerror or exc), _("Give another --out.")
        ) from None
    except KeyboardInterrupt:
        print(_("counter diagnose: stopped; nothing was written."), file=sys.stderr)
        return 130
    finally:
        part.unlink(missing_ok=True)
    print(_("Wrote {file}").format(file=out))
    for name in files:
        print(f"  {name}: {_(CONTENTS.get(name, LOG_FILE))}")
    verdict = files["journal_verify.txt"].partition("\n")[0]
    if verdict != "RESULT: OK":
        print(_("The store did not verify; journal_verify.txt says why ({verdict}).").format(verdict=verdict))
    if not args.with_customer_data:
        print(_("Customer details were left out (--with-customer-data puts them in, only when support asks)."))
    return 0


def _claim(out: Path) -> Path:
    """The temporary file the zip is written to beside ``out`` (renamed at the end, so a
    half-written zip never has the name); BundleRefused saying what is wrong with ``out``."""
    folder = out.parent
    if out.is_dir():
        raise BundleRefused(
            _("{file} is a folder.").format(file=out),
            _("Give a file name, e.g. --out {example}.").format(example=out / "counter-diagnose.zip"),
        )
    if not folder.is_dir():
        raise BundleRefused(
            _("The folder {folder} does not exist.").format(folder=folder), _("Create it, or give another --out.")
        )
    part = out.with_name(f".{out.name}.part")
    try:  # the owner's only: it names staff, and with --with-customer-data holds customers
        os.close(os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    except OSError as exc:
        raise BundleRefused(
            _("Cannot write in {folder} ({reason}).").format(folder=folder, reason=exc.strerror or exc),
            _("Give --out a file in a folder you can write to."),
        ) from None
    return part


def _write_zip(path: Path, files: dict[str, str]) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, body in files.items():
            zf.writestr(name, body)


def gather(data_dir: Path, now: datetime, *, with_customers: bool, probe: bool) -> dict[str, str]:
    """The bundle's files by name, each redacted (and scrubbed of customers unless
    ``with_customers``). A part that cannot be read says so in its file; the rest is kept."""
    settings = load_settings(data_dir)
    sections: dict[str, str] = {
        "versions.txt": _section(lambda: _versions(data_dir)),
        "settings.txt": _section(lambda: _settings(data_dir, settings)),
        "devices.txt": _section(lambda: _devices(settings, probe)),
    }
    texts: list[str] = []
    phones: list[str] = []
    customers: str | None = None
    looked_up = False
    folders = contextlib.ExitStack()
    try:
        # a store an older Counter wrote is read through an upgraded copy: diagnosing never upgrades it
        folder, _older = folders.enter_context(audit_folder(data_dir))
        db: Database | None = open_database(folder, create=False, audit=True)
    except CounterError as exc:
        db = None
        why = f"The store could not be opened: {problem_text(exc)}\n"
        sections.update({"journal_verify.txt": why, "sync_status.txt": why, "store_counts.txt": why})
    if db is not None:
        try:
            sections["journal_verify.txt"] = _section(lambda: _verify(db))
            sections["sync_status.txt"] = _section(lambda: _sync(db))
            sections["store_counts.txt"] = _section(lambda: _counts(db))
            from db.diagnostics import customer_records, customer_texts

            try:
                texts, phones = customer_texts(db.read)
                looked_up = True
            except Exception:  # a damaged table: the bundle says its customers could not be taken out
                log.exception("counter diagnose could not read the store's customers")
            if with_customers:
                customers = _section(
                    lambda: json.dumps(customer_records(db.read), indent=1, ensure_ascii=False, default=str)
                )
        finally:
            db.dispose()
    folders.close()
    scrub = (lambda t: t) if with_customers else CustomerScrubber(texts, phones).scrub
    files = {"README.txt": scrub(redact(_readme(data_dir, now, with_customers, looked_up)))}
    files.update({name: scrub(redact(body)) for name, body in sections.items()})
    if customers is not None:
        files["customers.json"] = customers  # asked for: as the store has them
    files.update(_logs(data_dir, scrub))
    return files


def _section(make: Callable[[], str]) -> str:
    """One file's text, or what went wrong making it (the details go to the log)."""
    try:
        return make()
    except Exception as exc:  # a part that fails must not lose the others: support needs them most then
        log.exception("counter diagnose could not make a part of the bundle")
        return f"This part could not be made: {type(exc).__name__}: {exc}\n"


def _logs(data_dir: Path, scrub: Callable[[str], str]) -> dict[str, str]:
    out = {}
    for path in log_files(data_dir):
        name = f"logs/{path.name}" if path.parent == log_folder(data_dir) else f"logs/old-{path.name}"
        try:
            raw = path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raw = f"{path} could not be read: {exc.strerror}\n"
        out[name] = scrub(redact(raw))  # again: an old log, or a line written before a rule existed
    return out


def _readme(data_dir: Path, now: datetime, with_customers: bool, looked_up: bool) -> str:
    lines = [
        "Counter support bundle (counter diagnose)",
        f"Made {now:%Y-%m-%d %H:%M:%S} UTC from the data folder {data_dir}.",
        "",
        "Never in it: the store file, its installation key (secret.key), HQ's token (hq.token).",
        "Redacted in every file: card numbers (last 4 digits kept), card swipes, PINs, passwords,",
        "tokens, enrolment codes, e-mail addresses and phone numbers.",
    ]
    if with_customers:
        lines.append("Customer details: INCLUDED (--with-customer-data): customers.json, and as they appear elsewhere.")
    elif looked_up:
        lines.append("Customer details: left out (names, phones, e-mails, street lines and desk notes of the store's")
        lines.append("customers are replaced by [customer] wherever they appeared).")
    else:
        lines.append("Customer details: the store's customers could not be read, so their names could not be taken")
        lines.append("out; e-mail addresses and phone numbers are redacted all the same.")
    lines += ["", "Files:"]
    lines += [f"  {name}: {what}" for name, what in CONTENTS.items() if name != "customers.json" or with_customers]
    lines.append("  logs/: the log files, newest first (counter.log, counter.log.1, ...), redacted again")
    return "\n".join(lines) + "\n"


def _versions(data_dir: Path) -> str:
    lines = [
        f"Counter {_version('counter-pos')}",
        f"Python {sys.version.split()[0]} ({platform.python_implementation()}, {sys.executable})",
        f"OS {platform.platform()} ({platform.machine()})",
        f"SQLite {sqlite3.sqlite_version}",
    ]
    try:
        from PySide6 import QtCore

        lines.append(f"Qt {QtCore.qVersion()}")
    except ImportError as exc:
        lines.append(f"Qt not available ({exc})")
    lines += [f"{name} {_version(name)}" for name in DISTRIBUTIONS]
    from db.diagnostics import schema_revision

    store = data_dir / DB_FILENAME
    revision = schema_revision(store) if store.exists() else None
    lines.append(f"store schema revision {revision or '(no store)'}; this Counter's newest {script_head()}")
    return "\n".join(lines) + "\n"


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "(not installed)"


def _settings(data_dir: Path, settings: Settings) -> str:
    read = next((p for p in (data_dir / "counter.toml", default_config_file()) if p.exists()), None)
    lines = [f"# read from {read}" if read else "# no counter.toml: the defaults"]
    lines += [f"{f.name} = {getattr(settings, f.name)!r}" for f in fields(Settings) if f.name != "problems"]
    lines += [f"# problem: {p}" for p in settings.problems]
    return "\n".join(lines) + "\n"


def _devices(settings: Settings, probe: bool) -> str:
    lines = []
    for kind in KINDS:
        url: str = getattr(settings, SETTING[kind])
        if is_none(url):
            wedge = kind == "scanner" and settings.wedge
            lines.append(f"{kind}: {'keyboard wedge (no set-up)' if wedge else 'none'}")
            continue
        if not probe:
            state = "not probed (--no-probe)"
        elif kind in ("scanner", "display", "terminal") and not url.startswith("sim://"):
            # a probe reads the scanner's port (a scan could go to it instead of the app),
            # writes to the display the customer is looking at, or opens a second connection
            # to the card terminal the lane may be taking a payment on: not without a person
            state = f"not probed (check it with: counter devices test {url} --kind {kind})"
        else:
            result = _probe(partial(_check, kind, url, settings))
            state = f"{'OK' if result.ok else 'FAILED'}: {result.text}"
        lines.append(f"{kind}: {url}\n  {state}")
    return "\n".join(lines) + "\n"


def _check(kind: str, url: str, settings: Settings) -> CheckResult:
    """Ask one device its state (runs on the probe's thread). A drawer's switch is read,
    the drawer never opened; a printer is asked its status, nothing printed."""
    from devices.escpos.encoder import PrinterProfile

    profile = PrinterProfile(columns=settings.printer_columns, codepage=settings.printer_codepage)
    if kind == "printer":
        return check_printer(url, profile)
    if kind == "drawer":
        return check_drawer(url, printer_url=settings.printer, profile=profile)
    return check(url, kind, printer_url=settings.printer, profile=profile)


def _probe(ask: Callable[[], CheckResult]) -> CheckResult:
    """``ask`` on a daemon thread of its own, waited for at most ``PROBE_SECONDS``."""
    box: list[CheckResult] = []

    def work() -> None:  # the probe's own thread
        try:
            box.append(ask())
        except CounterError as exc:
            box.append(CheckResult(False, problem_text(exc)))

    thread = threading.Thread(target=work, name="diagnose-probe", daemon=True)
    thread.start()
    thread.join(PROBE_SECONDS)
    return box[0] if box else CheckResult(False, f"no answer within {PROBE_SECONDS:.0f} s")


def _verify(db: Database) -> str:
    from cli.journal import verify_report

    ok, lines = verify_report(db)
    return "\n".join([f"RESULT: {'OK' if ok else 'BAD'}", *lines]) + "\n"


def _sync(db: Database) -> str:
    from cli.sync import status_lines
    from db.sync import Syncer, sync_config

    try:
        config = sync_config(db.read)
    except CounterError as exc:
        return f"{problem_text(exc)}\n"
    if config is None:
        return "Not enrolled with HQ: this terminal works on its own.\n"
    client = config.client()
    try:
        return "\n".join(status_lines(Syncer(db.write, db.read, client, config))) + "\n"
    finally:
        client.close()


def _counts(db: Database) -> str:
    from db.diagnostics import row_counts

    counts = row_counts(db.read)
    width = max((len(name) for name in counts), default=0)
    return "\n".join(f"{name:<{width}}  {n}" for name, n in counts.items()) + "\n"
