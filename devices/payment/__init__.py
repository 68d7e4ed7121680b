"""Card terminals: the ZVT implementation of ``counter.payments.terminal.PaymentTerminal``.

``open_terminal(url)`` builds one from a device URL:

* ``zvt+tcp://HOST[:20007]``: ZVT over the network (port 20007 unless given);
* ``zvt+serial:///dev/ttyUSB0?baudrate=9600`` (or ``zvt+serial://COM3``): ZVT on a
  serial port, framed (DLE STX ... CRC) with link-layer ACK/NAK;
* ``sim://terminal``: starts ``devices.sim.zvt_terminal.SimZvtTerminal`` on 127.0.0.1 and
  talks to it over real TCP; the simulator is ``terminal.simulator`` and stops on close().

Nothing is sent until the first call: the terminal connects and registers then.
"""

from __future__ import annotations

from collections.abc import Callable

from counter.i18n import _
from devices.payment.zvt import ZvtDeadlines, ZvtTerminal
from devices.payment.zvt_link import LinkDeadlines, SerialZvtLink, TcpZvtLink, ZvtLink
from devices.urls import bad_url, parse_device_url

__all__ = ["LinkDeadlines", "ZvtDeadlines", "ZvtTerminal", "open_terminal"]


def open_terminal(
    url: str,
    *,
    name: str = "card terminal",
    password: str = "000000",
    currency_code: int = 978,
    deadlines: ZvtDeadlines | None = None,
    link_deadlines: LinkDeadlines | None = None,
    state_path: str | None = None,
) -> ZvtTerminal:
    """A ``ZvtTerminal`` for ``url``; raises ``DeviceError(CONFIG)`` naming what is wrong
    with the address. ``state_path`` is for ``sim://terminal`` only: where the simulator
    keeps its ledger between runs."""
    parsed = parse_device_url(url)
    simulator = None
    factory: Callable[[], ZvtLink]
    if parsed.scheme == "sim":
        if parsed.sim_kind != "terminal":
            raise bad_url(url, _("this is not a card terminal"), _("Use sim://terminal for a simulated card terminal."))
        from devices.sim.zvt_terminal import SimZvtTerminal

        simulator = SimZvtTerminal(state_path=state_path, port=parsed.port or 0).start()
        port = simulator.port
        factory = lambda: TcpZvtLink("127.0.0.1", port, deadlines=link_deadlines, device=name)  # noqa: E731
    elif parsed.scheme == "zvt+tcp":
        host, tcp_port = parsed.host, parsed.port or 20007
        factory = lambda: TcpZvtLink(host, tcp_port, deadlines=link_deadlines, device=name)  # noqa: E731
    elif parsed.scheme == "zvt+serial":
        path, settings = parsed.path, parsed.serial_settings()
        factory = lambda: SerialZvtLink(path, settings, deadlines=link_deadlines, device=name)  # noqa: E731
    else:
        raise bad_url(
            url,
            _("this is not a card terminal address"),
            _("Use zvt+tcp://192.168.1.60:20007, zvt+serial:///dev/ttyUSB0?baudrate=9600 or sim://terminal."),
        )
    terminal = ZvtTerminal(factory, name=name, password=password, currency_code=currency_code, deadlines=deadlines)
    if simulator is not None:
        terminal.simulator = simulator
        terminal.add_close_hook(simulator.stop)
    return terminal
