"""This installation's version of Counter, as the package says it: what a lane tells HQ
with every call (db/hq_client.py) and what a store records when it is upgraded
(db/upgrade.py), so that an older Counter can name the version that upgraded it."""

from __future__ import annotations

from functools import cache
from importlib import metadata

DISTRIBUTION = "counter-pos"  # pyproject.toml's project name
UNKNOWN = "unknown"


@cache  # read once: every HQ client sends it
def app_version() -> str:
    """The installed version ("unknown" when Counter runs without being installed)."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return UNKNOWN
