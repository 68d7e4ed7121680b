"""Which version of HQ's API a lane and HQ speak to each other, agreed on every call.

A store upgrades HQ first and then its lanes one by one (docs/upgrades.md), so for a
while lanes of the release before talk to the new HQ; and a lane restored or installed
ahead of the plan may meet an HQ of the release before. Both sides therefore speak two
API versions, their own (N) and the one before (N-1):

* the lane sends ``Counter-Api: LOW-HIGH`` (the versions it speaks; ``N`` alone when it
  speaks one) and ``Counter-App: <its Counter version>`` with every call;
* HQ answers every call with ``Counter-Api-Supported: LOW-HIGH`` (the versions it serves)
  and, when it serves the call, ``Counter-Api: V``, the highest version both speak; a lane
  with no version in common gets ``426 Upgrade Required`` with what to do, in words;
* a lane that sends no version is one from before this negotiation: it speaks version 1;
* an HQ that sends no ``Counter-Api-Supported`` is one from before it: it serves version 1,
  and the lane goes on as before.

No I/O here: ``hq/api_version.py`` is HQ's side, ``db/hq_client.py`` the lane's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

API_HEADER = "Counter-Api"
APP_HEADER = "Counter-App"
SUPPORTED_HEADER = "Counter-Api-Supported"
REFUSED_STATUS = 426
REFUSED_ERROR = "api_version"

#: The version of HQ's API this release of Counter speaks best (the ``/v1`` paths).
API_VERSION = 1

_RANGE = re.compile(r"^\s*(\d{1,4})\s*(?:-\s*(\d{1,4})\s*)?$")


@dataclass(frozen=True)
class ApiRange:
    """The API versions one side speaks, ``low`` to ``high``."""

    low: int
    high: int

    @classmethod
    def parse(cls, text: str) -> ApiRange | None:
        """``"2"`` or ``"1-2"``; None for anything else (an empty or reversed range too)."""
        found = _RANGE.match(text)
        if found is None:
            return None
        low = int(found[1])
        high = int(found[2]) if found[2] is not None else low
        return cls(low, high) if 1 <= low <= high else None

    def __str__(self) -> str:
        return str(self.low) if self.low == self.high else f"{self.low}-{self.high}"

    def header(self) -> str:
        """As HQ says what it serves: always ``LOW-HIGH``."""
        return f"{self.low}-{self.high}"

    def words(self) -> str:
        return f"version {self.low}" if self.low == self.high else f"versions {self.low} to {self.high}"


def speaks(version: int = API_VERSION) -> ApiRange:
    """What a release whose own version is ``version`` speaks: it and the one before."""
    return ApiRange(max(1, version - 1), version)


#: What this release's lanes speak and its HQ serves.
LANE_SPEAKS = speaks()
HQ_SERVES = speaks()
#: A lane or an HQ from before the negotiation: version 1 only.
BEFORE_NEGOTIATION = ApiRange(1, 1)


def agree(lane: ApiRange, hq: ApiRange) -> int | None:
    """The highest version both speak, or None when they have none in common."""
    version = min(lane.high, hq.high)
    return version if version >= max(lane.low, hq.low) else None


def refusal(lane: ApiRange | None, hq: ApiRange, lane_app: str = "") -> str:
    """What HQ tells a lane it cannot serve: which versions each side speaks and what to do.
    ``lane`` None: the lane sent a version HQ cannot read."""
    who = f"This lane (Counter {lane_app})" if lane_app else "This lane"
    serves = f"this HQ serves API {hq.words()}"
    if lane is None:
        return (
            f"{who} sent an API version HQ cannot read; {serves}. "
            "Install the same Counter release on this lane as on HQ, or the one before it."
        )
    if lane.high < hq.low:
        return (
            f"{who} speaks HQ's API {lane.words()}, and {serves}: this lane is too old for this HQ. "
            f"Upgrade this lane to a Counter release that speaks API version {hq.low} or later; "
            "it keeps selling meanwhile and sends its sales once upgraded."
        )
    return (
        f"{who} speaks HQ's API {lane.words()}, and {serves}: HQ is older than this lane. "
        "Upgrade HQ first (HQ before lanes, docs/upgrades.md); this lane keeps selling meanwhile "
        "and sends its sales once HQ is upgraded."
    )
