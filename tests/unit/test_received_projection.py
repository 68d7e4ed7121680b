"""Another lane's desk event as this lane projects it (counter/projection/received.py): the
same rows as its own lane's, under the original's reference, restricted to the desk's
tables; a case's status left as it is when a later change is here already."""

from __future__ import annotations

from typing import Any

import pytest

from counter.projection import UNKNOWN, Insert, ProjectionError, Update, project
from counter.projection.received import DESK_EVENT_TYPES, inner_ops
from counter.trust.desk_rules import DESK_KINDS


def received(type_: str, body: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"terminal": "T02", "seq": 17, "type": type_, "at": "2026-12-01T10:00:00.000000Z", "body": body, **more}


STATUS = {"case_id": "C-1", "user": "U-2", "from": "open", "to": "resolved", "has_note": True}


def test_the_events_a_lane_takes_from_another_are_the_ones_hq_projects_as_desk_work() -> None:
    assert DESK_EVENT_TYPES == DESK_KINDS


def test_a_received_status_change_is_the_original_rows_under_the_original_lane_and_time() -> None:
    from counter.projection import EntryRef

    ops = project("DeskEventReceived", received("CaseResolved", STATUS), EntryRef("T01", 5, "DeskEventReceived", "x"))
    mark, update, event = ops
    assert mark == Insert(
        "desk_received", {"terminal_id": "T02", "seq": 17, "type": "CaseResolved", "at": "2026-12-01T10:00:00.000000Z"}
    )
    assert isinstance(update, Update) and update.key == ("C-1",)
    assert update.values == {"status": "resolved", "updated_at": "2026-12-01T10:00:00.000000Z", "resolution": UNKNOWN}
    assert isinstance(event, Insert) and event.row["at"] == "2026-12-01T10:00:00.000000Z"
    assert event.row["status_to"] == "resolved"


def test_a_superseded_status_change_adds_its_event_and_leaves_the_status() -> None:
    ops = inner_ops(received("CaseResolved", STATUS, superseded=True))
    assert [type(op).__name__ for op in ops] == ["Insert"]
    assert ops[0].table == "case_events" and ops[0].row["status_to"] == "resolved"  # type: ignore[union-attr]
    follow = {"case_id": "C-1", "user": "U-2", "done": True}
    kept = inner_ops(received("FollowUpRecorded", follow, superseded=True))
    assert [op.table for op in kept] == ["cases", "case_events"]  # not a status change: it stands


@pytest.mark.parametrize("kind", ["SaleCompleted", "VouchersReceived", "DeskEventReceived", "ShiftOpened"])
def test_an_event_that_is_not_desk_work_is_not_taken(kind: str) -> None:
    with pytest.raises(ProjectionError, match="not a desk event"):
        inner_ops(received(kind, {}))


def test_a_received_body_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(ProjectionError, match="not an object"):
        inner_ops(received("CaseResolved", "C-1"))  # type: ignore[arg-type]
