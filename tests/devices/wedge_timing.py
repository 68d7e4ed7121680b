"""Realistic key timings for the keyboard-wedge tests: people and scanners, from a seed.

What the models say (issue #16, measured in a real X window and from scanner manuals):

* **People** type unevenly. Each typist has a pace of 40-150 ms a key; each gap varies
  around it by 15-35 % of the pace; no key follows another by less than 40 ms; now and
  then a pause (150-900 ms: thinking, looking at the receipt). A practised typist runs at
  about 55 ms a key, give or take 15 ms. ``rollover`` typists also press some keys before
  letting go of the last one: 8 % of their gaps between two different keys are 15-39 ms.
* **Scanners** send evenly spaced keys: a pace of 2-20 ms a key with small jitter, on
  whole-millisecond stamps; some on a USB polling grid (every gap a multiple of 1, 4 or
  8 ms); some send their first key 30-60 ms before the second; some add the configured
  prefix and suffix, some an AIM symbology id.

Everything comes from ``random.Random(seed)``: the same seed gives the same bursts.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from devices.scanner import WedgeConfig

#: the shortest gap a person leaves between two keys (rollover aside)
HUMAN_MIN_GAP_MS = 40.0

#: what people type at the counter: searches, quantities, prices, PINs, IDs, reasons, and
#: the words of a complaint (the whole sentence is one burst when typed without a pause)
TYPED = (
    "chino",
    "khaki chino",
    "navy",
    "pants 34x32",
    "days",
    "1200",
    "12",
    "3",
    "99999",
    "99999999",
    "4006381333931",  # a barcode typed by hand off a damaged label
    "19.99",
    "10%",
    "1111",
    "4821",
    "555-0175",
    "C-004211",
    "jane@example.com",
    "S01-T01-000123",
    "damaged in transit",
    "manager said ok",
    "It stopped working after three days",
    "the zipper broke on the first wash",
    "wants a refund to the card",
)

#: (AIM id, code) as scanners read them: EAN-13, UPC-A, EAN-8, Code 128, GS1-128 with FNC1
#: as GS, GS1 DataMatrix, QR, Code 39, and short codes that only an AIM id or a marker
#: tells from typing
SCANNED = (
    ("]E0", "4006381333931"),
    ("]E0", "036000291452"),
    ("]E4", "96385074"),
    ("]C0", "S01-T01-000123"),
    ("]C0", "EMP-000222"),
    ("]C0", "APP-00046"),
    ("]C1", "0109876543210920\x1d10ABC123"),
    ("]d2", "0104006381333931\x1d21SERIAL42"),
    ("]Q1", "https://example.com/r/S01-T01-000123"),
    ("]A0", "12345678"),
    ("]A0", "7"),
    ("]C0", "42"),
)

#: scanner set-ups: (prefix, suffix) programmed into the scanner and told to Counter
SETUPS = (("", ""), ("\x02", ""), ("", "\x03"), ("\x02", "\x03"), ("#", ""), ("", "#"))


@dataclass(frozen=True)
class Burst:
    who: str  # for failure messages: "typist 55±15 ms", "scanner 8 ms, slow first key"
    keys: str  # every key in order, terminator included when there is one
    times: tuple[float, ...]  # when each key came, ms on the events' clock
    code: str = ""  # a scan's code: no prefix, AIM id, suffix or terminator
    aim_id: str = ""
    config: WedgeConfig = field(default_factory=WedgeConfig)

    @property
    def gaps(self) -> list[float]:
        return [b - a for a, b in zip(self.times, self.times[1:], strict=False)]


def _stamps(rng: random.Random, gaps: list[float]) -> tuple[float, ...]:
    """Whole-millisecond stamps, as the window system gives them."""
    t = float(rng.randrange(1_000_000, 9_000_000))
    times = [t]
    for gap in gaps:
        t += gap
        times.append(float(round(t)))
    return tuple(times)


def person(
    rng: random.Random,
    *,
    fast: bool = False,
    rollover: bool = False,
    config: WedgeConfig | None = None,
    keys: str | None = None,
) -> Burst:
    """One thing a person types (``keys``, or one of ``TYPED`` then Enter, Tab or nothing)."""
    if keys is None:
        keys = rng.choice(TYPED) + rng.choice(("\r", "\r", "\t", ""))
    if fast:
        pace, spread = 55.0, 15.0
        gaps = [pace + rng.uniform(-spread, spread) for _ in keys[1:]]
        who = "practised typist 55±15 ms"
    else:
        pace = rng.uniform(40.0, 150.0)
        sd = pace * rng.uniform(0.15, 0.35)
        gaps = [max(HUMAN_MIN_GAP_MS, rng.gauss(pace, sd)) for _ in keys[1:]]
        who = f"typist {pace:.0f}±{sd:.0f} ms"
    gaps = [g + rng.uniform(150.0, 900.0) if rng.random() < 0.05 else g for g in gaps]
    if rollover:  # a key pressed before the last one is let go; never the same key twice
        rolled = [a != b and rng.random() < 0.08 for a, b in zip(keys, keys[1:], strict=False)]
        gaps = [rng.uniform(15.0, 39.0) if r else g for g, r in zip(gaps, rolled, strict=True)]
        who += " with rollover"
    return Burst(who, keys, _stamps(rng, gaps), config=config or WedgeConfig())


def scanner(rng: random.Random, *, setup: tuple[str, str] | None = None, stall: bool = False) -> Burst:
    """One scan as a keyboard-wedge scanner types it, with the config that goes with it.
    ``stall``: the scanner stops 35-80 ms once after its second key (a USB hiccup), and no
    control-character prefix vouches for it: the decoder must give all its keys as typing."""
    if setup is None:
        setup = rng.choice([s for s in SETUPS if not (stall and s[0] == "\x02")])
    prefix, suffix = setup
    aim_id, code = rng.choice(SCANNED)
    sends_aim = rng.random() < 0.4 or len(code) < WedgeConfig().min_length  # short: AIM id on
    terminator = rng.choice(("\r", "\r", "\r", "\t", "\n"))
    keys = prefix + (aim_id if sends_aim else "") + code + suffix + terminator
    poll = rng.choice((None, None, None, 1, 4, 8))
    if poll is None:
        pace = rng.uniform(2.0, 20.0)
        sd = min(2.0, pace * 0.1)
        gaps = [max(0.0, rng.gauss(pace, sd)) for _ in keys[1:]]
        who = f"scanner {pace:.1f}±{sd:.1f} ms"
    else:
        steps = rng.randint(1, max(1, 20 // poll))
        gaps = [float(poll * max(0, steps + rng.choice((-1, 0, 0, 0, 0, 1)))) for _ in keys[1:]]
        who = f"scanner on a {poll} ms USB grid, {steps * poll} ms a key"
    slow_first = rng.random() < 0.3
    if slow_first:
        gaps[0] = rng.uniform(30.0, 60.0)
        who += ", slow first key"
    if stall:
        at = rng.randrange(2 if slow_first else 1, len(gaps))
        gaps[at] = rng.uniform(35.0, 80.0)
        who += f", stalls {gaps[at]:.0f} ms before key {at + 1}"
    if prefix or suffix or sends_aim:
        who += f", prefix {prefix!r} suffix {suffix!r} AIM id {aim_id if sends_aim else '-'}"
    config = WedgeConfig(prefix=prefix, suffix=suffix)
    return Burst(who, keys, _stamps(rng, gaps), code, aim_id if sends_aim else "", config)


def any_config(rng: random.Random) -> WedgeConfig:
    prefix, suffix = rng.choice(SETUPS)
    return WedgeConfig(prefix=prefix, suffix=suffix)


@dataclass(frozen=True)
class Session:
    """A stretch of work at one counter: people typing and scans, with the pauses between."""

    keys: str
    times: tuple[float, ...]
    scans: tuple[tuple[str, str], ...]  # (code, AIM id) of each scan, in order
    typed: str  # every key the people typed, in order
    config: WedgeConfig


def session(rng: random.Random, parts: int = 8) -> Session:
    """``parts`` bursts, people's and a scanner's, on one counter's set-up. A scan starts
    100 ms or more after the last key (the cashier picks up the scanner and aims); a
    person may start typing at once after a scan."""
    setup = rng.choice(SETUPS)
    config = WedgeConfig(prefix=setup[0], suffix=setup[1])
    keys, times, scans, typed = "", [0.0], [], ""
    for _ in range(parts):
        if rng.random() < 0.5:
            burst = scanner(rng, setup=setup)
            pause = rng.uniform(100.0, 2000.0)
            scans.append((burst.code, burst.aim_id))
        else:
            burst = person(rng, fast=rng.random() < 0.5, config=config)
            pause = rng.uniform(0.0, 1500.0) if keys else 0.0
            typed += burst.keys
        start = times[-1] + pause
        keys += burst.keys
        times += [start + t - burst.times[0] for t in burst.times]
    return Session(keys, tuple(times[1:]), tuple(scans), typed, config)
