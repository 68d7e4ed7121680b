"""ZVT (PA00P015) bytes: APDUs, BCD numbers and the BMP fields of status information.

An APDU is ``CLASS INSTR LEN DATA``. ``LEN`` is one byte; a length above 254 is written
``FF`` followed by two bytes, low byte first. The data of most messages is a run of
*BMPs*: a one-byte tag followed by a value whose length the tag fixes (amount 6 bytes BCD,
trace 3 bytes BCD, ...), or an LLVAR/LLLVAR value whose length is written first as two or
three ``Fx`` bytes (``F1 F7`` = 17), or, for BMP ``06``, a BER-TLV container.

An unknown BMP tag has no known length, so the rest of the data cannot be read safely:
``parse_bmps`` stops there and returns what it read so far with ``complete=False``. A
caller that needs an amount from after that point then has no amount, rather than a
wrong one. A value that runs past the end of the data raises ``ZvtFormatError``.

Pure functions, no I/O: the link and the simulator both use them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ACK = b"\x80\x00\x00"  # "positive completion" acknowledgement, both directions


class ZvtFormatError(ValueError):
    """Bytes that are not a well-formed ZVT message."""


@dataclass(frozen=True)
class Apdu:
    cls: int
    instr: int
    data: bytes = b""

    @property
    def command(self) -> tuple[int, int]:
        return (self.cls, self.instr)

    def encode(self) -> bytes:
        return encode_apdu(self.cls, self.instr, self.data)

    def __str__(self) -> str:
        return f"{self.cls:02X} {self.instr:02X} [{len(self.data)}] {self.data.hex(' ').upper()}"


def encode_apdu(cls: int, instr: int, data: bytes = b"") -> bytes:
    if len(data) > 0xFFFF:
        raise ZvtFormatError("APDU data longer than 65535 bytes")
    if len(data) < 0xFF:
        header = bytes([cls, instr, len(data)])
    else:
        header = bytes([cls, instr, 0xFF, len(data) & 0xFF, len(data) >> 8])
    return header + data


def header_size(head: bytes) -> int:
    """How many bytes the header has, given at least its first three (3 or 5)."""
    return 5 if head[2] == 0xFF else 3


def data_length(header: bytes) -> int:
    if len(header) >= 3 and header[2] != 0xFF:
        return header[2]
    if len(header) >= 5:
        return header[3] | header[4] << 8
    raise ZvtFormatError("APDU header too short")


def decode_apdu(raw: bytes) -> Apdu:
    """One complete APDU; raises ZvtFormatError when the length does not match the bytes."""
    if len(raw) < 3:
        raise ZvtFormatError("APDU shorter than its header")
    size = header_size(raw)
    if len(raw) < size:
        raise ZvtFormatError("APDU header too short")
    length = data_length(raw[:size])
    if len(raw) - size != length:
        raise ZvtFormatError(f"APDU length byte says {length}, {len(raw) - size} bytes follow")
    return Apdu(raw[0], raw[1], bytes(raw[size:]))


# --- BCD ------------------------------------------------------------------------------------


def bcd(value: int, size: int) -> bytes:
    """``value`` as ``size`` bytes of packed BCD (two digits a byte, most significant first)."""
    digits = str(value)
    if value < 0 or len(digits) > size * 2:
        raise ZvtFormatError(f"{value} does not fit in {size} BCD bytes")
    return bytes.fromhex(digits.zfill(size * 2))


def from_bcd(data: bytes) -> int:
    text = data.hex()
    if not text.isdigit():
        raise ZvtFormatError(f"not BCD: {data.hex(' ')}")
    return int(text) if text else 0


def bcd_digits(data: bytes) -> str:
    """BCD digits as text, keeping leading zeros; ``E`` nibbles (masked) become ``*``,
    an ``F`` nibble (filler) ends the number."""
    out = []
    for nibble in data.hex().upper():
        if nibble == "F":
            break
        out.append("*" if nibble == "E" else nibble)
    return "".join(out)


# --- variable lengths -----------------------------------------------------------------------


def ll_prefix(length: int, digits: int) -> bytes:
    text = str(length).zfill(digits)
    if len(text) > digits:
        raise ZvtFormatError(f"{length} bytes do not fit an {'L' * digits}VAR")
    return bytes(0xF0 | int(d) for d in text)


def read_ll(data: bytes, at: int, digits: int) -> tuple[int, int]:
    """Read an ``F<d>`` length prefix; returns (length, index after the prefix)."""
    if at + digits > len(data):
        raise ZvtFormatError("variable length runs past the end")
    length = 0
    for byte in data[at : at + digits]:
        if byte >> 4 != 0xF or byte & 0x0F > 9:
            raise ZvtFormatError(f"bad {'L' * digits}VAR length byte {byte:02X}")
        length = length * 10 + (byte & 0x0F)
    return length, at + digits


def ber_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    if length <= 0xFF:
        return bytes([0x81, length])
    return bytes([0x82, length >> 8, length & 0xFF])


def read_ber_length(data: bytes, at: int) -> tuple[int, int]:
    if at >= len(data):
        raise ZvtFormatError("TLV length missing")
    first = data[at]
    if first < 0x80:
        return first, at + 1
    count = first & 0x7F
    if count == 0 or count > 2 or at + 1 + count > len(data):
        raise ZvtFormatError("bad TLV length")
    return int.from_bytes(data[at + 1 : at + 1 + count], "big"), at + 1 + count


# --- BMPs -----------------------------------------------------------------------------------

#: fixed-length BMPs: tag -> bytes of value
FIXED: dict[int, int] = {
    0x01: 1,  # time-out
    0x02: 1,  # max. status infos
    0x03: 1,  # service byte
    0x04: 6,  # amount, BCD, minor units
    0x05: 1,  # pump number
    0x0B: 3,  # trace number, BCD
    0x0C: 3,  # time HHMMSS, BCD
    0x0D: 2,  # date MMDD, BCD
    0x0E: 2,  # expiry YYMM, BCD
    0x17: 2,  # card sequence number, BCD
    0x19: 1,  # payment type / status byte
    0x27: 1,  # result code
    0x29: 4,  # terminal id, BCD
    0x2A: 15,  # VU number, ASCII
    0x37: 3,  # trace number of the original transaction, BCD
    0x3A: 2,  # CVV/CVC
    0x3B: 8,  # AID / authorisation attribute
    0x3D: 3,  # password
    0x49: 2,  # currency code, BCD
    0x87: 2,  # receipt number, BCD
    0x88: 3,  # turnover record number, BCD
    0x8A: 1,  # card type (ZVT card-type id)
    0x8C: 1,  # card type id of the network operator
    0xA0: 1,  # result code AS
    0xAA: 3,  # date YYMMDD, BCD
    0xBA: 5,  # AID parameter
    0xD0: 1,
    0xD2: 1,
    0xD3: 1,
    0xE0: 1,
    0xE9: 1,
    0xEA: 1,
    0xEB: 8,
    0xF0: 1,
    0xF9: 1,
    0xFA: 1,
    0xFB: 1,
    0xFC: 1,
    0xFD: 1,
}
#: LLVAR BMPs (two ``Fx`` length bytes)
LLVAR = {0x22, 0x23, 0x2D, 0x8B, 0x92, 0xA7, 0xD1, 0xD4, *range(0xE1, 0xE9), *range(0xF1, 0xF9)}
#: LLLVAR BMPs (three ``Fx`` length bytes)
LLLVAR = {0x24, 0x2E, 0x3C, 0x60, 0x9A, 0xAF}
TLV_BMP = 0x06


@dataclass
class Bmps:
    """The BMPs of one message, by tag (the last one wins if a tag repeats)."""

    values: dict[int, bytes] = field(default_factory=dict)
    tlv: dict[int, bytes] = field(default_factory=dict)  # top-level tags of BMP 06
    complete: bool = True  # False: an unknown tag stopped the parse
    unknown_tag: int | None = None

    def get(self, tag: int) -> bytes | None:
        return self.values.get(tag)

    def number(self, tag: int) -> int | None:
        raw = self.values.get(tag)
        if raw is None:
            return None
        try:
            return from_bcd(raw)
        except ZvtFormatError:
            return None

    def text(self, tag: int) -> str:
        raw = self.values.get(tag)
        return "" if raw is None else raw.split(b"\x00", 1)[0].decode("cp437", "replace").strip()


def parse_bmps(data: bytes, start: int = 0) -> Bmps:
    out = Bmps()
    at = start
    while at < len(data):
        tag = data[at]
        at += 1
        if tag in FIXED:
            size = FIXED[tag]
            begin = at
        elif tag in LLVAR or tag in LLLVAR:
            size, begin = read_ll(data, at, 2 if tag in LLVAR else 3)
        elif tag == TLV_BMP:
            size, begin = read_ber_length(data, at)
        else:
            out.complete = False
            out.unknown_tag = tag
            return out
        if begin + size > len(data):
            raise ZvtFormatError(f"BMP {tag:02X} runs past the end of the message")
        value = bytes(data[begin : begin + size])
        if tag == TLV_BMP:
            out.tlv.update(parse_tlv(value))
        out.values[tag] = value
        at = begin + size
    return out


def encode_bmp(tag: int, value: bytes) -> bytes:
    if tag in FIXED:
        if len(value) != FIXED[tag]:
            raise ZvtFormatError(f"BMP {tag:02X} takes {FIXED[tag]} bytes")
        return bytes([tag]) + value
    if tag in LLVAR:
        return bytes([tag]) + ll_prefix(len(value), 2) + value
    if tag in LLLVAR:
        return bytes([tag]) + ll_prefix(len(value), 3) + value
    if tag == TLV_BMP:
        return bytes([tag]) + ber_length(len(value)) + value
    raise ZvtFormatError(f"unknown BMP {tag:02X}")


# --- BER-TLV (inside BMP 06) ------------------------------------------------------------------


def read_tag(data: bytes, at: int) -> tuple[int, int]:
    """A BER tag: one byte, or more when the low five bits are all set (``1F xx``)."""
    if at >= len(data):
        raise ZvtFormatError("TLV tag missing")
    tag = data[at]
    at += 1
    if tag & 0x1F == 0x1F:
        while True:
            if at >= len(data):
                raise ZvtFormatError("TLV tag runs past the end")
            tag = tag << 8 | data[at]
            at += 1
            if not data[at - 1] & 0x80:
                break
    return tag, at


def iter_tlv(data: bytes) -> list[tuple[int, bytes]]:
    """Top-level (tag, value) pairs in order; constructed tags are not opened."""
    out = []
    at = 0
    while at < len(data):
        tag, at = read_tag(data, at)
        length, at = read_ber_length(data, at)
        if at + length > len(data):
            raise ZvtFormatError(f"TLV tag {tag:X} runs past the end")
        out.append((tag, bytes(data[at : at + length])))
        at += length
    return out


def parse_tlv(data: bytes) -> dict[int, bytes]:
    return dict(iter_tlv(data))


def encode_tlv(tag: int, value: bytes) -> bytes:
    size = max(1, (tag.bit_length() + 7) // 8)
    return tag.to_bytes(size, "big") + ber_length(len(value)) + value


# --- values ---------------------------------------------------------------------------------


def amount_bmp(amount_minor: int) -> bytes:
    return encode_bmp(0x04, bcd(amount_minor, 6))


def masked_pan(last4: str, length: int = 16) -> bytes:
    """A PAN for BMP 22 as terminals send it: masked digits as ``E`` nibbles."""
    digits = "E" * (length - len(last4)) + last4
    if len(digits) % 2:
        digits += "F"
    return encode_bmp(0x22, bytes.fromhex(digits))


def pan_last4(raw: bytes | None) -> str:
    """The last four digits of a (masked) PAN from BMP 22; '' when they are not digits."""
    if not raw:
        return ""
    tail = bcd_digits(raw)[-4:]
    return tail if len(tail) == 4 and tail.isdigit() else ""
