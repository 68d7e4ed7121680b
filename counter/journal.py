"""The journal: one append-only, hash-chained list of business events per terminal.

It is the audit trail, the fiscal record and the sync outbox in one. Each entry is

    hash = SHA-256( prev_hash (64 hex chars, ASCII) + "\\n" + canonical(envelope) )

where the envelope is ``{"at", "body", "id", "seq", "terminal", "type"}`` and
``canonical`` is JSON with sorted keys, no whitespace, UTF-8, and no floats (money is an
integer of minor units, rates are strings). The first entry of a terminal chains to
``GENESIS`` (64 zeros). tests/unit/test_journal.py pins the serialisation with a golden
hash, so that a change of it cannot slip in unnoticed.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from json.encoder import encode_basestring
from typing import Any

GENESIS = "0" * 64


class EventType(enum.StrEnum):
    """Business events, named in the past tense. Bodies are documented where built."""

    SALE_COMPLETED = "SaleCompleted"
    SALE_VOIDED = "SaleVoided"  # with ``given_back`` when payments were taken (counter.sales.voids)
    PART_PAYMENT_TAKEN = "PartPaymentTaken"  # a tender of a sale not yet paid in full (counter.sales.part_payments)
    SALE_ADOPTED = "SaleAdopted"  # a copy of another lane's sale, kept for a return of it here
    VOUCHERS_RECEIVED = "VouchersReceived"  # store credit issued or spent at other lanes, pulled from HQ
    CUSTOMER_RECEIVED = "CustomerReceived"  # a customer new or changed at another lane, pulled from HQ
    CUSTOMER_LINKS_RECEIVED = "CustomerLinksReceived"  # customers' sales and returns at other lanes
    DESK_EVENT_RECEIVED = "DeskEventReceived"  # another lane's desk event, pulled from HQ (db/desk_feed.py)
    LANE_RESTORED = "LaneRestored"  # this store rebuilt from the journal HQ holds (db/restore_hq.py)
    SIGNED_IN = "SignedIn"
    SIGN_IN_FAILED = "SignInFailed"
    SIGNED_OUT = "SignedOut"
    RECEIPT_REPRINTED = "ReceiptReprinted"
    RETURN_PROCESSED = "ReturnProcessed"
    APPROVAL_GRANTED = "ApprovalGranted"
    APPROVAL_REFUSED = "ApprovalRefused"
    POLICY_CHANGED = "PolicyChanged"
    DRAWER_OPENED = "DrawerOpened"
    SHIFT_OPENED = "ShiftOpened"
    SHIFT_CLOSED = "ShiftClosed"
    SHIFT_RECOUNTED = "ShiftRecounted"
    CASH_MOVED = "CashMoved"
    Z_REPORT_TAKEN = "ZReportTaken"
    # Trust (docs/trust.md): privileged actions, their refusals, and staff changes.
    ACCESS_REFUSED = "AccessRefused"
    SESSION_LOCKED = "SessionLocked"
    USER_ADDED = "UserAdded"
    USER_ROLE_CHANGED = "UserRoleChanged"
    USER_PIN_RESET = "UserPinReset"
    USER_BADGE_SET = "UserBadgeSet"
    USER_LANGUAGE_SET = "UserLanguageSet"
    USER_DEACTIVATED = "UserDeactivated"
    USER_REACTIVATED = "UserReactivated"
    # the service desk (counter.desk.customers, cases, referrals, adjustments, orders, accounts)
    CUSTOMER_CREATED = "CustomerCreated"
    CUSTOMER_UPDATED = "CustomerUpdated"
    CONTACT_LOGGED = "ContactLogged"
    CASE_STATUS_CHANGED = "CaseStatusChanged"
    CASE_RESOLVED = "CaseResolved"
    CASE_CLOSED = "CaseClosed"
    CASE_REOPENED = "CaseReopened"
    CASE_REFERRED = "CaseReferred"
    REFERRAL_NOTED = "ReferralNoted"
    REFERRAL_ANSWERED = "ReferralAnswered"
    REFERRAL_REASSIGNED = "ReferralReassigned"  # to another department, at HQ's back office (hq/office)
    CUSTOMER_INFORMED = "CustomerInformed"
    FOLLOW_UP_RECORDED = "FollowUpRecorded"
    LETTER_ISSUED = "LetterIssued"
    BILL_ADJUSTED = "BillAdjusted"
    ORDER_OPENED = "OrderOpened"
    ORDER_PAYMENT_TAKEN = "OrderPaymentTaken"
    ORDER_PICKED_UP = "OrderPickedUp"
    ORDER_CANCELLED = "OrderCancelled"
    ACCOUNT_OPENED = "AccountOpened"
    ACCOUNT_CHARGED = "AccountCharged"
    ACCOUNT_PAYMENT_TAKEN = "AccountPaymentTaken"
    # the integrated card terminal (counter.payments.requests): journaled before it is asked
    CARD_REQUEST_SENT = "CardRequestSent"
    CARD_REQUEST_SETTLED = "CardRequestSettled"
    CARD_REFUND_CLOSED = "CardRefundClosed"  # a card refund the terminal did not make, paid another way
    CARD_DAY_CLOSED = "CardDayClosed"  # the terminal's end of day, with its totals


def _reject(value: Any) -> Any:
    raise TypeError(f"journal bodies hold only str, int, bool, None, lists and dicts, not {type(value).__name__}")


_PLAIN = frozenset({str, int, bool, type(None)})


def _check(value: Any) -> None:
    # Exact built-in types first (the whole of a body we write): one set look-up each.
    kind = type(value)
    if kind in _PLAIN:
        return
    if kind is dict:
        for k, v in value.items():
            if type(k) is not str and not isinstance(k, str):
                raise TypeError("journal keys are strings")
            if type(v) not in _PLAIN:
                _check(v)
        return
    if kind is list or kind is tuple:
        for v in value:
            if type(v) not in _PLAIN:
                _check(v)
        return
    if isinstance(value, float | Decimal):
        raise TypeError("journal bodies never hold floats or Decimals: use minor units or strings")
    if isinstance(value, Mapping):
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError("journal keys are strings")
            _check(v)
    elif isinstance(value, list | tuple):
        for v in value:
            _check(v)


def canonical(value: Any) -> bytes:
    """The one serialisation that is hashed: sorted keys, compact, UTF-8, no floats."""
    _check(value)
    return _dumps(value)


def _dumps(value: Any) -> bytes:
    """``canonical`` for a value already known to hold no float or Decimal."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_reject).encode("utf-8")


