"""The chain check of a pushed batch: each entry continues the lane's hash chain, its body
is JSON without floats in canonical form, and its hash matches; the same checks, in the
same order and with the same reasons, as ``counter.journal.verify`` (a test holds the two
to agreeing), with each body parsed once and handed on to the projection."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from json.encoder import encode_basestring
from typing import Any

import orjson

from counter.journal import JournalEntry


class PushRefused(Exception):
    def __init__(self, status: int, error: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.extra = extra


def _no_float(text: str) -> Any:
    raise ValueError(f"journal bodies never hold floats ({text})")


_parse = json.JSONDecoder(parse_float=_no_float, parse_constant=_no_float).decode
_canonical = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def _has_float(value: Any) -> bool:
    kind = type(value)
    if kind is dict:
        value = value.values()
    elif kind is not list:
        return kind is float
    for v in value:
        kind = type(v)
        if kind is float or ((kind is dict or kind is list) and _has_float(v)):
            return True
    return False


#: Where a float may stand in compact JSON: a number with a fraction or exponent as a whole
#: value (after ``:``, ``,``, ``[`` or at the start; before ``,``, ``}``, ``]`` or at the
#: end), as orjson writes every float (``1.5``, ``1e+20``, ``-0.0``). A body without one
#: holds no float; one that seems to (a string's text can look alike) is walked.
_maybe_float = re.compile(r"(?:^|[:,\[])-?[0-9]+[.eE][-+0-9.eE]*(?:[,}\]]|$)").search


def _canonical_body(body: str) -> Any:
    """The parsed body when ``body`` is JSON without floats in canonical form; ValueError
    ("not canonical JSON") or _NotCanonical otherwise.

    Fast path: orjson parses and re-serialises (sorted keys, compact, UTF-8: the same
    bytes as ``counter.journal.canonical`` for every value without floats, which a test
    holds to); a body it gives back unchanged, holding no float, is canonical. Anything
    else (a difference, a float, a huge integer, a lone surrogate, deep nesting) is
    decided by the reference path: the standard library with floats refused while
    parsing, exactly as ``counter.journal.verify`` does."""
    try:
        data = orjson.loads(body)
        if orjson.dumps(data, option=orjson.OPT_SORT_KEYS) == body.encode("utf-8") and (
            _maybe_float(body) is None or not _has_float(data)
        ):
            return data
    except (ValueError, TypeError, RecursionError):
        pass
    data = _parse(body)
    if _canonical(data) != body:
        raise _NotCanonical
    return data


class _NotCanonical(Exception):
    pass


_quote = encode_basestring  # a str as JSON text, ensure_ascii=False (what _canonical does to a str)


def check_chain(entries: Sequence[JournalEntry], head_seq: int, head_hash: str) -> list[Any]:
    """Verify that ``entries`` continue the chain from (``head_seq``, ``head_hash``) and
    return each entry's parsed body, so that the projection need not parse it again.

    The same checks, in the same order and with the same reasons, as
    ``counter.journal.verify`` (a test holds the two to agreeing): seq order, the link to
    the entry before, a body that is JSON without floats and in canonical form, and the
    SHA-256 of the canonical envelope. Because the body text is checked to be exactly its
    canonical form, the envelope's canonical bytes are assembled around that text
    instead of serialising the parsed body a second time (JSON with sorted keys is
    compositional: the keys of the envelope are ``at, body, id, seq, terminal, type``).
    Raises ``PushRefused`` (422 ``chain_broken``) at the first bad entry."""
    prev = head_hash
    expected = head_seq + 1
    bodies: list[Any] = []
    sha256 = hashlib.sha256

    def broken(seq: int, reason: str) -> PushRefused:
        return PushRefused(422, "chain_broken", f"Entry {seq}: {reason}.", seq=seq)

    for e in entries:
        if e.seq != expected:
            raise broken(e.seq, f"expected sequence number {expected}")
        if e.prev_hash != prev:
            raise broken(e.seq, "does not link to the entry before it")
        try:
            data = _canonical_body(e.body)
        except _NotCanonical:
            raise broken(e.seq, "body is not in canonical form") from None
        except (ValueError, TypeError, RecursionError):
            raise broken(e.seq, "body is not canonical JSON") from None
        env = (
            f'{{"at":{_quote(e.at)},"body":{e.body},"id":{_quote(e.id)},"seq":{int(e.seq)},'
            f'"terminal":{_quote(e.terminal)},"type":{_quote(e.type)}}}'
        )
        if sha256(prev.encode("ascii") + b"\n" + env.encode("utf-8")).hexdigest() != e.hash:
            raise broken(e.seq, "content does not match its hash")
        bodies.append(data)
        prev = e.hash
        expected += 1
    return bodies
