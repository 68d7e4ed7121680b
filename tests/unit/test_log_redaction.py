"""What the log filter and the support bundle take out (issue #19, point 6): card numbers,
swipes, PINs, passwords, tokens, e-mail addresses and phone numbers; what they keep."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from counter.trust.carddata import luhn_ok
from counter.trust.redaction import CUSTOMER, REDACTED, CustomerScrubber, RedactingFilter, redact

VISA = "4111111111111111"
MASTERCARD_DASHED = "5500-0000-0000-0004"
AMEX_SPACED = "3782 822463 10005"
NOT_A_CARD = "4111111111111112"  # one digit off: fails the Luhn check
#: shaped as HQ's tokens ("Zq3" + secrets.token_urlsafe(32), hq/access.py), with all three kinds of
#: character; fixed, so that every test process names the same cases (pytest-xdist)
TOKEN = "Zq3hMUbQTYP622DXvlFRDJ4u53v0Y0gd_-DNR3fx6p99YA"
SHA = "b4488d3eecb6959ee54b9a5fcd83debcfc714c6a362b4b91148ac9aeed43ad13"
UUID = "13a9cdb7-e374-4045-9531-40192b39230d"


def test_the_sample_numbers_are_what_they_claim() -> None:
    assert luhn_ok(VISA) and luhn_ok(MASTERCARD_DASHED.replace("-", "")) and luhn_ok(AMEX_SPACED.replace(" ", ""))
    assert not luhn_ok(NOT_A_CARD)


@pytest.mark.parametrize("card", [VISA, MASTERCARD_DASHED, AMEX_SPACED])
def test_a_card_number_keeps_only_its_last_four_digits(card: str) -> None:
    out = redact(f"customer read out {card} at the desk")
    digits = card.replace(" ", "").replace("-", "")
    assert card not in out and digits not in out
    assert out == f"customer read out •••• {digits[-4:]} at the desk"


def test_a_number_that_fails_the_luhn_check_is_kept() -> None:
    assert redact(f"gift card serial {NOT_A_CARD}") == f"gift card serial {NOT_A_CARD}"


def test_swipes_go_whole_even_when_their_number_fails_the_luhn_check() -> None:
    out = redact(f"scan ;{VISA}=25121010000000000000? and %B{VISA}^DOE/JOHN^2512101?")
    assert VISA not in out and "2512101" not in out and "DOE/JOHN" not in out
    assert out.count("card swipe removed") == 2
    shaped = redact(f"raw ;{NOT_A_CARD}=2512101123? end")
    assert NOT_A_CARD not in shaped and "2512101123" not in shaped and shaped.endswith(" end")


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ("sign-in pin=1234 for u-1", "1234"),
        ("body {'user': 'u-1', 'pin': '4444'}", "4444"),
        ('body {"new_pin": "5555", "user": "u-2"}', "5555"),
        ("wrong PIN 9876 for Maria", "9876"),
        ("counter hq office-user --login ann --password hunter2!", "hunter2!"),
        ("password: correct horse", "correct"),
        ("GET /v1/sync Authorization: Bearer abc.DEF-123_xyz", "abc.DEF-123_xyz"),
        (f"hq_token={TOKEN}&store=S01", TOKEN),
        (f"enrolled; the token is {TOKEN}", TOKEN),
        ("counter sync enrol --code K7QM-2HXP-9RTA --hq https://hq.example", "K7QM-2HXP-9RTA"),
        ("code K7QM-2HXP-9RTA expires in 24 h", "K7QM-2HXP-9RTA"),
        ("posting to https://admin:s3cr3t-pw@hq.example:8765/v1", "s3cr3t-pw"),
        ("Cookie: counter_office=Ab9xYz01; theme=dark", "Ab9xYz01"),
        ("headers {'X-API-Key': 'k-live-778899'}", "k-live-778899"),
        ("api_key=sk_test_abcdef", "sk_test_abcdef"),
        ("client_secret: 'topsecretvalue'", "topsecretvalue"),
    ],
)
def test_secrets_are_redacted(line: str, secret: str) -> None:
    out = redact(line)
    assert secret not in out, out
    assert REDACTED in out or "[redacted token]" in out


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        (f"T01: OK: 99 entries verified, last hash {SHA}", SHA),
        (f"sale {UUID} committed", UUID),
        ("receipt S01-T01-000123 total $1,234.56 at 2026-12-07 07:18:05", "S01-T01-000123 total $1,234.56"),
        ("pull cursor 4521, 12 entries waiting", "pull cursor 4521, 12 entries waiting"),
        ("product 4006381333931 scanned", "4006381333931"),  # an EAN-13 is no card
        ("the pinned certificate of HQ", "the pinned certificate of HQ"),
    ],
)
def test_what_support_needs_is_kept(line: str, kept: str) -> None:
    assert kept in redact(line)


@pytest.mark.parametrize(
    ("line", "gone"),
    [
        ("desk: sent the letter to priya.raman@example.org", "priya.raman@example.org"),
        ("customer +12175550101 not found at HQ", "+12175550101"),
        ("call back (217) 555-0101 after 5", "555-0101"),
        ("call back 217-555-0101 after 5", "555-0101"),
        ("UK customer +44 20 7946 0958", "7946 0958"),
    ],
)
def test_contact_details_are_redacted(line: str, gone: str) -> None:
    out = redact(line)
    assert gone not in out and ("[e-mail]" in out or "[phone]" in out), out


def test_redacting_twice_changes_nothing() -> None:
    lines = [
        f"pin=1234 card {VISA} token {TOKEN} Authorization: Bearer abc",
        "{'pin': '4444'} --code K7QM-2HXP-9RTA priya@example.org +12175550101",
        f";{NOT_A_CARD}=25121? https://a:b@c.example",
    ]
    for line in lines:
        once = redact(line)
        assert redact(once) == once


@pytest.fixture
def file_log(tmp_path: Path) -> Iterator[tuple[logging.Logger, Path]]:
    """A real logger writing to a real file through the redacting filter, as app/logs.py sets it."""
    path = tmp_path / "test.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("counter.test.redaction")
    logger.propagate = False
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield logger, path
    logger.removeHandler(handler)
    handler.close()
    logger.propagate = True


def test_the_filter_redacts_the_message_with_its_arguments(file_log: tuple[logging.Logger, Path]) -> None:
    logger, path = file_log
    logger.warning("sign-in by %s with pin=%s paid with %s", "Maria", "1234", VISA)
    logger.info("enrolled with %r", {"token": TOKEN, "hq": "https://hq.example"})
    text = path.read_text(encoding="utf-8")
    assert "pin=1234" not in text and VISA not in text and TOKEN not in text
    assert "sign-in by Maria with pin=[redacted] paid with •••• 1111" in text
    assert "https://hq.example" in text


def test_the_filter_redacts_tracebacks_and_stacks(file_log: tuple[logging.Logger, Path]) -> None:
    logger, path = file_log

    pin, holder = str(8000 + 642), "/".join(["SMITH", "ANN"])  # made at run time: the source lines
    # quoted in the traceback hold neither

    def parse(pin: str, card: str) -> None:
        raise ValueError(f"could not parse pin={pin} card %B{card}^{holder}^2601 token={TOKEN}")

    try:
        parse(pin, VISA)
    except ValueError:
        logger.exception("unexpected input from %s", "the wedge")
    logger.error("where: %s", "here", stack_info=True)
    text = path.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text and "ValueError: could not parse pin=[redacted]" in text
    assert "8642" not in text and VISA not in text and "SMITH/ANN" not in text and TOKEN not in text
    assert "card swipe removed: •••• 1111" in text
    assert "Stack (most recent call last)" in text


def test_a_bad_format_string_is_written_redacted_not_lost(file_log: tuple[logging.Logger, Path]) -> None:
    logger, path = file_log
    logger.warning("pin=%s and %s", "1234")  # one argument short
    text = path.read_text(encoding="utf-8")
    assert "pin=[redacted]" in text and "1234" not in text


def test_the_scrubber_takes_the_stores_customers_out_in_any_case_and_spacing() -> None:
    scrub = CustomerScrubber(
        ["Marcus Bell", "418 Maple Avenue", "The kettle I bought stops heating after a minute.\nWants it repaired."],
        ["+12175550102"],
    ).scrub
    text = (
        "desk: MARCUS  BELL asked; lives at 418 maple avenue; said: the kettle I bought stops heating after a minute."
        " Call 217.555.0102 or (217) 555-0102. Marcus Bellamy and Bell's are someone else; 2175550199 too."
    )
    out = scrub(text)
    assert "BELL asked" not in out and "maple" not in out and "kettle" not in out
    assert "555.0102" not in out and "555-0102" not in out
    assert out.count(CUSTOMER) == 5, out
    assert "Marcus Bellamy" in out and "2175550199" in out