def _no_float(text: str) -> Any:
    raise ValueError(f"journal bodies never hold floats ({text})")


def _parse_checked(text: str) -> Any:
    """Parse stored body text, refusing floats, NaN and Infinity while parsing (so that
    verifying a long chain need not walk each body again; keys of JSON are strings)."""
    return json.loads(text, parse_float=_no_float, parse_constant=_no_float)


def utc_stamp(moment: datetime) -> str:
    """UTC, microseconds, trailing Z: ``2026-11-25T03:23:14.000000Z``."""
    if moment.tzinfo is None:
        raise ValueError("journal timestamps must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_stamp(text: str) -> datetime:
    """The moment a ``utc_stamp`` names (timezone-aware, UTC)."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def envelope(terminal: str, seq: int, entry_id: str, type_: str, at: str, body: Mapping[str, Any]) -> dict[str, Any]:
    return {"at": at, "body": body, "id": entry_id, "seq": seq, "terminal": terminal, "type": type_}


def chain_hash(prev_hash: str, env: Mapping[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + canonical(env)).hexdigest()


@dataclass(frozen=True)
class JournalEntry:
    terminal: str
    seq: int
    id: str
    type: str
    at: str  # utc_stamp
    body: str  # canonical JSON text of the body, exactly as hashed
    prev_hash: str
    hash: str

    def body_data(self) -> Any:
        return json.loads(self.body)

    def computed_hash(self) -> str:
        return chain_hash(
            self.prev_hash, envelope(self.terminal, self.seq, self.id, self.type, self.at, self.body_data())
        )


def make_entry(
    terminal: str, seq: int, entry_id: str, type_: str, at: datetime, body: Mapping[str, Any], prev_hash: str
) -> JournalEntry:
    """The entry of ``body``, chained to ``prev_hash``. The body is checked and serialised
    once; the envelope's text is that serialisation with the other fields around it (the
    same bytes as ``canonical(envelope(...))``, tests/db/test_commit_path.py)."""
    stamp = utc_stamp(at)
    body_text = canonical(body).decode("utf-8")
    return JournalEntry(
        terminal=terminal,
        seq=seq,
        id=entry_id,
        type=type_,
        at=stamp,
        body=body_text,
        prev_hash=prev_hash,
        hash=hashlib.sha256(
            prev_hash.encode("ascii") + b"\n" + envelope_text(terminal, seq, entry_id, type_, stamp, body_text)
        ).hexdigest(),
    )


_encode_str = encode_basestring  # what json.dumps(ensure_ascii=False) writes for a str


def envelope_text(terminal: str, seq: int, entry_id: str, type_: str, at: str, body_text: str) -> bytes:
    """``canonical(envelope(...))`` around a body already in canonical text: the envelope's
    keys in sorted order (at, body, id, seq, terminal, type), each value as json.dumps
    writes it. Anything but str fields and an int ``seq`` goes the long way."""
    if (
        type(seq) is int
        and isinstance(terminal, str)
        and isinstance(entry_id, str)
        and isinstance(type_, str)
        and isinstance(at, str)
    ):
        return (
            f'{{"at":{_encode_str(at)},"body":{body_text},"id":{_encode_str(entry_id)},"seq":{seq},'
            f'"terminal":{_encode_str(terminal)},"type":{_encode_str(type_)}}}'
        ).encode()
    return canonical(envelope(terminal, seq, entry_id, type_, at, json.loads(body_text)))


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str = ""
    last_hash: str = GENESIS
    where: str = ""  # a record other than an entry (e.g. "journal head") when it is the bad one
    note: str = ""  # what was not checked, on an OK

    def describe(self) -> str:
        if self.ok:
            note = f" ({self.note})" if self.note else ""
            return f"OK: {self.checked} entries verified, last hash {self.last_hash}{note}"
        if self.where:
            return f"BAD: {self.where}: {self.reason} ({self.checked} entries are good)"
        return f"BAD: entry {self.first_bad_seq}: {self.reason} ({self.checked} entries before it are good)"


def verify(
    entries: Iterable[JournalEntry],
    *,
    expected_count: int | None = None,
    after_seq: int = 0,
    after_hash: str = GENESIS,
) -> Verification:
    """Walk one terminal's entries in storage order and name the first one that is wrong.

    Catches an edited body or field (hash mismatch), a deleted or inserted entry (seq gap
    or broken link), reordering (seq out of order), and truncation when the caller knows
    how many entries there should be (``expected_count``, e.g. from HQ or a manifest).
    ``after_seq``/``after_hash`` continue a chain already verified up to that entry (HQ
    checks each pushed batch against the head it holds).
    """
    prev = after_hash
    expected_seq = after_seq + 1
    checked = 0
    for entry in entries:
        if entry.seq != expected_seq:
            return Verification(False, checked, entry.seq, f"expected sequence number {expected_seq}", prev)
        if entry.prev_hash != prev:
            return Verification(False, checked, entry.seq, "does not link to the entry before it", prev)
        try:
            data = _parse_checked(entry.body)
            same = _dumps(data).decode("utf-8") == entry.body
        except (ValueError, TypeError, RecursionError):  # RecursionError: nested past any body we write
            return Verification(False, checked, entry.seq, "body is not canonical JSON", prev)
        if not same:
            return Verification(False, checked, entry.seq, "body is not in canonical form", prev)
        env = envelope(entry.terminal, entry.seq, entry.id, entry.type, entry.at, data)
        if hashlib.sha256(prev.encode("ascii") + b"\n" + _dumps(env)).hexdigest() != entry.hash:
            return Verification(False, checked, entry.seq, "content does not match its hash", prev)
        prev = entry.hash
        expected_seq += 1
        checked += 1
    if expected_count is not None and checked < expected_count:
        return Verification(False, checked, checked + 1, f"missing: {expected_count - checked} entries truncated", prev)
    return Verification(True, checked, None, "", prev)


@dataclass(frozen=True)
class JournalHead:
    """Where the store says a terminal's journal ends: kept by a database trigger on every
    append, never moved back, and sealed with the installation key (``sealed`` is whether
    the seal matched, None when there was no key to check it with). See docs/trust.md."""

    seq: int
    hash: str
    sealed: bool | None = None


def verify_chain(
    entries: Iterable[JournalEntry],
    *,
    head: JournalHead | None,
    anchors: Mapping[int, str] | None = None,
) -> Verification:
    """``verify`` plus the checks that catch truncation: the chain must end exactly where
    its head says (and the head's seal must hold), and it must pass through every
    ``anchors`` entry (seq → hash) known from outside the store: a printed Z report, an
    earlier export's manifest, HQ."""
    wanted = dict(anchors or {})
    seen: dict[int, str] = {}

    def watch() -> Iterable[JournalEntry]:
        for entry in entries:
            if entry.seq in wanted:
                seen[entry.seq] = entry.hash
            yield entry

    result = verify(watch())
    if not result.ok:
        return result
    n, last = result.checked, result.last_hash
    for seq in sorted(wanted):
        if seq > n:
            return Verification(
                False,
                n,
                n + 1,
                f"missing: an anchor shows the journal reached entry {seq}; entries from here were removed",
                last,
            )
        if seen.get(seq) != wanted[seq]:
            return Verification(
                False, seq - 1, seq, "does not match its anchor's hash: the journal was rewritten up to here", last
            )
    if head is None:
        if n == 0:
            return result
        return Verification(
            False,
            n,
            None,
            "missing: it was deleted, so entries may have been removed from the end",
            last,
            where="journal head",
        )
    if head.seq > n:
        return Verification(
            False,
            n,
            n + 1,
            f"missing: the journal head says the journal goes to entry {head.seq}; "
            f"entries {n + 1} to {head.seq} were removed",
            last,
        )
    if head.seq < n:
        return Verification(
            False,
            head.seq,
            head.seq + 1,
            f"not covered by the journal head (which ends at entry {head.seq}): written behind Counter's back",
            last,
        )
    if head.hash != last:
        return Verification(False, n - 1, n, "does not match the hash the journal head recorded for it", last)
    if head.sealed is False:
        return Verification(
            False,
            n,
            None,
            "its seal does not match this installation's key: the head was rewritten",
            last,
            where="journal head",
        )
    note = "journal head seal not checked: no installation key" if head.sealed is None else ""
    return Verification(True, n, None, "", last, note=note)
