"""Named moments where a test may kill Counter for real (SIGKILL, no clean-up), to prove
that a crash at exactly that moment loses nothing and leaves nothing unsaid
(tests/trust/test_receipt_after_crash.py, tests/trust/test_drawer_after_crash.py).
``COUNTER_CRASH_AT`` names the moment; unset, as in every real run, a crash point costs
one comparison."""

from __future__ import annotations

import os
import signal

_AT = os.environ.get("COUNTER_CRASH_AT", "")

#: the receipt's moments, in the order a sale passes them
POINTS = ("sale.committed", "spool.job_written", "spool.sent", "spool.finished")
#: the cash drawer's, after a cash sale's commit (app.drawer): the sale committed (the
#: opening due), just before the transaction that journals DrawerOpened and settles it,
#: and between that transaction and the kick
DRAWER_POINTS = ("sale.committed", "drawer.settling", "drawer.settled")


def crash_point(name: str) -> None:
    if _AT and name == _AT:
        os.kill(os.getpid(), signal.SIGKILL)
