"""Device URLs: parse, validate, and build a printer from one.

Accepted forms (docs: devices/README.md)::

    escpos+tcp://HOST[:PORT]                 network printer, port 9100 by default
    escpos+serial:///dev/ttyUSB0?baudrate=19200   (or escpos+serial://COM3 on Windows)
    escpos+usb://04b8:0202                   USB vendor:product id (hex)
    escpos+file:///dev/usb/lp0               Linux usblp device file
    serial:///dev/ttyACM0?baudrate=9600      raw serial (scanner, drawer, display)
    sim://printer                            simulated device (printer, drawer, scanner, display, terminal)
    zvt+tcp://HOST[:PORT]                    ZVT card terminal over the network, port 20007 by default
    zvt+serial:///dev/ttyUSB0?baudrate=9600  ZVT card terminal on a serial port

Settings in the query string are checked against what the scheme accepts, so a typo
("baud=9600") is an error that names the right key instead of being ignored.
Parsing is pure; ``open_printer`` builds objects but does no I/O until enable().
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from difflib import get_close_matches
from urllib.parse import parse_qsl, unquote, urlsplit

from counter.i18n import N_, _
from devices.errors import DeviceError, ErrorCode
from devices.escpos.encoder import PrinterProfile
from devices.links.base import Deadlines, Link
from devices.printer import ReceiptPrinter

SCHEMES = ("escpos+tcp", "escpos+serial", "escpos+usb", "escpos+file", "serial", "sim", "zvt+tcp", "zvt+serial")
SIM_KINDS = ("printer", "drawer", "scanner", "display", "terminal")
BAUDRATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)

_SERIAL_KEYS = {"baudrate", "bytesize", "parity", "stopbits", "rtscts", "xonxoff", "dsrdtr"}
_ALLOWED_KEYS: dict[str, set[str]] = {
    "escpos+tcp": set(),
    "escpos+serial": _SERIAL_KEYS,
    "escpos+usb": {"interface", "in_ep", "out_ep", "serial_number"},
    "escpos+file": set(),
    "serial": _SERIAL_KEYS,
    "sim": {"port"},
    "zvt+tcp": set(),
    "zvt+serial": _SERIAL_KEYS,
}
#: default TCP port per scheme, and what to call the device in messages
_TCP_DEFAULTS = {"escpos+tcp": (9100, "printer"), "zvt+tcp": (20007, "card terminal")}
#: what the address of each kind of network device is told when it is wrong (no address, a
#: user name, a bad port), whole sentences per kind
_TCP_TEXTS = {
    "printer": (
        N_("no printer address is given"),
        N_("printers take no user name or password"),
        N_("Network printers usually listen on port {port}."),
    ),
    "card terminal": (
        N_("no card terminal address is given"),
        N_("card terminals take no user name or password"),
        N_("Network card terminals usually listen on port {port}."),
    ),
}


#: how many of its newest jobs the built-in simulated printer (``sim://printer``) keeps
SIM_PRINTER_KEEP = 200


@dataclass(frozen=True)
class DeviceUrl:
    url: str
    scheme: str
    host: str = ""
    port: int | None = None
    path: str = ""  # serial port or device file
    vendor_id: int | None = None
    product_id: int | None = None
    params: dict[str, str] = field(default_factory=dict)

    @property
    def transport(self) -> str:
        """ "tcp", "serial", "usb", "file" or "sim"."""
        return self.scheme.split("+")[-1]

    @property
    def is_escpos(self) -> bool:
        return self.scheme.startswith("escpos+")

    @property
    def sim_kind(self) -> str:
        return self.host if self.scheme == "sim" else ""

    def serial_settings(self) -> dict[str, object]:
        """pyserial keyword arguments from the query string (validated in parse)."""
        p = self.params
        out: dict[str, object] = {"baudrate": int(p.get("baudrate", "9600"))}
        if "bytesize" in p:
            out["bytesize"] = int(p["bytesize"])
        if "parity" in p:
            out["parity"] = p["parity"].upper()
        if "stopbits" in p:
            out["stopbits"] = float(p["stopbits"]) if p["stopbits"] == "1.5" else int(p["stopbits"])
        for flag in ("rtscts", "xonxoff", "dsrdtr"):
            if flag in p:
                out[flag] = p[flag] in ("1", "true", "yes", "on")
        return out


def bad_url(url: str, why: str, hint: str = "") -> DeviceError:
    return DeviceError(
        ErrorCode.CONFIG,
        # Translators: {reason} is a short clause in lower case ("it has no scheme")
        _("The device address “{url}” is not valid: {reason}.").format(url=url, reason=why),
        hint or _("Fix it in the device settings, for example escpos+tcp://192.168.1.50:9100."),
    )


def parse_device_url(url: str) -> DeviceUrl:
    """Parse and validate; raises DeviceError(CONFIG) with a message that says what is wrong."""
    text = (url or "").strip()
    if not text:
        raise bad_url(url, _("it is empty"))
    if "://" not in text:
        kinds = ", ".join(s + "://" for s in SCHEMES)
        raise bad_url(text, _("it has no scheme"), _("Start it with one of: {schemes}.").format(schemes=kinds))
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        near = get_close_matches(scheme, SCHEMES, n=1)
        if near:
            hint = _("Did you mean {scheme}://?").format(scheme=near[0])
        else:
            hint = _("Use one of: {choices}.").format(choices=", ".join(s + "://" for s in SCHEMES))
        why = _("“{scheme}” is not a kind of device connection this app knows").format(scheme=scheme)
        raise bad_url(text, why, hint)

    params: dict[str, str] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        key = key.lower()
        allowed = _ALLOWED_KEYS[scheme]
        if key not in allowed:
            near = get_close_matches(key, sorted(allowed), n=1)
            if near:
                hint = _("Did you mean “{setting}”?").format(setting=near[0])
            elif allowed:
                hint = _("Settings allowed here: {settings}.").format(settings=", ".join(sorted(allowed)))
            else:
                hint = _("Remove the part after “?”.")
            raise bad_url(
                text, _("“{setting}” is not a setting for {scheme}://").format(setting=key, scheme=scheme), hint
            )
        if key in params:
            raise bad_url(text, _("the setting “{setting}” is given twice").format(setting=key))
        params[key] = value

    netloc = parts.netloc
    path = unquote(parts.path)
    if scheme in _TCP_DEFAULTS:
        return _parse_tcp(text, scheme, parts.hostname or "", netloc, params)
    if scheme in ("escpos+serial", "serial", "zvt+serial"):
        _check_serial(text, params)
        port = path or netloc  # serial:///dev/ttyUSB0 or serial://COM3
        if netloc and path:
            raise bad_url(
                text, _("the port must follow three slashes"), _("Write {scheme}:///dev/ttyUSB0.").format(scheme=scheme)
            )
        if not port:
            raise bad_url(
                text,
                _("no serial port is named"),
                _("Write {scheme}:///dev/ttyUSB0 or {scheme}://COM3.").format(scheme=scheme),
            )
        return DeviceUrl(text, scheme, path=port, params=params)
    if scheme == "escpos+usb":
        match = re.fullmatch(r"([0-9a-fA-F]{4}):([0-9a-fA-F]{4})", netloc)
        if not match or path not in ("", "/"):
            raise bad_url(
                text, _("the USB id must be vendor:product in hexadecimal"), _("For example escpos+usb://04b8:0202.")
            )
        for key in ("interface", "in_ep", "out_ep"):
            if key in params and not re.fullmatch(r"(0x[0-9a-fA-F]+|\d+)", params[key]):
                raise bad_url(text, _("“{setting}” must be a number such as 0x82").format(setting=key))
        return DeviceUrl(text, scheme, vendor_id=int(match[1], 16), product_id=int(match[2], 16), params=params)
    if scheme == "escpos+file":
        if netloc or not path.startswith("/"):
            raise bad_url(
                text, _("the device file needs an absolute path"), _("For example escpos+file:///dev/usb/lp0.")
            )
        return DeviceUrl(text, scheme, path=path, params=params)
    # sim://
    kind = netloc.lower()
    if kind not in SIM_KINDS:
        kinds = ", ".join("sim://" + k for k in SIM_KINDS)
        raise bad_url(
            text,
            _("“{kind}” is not a simulated device").format(kind=netloc),
            _("Use one of: {choices}.").format(choices=kinds),
        )
    sim_port: int | None = None
    if "port" in params:
        if not params["port"].isdigit() or not 0 <= int(params["port"]) <= 65535:
            raise bad_url(text, _("port must be a number from 0 to 65535"))
        sim_port = int(params["port"])
    return DeviceUrl(text, scheme, host=kind, port=sim_port, path=path.strip("/"), params=params)


def _parse_tcp(text: str, scheme: str, host: str, netloc: str, params: dict[str, str]) -> DeviceUrl:
    default_port, what = _TCP_DEFAULTS[scheme]
    no_address, no_user, usual_port = _TCP_TEXTS[what]
    if not host:
        example = _("For example {address}.").format(address=f"{scheme}://192.168.1.50:{default_port}")
        raise bad_url(text, _(no_address), example)
    if "@" in netloc:
        raise bad_url(text, _(no_user))
    port_text = netloc.rsplit("]", 1)[-1].rpartition(":")[2] if ":" in netloc.rsplit("]", 1)[-1] else ""
    if port_text == "":
        port = default_port
    elif not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise bad_url(
            text,
            _("“{port}” is not a port number").format(port=port_text),
            _(usual_port).format(port=default_port),
        )
    else:
        port = int(port_text)
    if not re.fullmatch(r"[A-Za-z0-9._:-]+", host):
        raise bad_url(text, _("“{host}” is not a host name or IP address").format(host=host))
    return DeviceUrl(text, scheme, host=host, port=port, params=params)


def _check_serial(text: str, params: dict[str, str]) -> None:
    if "baudrate" in params and (not params["baudrate"].isdigit() or int(params["baudrate"]) not in BAUDRATES):
        raise bad_url(
            text,
            _("“{baudrate}” is not a usual baud rate").format(baudrate=params["baudrate"]),
            _("Use one of {choices} (as set on the device).").format(choices=", ".join(map(str, BAUDRATES))),
        )
    if params.get("bytesize", "8") not in ("5", "6", "7", "8"):
        raise bad_url(text, _("bytesize must be 5, 6, 7 or 8"))
    if params.get("parity", "N").upper() not in ("N", "E", "O", "M", "S"):
        raise bad_url(text, _("parity must be N, E, O, M or S"))
    if params.get("stopbits", "1") not in ("1", "1.5", "2"):
        raise bad_url(text, _("stopbits must be 1, 1.5 or 2"))
    for flag in ("rtscts", "xonxoff", "dsrdtr"):
        if flag in params and params[flag].lower() not in ("0", "1", "true", "false", "yes", "no", "on", "off"):
            raise bad_url(text, _("{setting} must be 0 or 1").format(setting=flag))


# --- factory -------------------------------------------------------------------------------


def open_printer(
    url: str,
    profile: PrinterProfile | None = None,
    *,
    name: str = "receipt printer",
    deadlines: Deadlines | None = None,
    poll_interval: float = 3.0,
    require_status: bool = True,
    drawer_open_when_high: bool | None = True,
) -> ReceiptPrinter:
    """Build a ``ReceiptPrinter`` for ``url`` and open it (not claimed, not enabled).

    ``sim://printer`` starts a ``SimNetworkPrinter`` on an ephemeral port (or
    ``?port=N``) and talks to it over real TCP; the simulator is ``printer.simulator``
    and stops when the printer is closed.
    """
    parsed = parse_device_url(url)
    deadlines = deadlines or Deadlines()
    simulator = None
    factory: Callable[[], Link]
    if parsed.scheme == "sim":
        if parsed.sim_kind != "printer":
            raise bad_url(url, _("this is not a printer"), _("Use sim://printer for a simulated printer."))
        from devices.links.tcp import TcpLink
        from devices.sim.netprinter import SimNetworkPrinter

        # the app's built-in printer keeps its newest jobs only: a 10,000-sale shift on the
        # demo must not hold every receipt's bytes (tests read ``jobs[-1]`` or wait by count)
        simulator = SimNetworkPrinter(
            port=parsed.port or 0, drawer_open_when_high=bool(drawer_open_when_high), keep=SIM_PRINTER_KEEP
        )
        simulator.start()
        port = simulator.port
        factory = lambda: TcpLink("127.0.0.1", port, deadlines=deadlines, device=name)  # noqa: E731
    elif parsed.scheme == "escpos+tcp":
        from devices.links.tcp import TcpLink

        host, tcp_port = parsed.host, parsed.port or 9100
        factory = lambda: TcpLink(host, tcp_port, deadlines=deadlines, device=name)  # noqa: E731
    else:
        factory = _other_link_factory(parsed, deadlines, name)

    printer = ReceiptPrinter(
        factory,
        name=name,
        profile=profile,
        poll_interval=poll_interval,
        require_status=require_status,
        drawer_open_when_high=drawer_open_when_high,
        claim_key=_claim_key(parsed),
    )
    if simulator is not None:
        printer.simulator = simulator
        printer.add_close_hook(simulator.stop)
    printer.open()
    return printer


def _other_link_factory(parsed: DeviceUrl, deadlines: Deadlines, name: str) -> Callable[[], Link]:
    if parsed.scheme == "escpos+serial":
        from devices.links.serial import SerialLink

        port, settings = parsed.path, parsed.serial_settings()
        return lambda: SerialLink(port, settings, deadlines=deadlines, device=name)
    if parsed.scheme == "escpos+file":
        from devices.links.file import FileLink

        path = parsed.path
        return lambda: FileLink(path, deadlines=deadlines, device=name)
    if parsed.scheme == "escpos+usb":
        from devices.links.usb import UsbLink

        p = parsed.params
        vid, pid = parsed.vendor_id or 0, parsed.product_id or 0
        interface = int(p.get("interface", "0"), 0)
        out_ep = int(p["out_ep"], 0) if "out_ep" in p else None
        in_ep = int(p["in_ep"], 0) if "in_ep" in p else None
        serial_number = p.get("serial_number")
        return lambda: UsbLink(
            vid,
            pid,
            interface=interface,
            out_ep=out_ep,
            in_ep=in_ep,
            serial_number=serial_number,
            deadlines=deadlines,
            device=name,
        )
    raise DeviceError(
        ErrorCode.NO_SERVICE,
        _("Printers on {scheme}:// connections are not supported yet.").format(scheme=parsed.scheme),
        _("Connect the printer over the network (escpos+tcp://) or a serial port for now."),
        device=name,
    )


def _claim_key(parsed: DeviceUrl) -> str:
    if parsed.scheme == "escpos+tcp":
        return f"tcp:{parsed.host.lower()}:{parsed.port}"
    if parsed.scheme in ("escpos+serial", "serial"):
        return f"serial:{parsed.path}"
    if parsed.scheme == "escpos+usb":
        return f"usb:{parsed.vendor_id:04x}:{parsed.product_id:04x}"
    if parsed.scheme == "escpos+file":
        return f"file:{parsed.path}"
    return f"sim:{parsed.sim_kind}:{id(parsed)}"
