"""``counter devices ...``: the configured devices and quick checks, without the window.

    counter devices list [--data-dir DIR]              each configured device and its state
    counter devices test URL [--kind KIND]             open it, read its state, close it
    counter devices print-test URL [--data-dir DIR]    print the printer test page

A card terminal (kind ``terminal``: ``sim://terminal``, ``zvt+tcp://...``, ``zvt+serial://...``)
is asked its status and its own diagnosis, never a payment.

Exit codes: 0 when every device checked is fine, 1 when one is not (the line says why and
what to do), 2 when the address or the command is wrong. A check never opens a cash
drawer (openings are journaled by the app, with a person's name).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from app.config import Settings, load_settings
from app.device_checks import KINDS, SETTING, CheckResult, check, check_printer, is_none, kind_of, problem_text
from counter.errors import CounterError
from counter.i18n import _, pgettext
from devices.escpos.encoder import PrinterProfile

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    devices = sub.add_parser("devices", help="list and check the printer, drawer, scanner, display and card terminal")
    dsub = devices.add_subparsers(dest="devices_command", required=True)
    dsub.add_parser("list", parents=[common], help="the configured devices and their state")
    test = dsub.add_parser("test", parents=[common], help="open a device by URL, read its state, close it")
    test.add_argument(
        "url", help="e.g. escpos+tcp://192.168.1.50:9100, serial:///dev/ttyS0, zvt+tcp://10.0.0.7, sim://terminal"
    )
    test.add_argument("--kind", choices=KINDS, help="the kind of device, for serial:// addresses")
    pt = dsub.add_parser("print-test", parents=[common], help="print the printer test page")
    pt.add_argument("url", nargs="?", help="printer URL (default: the configured printer)")


def run(args: argparse.Namespace, data_dir: Path) -> int:
    _quiet_device_warnings()
    settings = load_settings(data_dir)
    for problem in settings.problems:
        print(_("counter: {problem}").format(problem=problem), file=sys.stderr)
    try:
        profile = PrinterProfile(columns=settings.printer_columns, codepage=settings.printer_codepage)
    except ValueError as exc:
        print(
            _(
                "counter: the printer settings are not valid ({reason}); fix printer_columns or printer_codepage."
            ).format(reason=exc)
        )
        return EXIT_USAGE
    if args.devices_command == "list":
        return _list(settings, profile)
    if args.devices_command == "test":
        return _test(args.url, args.kind, settings, profile)
    return _print_test(args.url or settings.printer, profile)


def _list(settings: Settings, profile: PrinterProfile) -> int:
    rows: list[tuple[str, str, CheckResult | None]] = []
    for kind in KINDS:
        url: str = getattr(settings, SETTING[kind])
        if is_none(url):
            if kind == "scanner" and settings.wedge:
                wedge = CheckResult(True, _("USB scanners in keyboard mode: no set-up."))
                rows.append((kind, _("keyboard wedge"), wedge))
            else:
                rows.append((kind, "none", None))
            continue
        try:
            checked: CheckResult | None = check(url, kind_of(url, kind), printer_url=settings.printer, profile=profile)
        except CounterError as exc:
            checked = CheckResult(False, problem_text(exc))
        rows.append((kind, url, checked))
    width = max(len(url) for _kind, url, _result in rows)
    # Translators: a device check's outcome in `counter devices list` (a column)
    ok, failed = pgettext("device check", "OK"), pgettext("device check", "FAILED")
    state_width = max(6, len(ok), len(failed))
    for kind, url, result in rows:
        state = "—" if result is None else (ok if result.ok else failed)
        text = _("not set up") if result is None else result.text
        print(f"{kind:<8} {url:<{width}}  {state:<{state_width}}  {text}")
    return EXIT_OK if all(r is None or r.ok for _k, _u, r in rows) else EXIT_FAILED


def _test(url: str, kind: str | None, settings: Settings, profile: PrinterProfile) -> int:
    try:
        kind = kind_of(url, kind)
    except CounterError as exc:
        print(_("counter: {problem}").format(problem=problem_text(exc)), file=sys.stderr)
        return EXIT_USAGE
    try:
        result = check(url, kind, printer_url=settings.printer, profile=profile)
    except CounterError as exc:  # the address parsed but the device could not be built
        result = CheckResult(False, problem_text(exc))
    return _report(result)


def _print_test(url: str, profile: PrinterProfile) -> int:
    if is_none(url):
        print(_("counter: no printer is set up; give its URL, e.g. counter devices print-test sim://printer"))
        return EXIT_USAGE
    try:
        if kind_of(url) != "printer":
            print(_("counter: {address} is not a receipt printer's address.").format(address=url), file=sys.stderr)
            return EXIT_USAGE
    except CounterError as exc:
        print(_("counter: {problem}").format(problem=problem_text(exc)), file=sys.stderr)
        return EXIT_USAGE
    try:
        result = check_printer(url, profile, print_test=True)
    except CounterError as exc:  # the address parsed but the printer could not be built
        result = CheckResult(False, problem_text(exc))
    return _report(result)


def _quiet_device_warnings() -> None:
    """The one-line result says what went wrong; the device layer's warnings stay in
    the log file instead of repeating it on the terminal."""
    for handler in logging.getLogger().handlers:
        if type(handler) is logging.StreamHandler:  # the consoles, not the log file
            handler.addFilter(lambda r: not r.name.startswith("devices") or r.levelno >= logging.ERROR)


def _report(result: CheckResult) -> int:
    if result.ok:
        # Translators: a device check's outcome, then what was found
        print(pgettext("device check", "OK: {result}").format(result=result.text))
        return EXIT_OK
    print(pgettext("device check", "FAILED: {result}").format(result=result.text), file=sys.stderr)
    return EXIT_FAILED
