"""Words on customer documents: cut names, tax lines, what a return's total is called."""

from __future__ import annotations

from decimal import Decimal

import pytest

from counter.returns.receipt import short_name
from devices.escpos.encoder import _tax_label


@pytest.mark.parametrize(
    ("name", "cut"),
    [
        ("Men's Crew T-Shirt, Navy, Large", "Men's Crew T-Shirt…"),  # never "T-Shirt,:"
        ("Kettle", "Kettle"),
        ("Exactly twenty-four chr", "Exactly twenty-four chr"),
        ("Twenty-four characters!!", "Twenty-four characters!!"),
        ("Supercalifragilisticexpialidocious", "Supercalifragilisticexp…"),  # one long word: cut inside it
        ("Table lamp - brass base and shade", "Table lamp - brass base…"),
        ("Dining   chair,    oak", "Dining chair, oak"),  # spaces closed up
    ],
)
def test_a_name_is_cut_at_a_word_and_marked(name: str, cut: str) -> None:
    assert short_name(name, 24) == cut
    assert len(short_name(name, 24)) <= 24
    assert not short_name(name, 24).rstrip("…").endswith((",", "-", " "))


@pytest.mark.parametrize(
    ("code", "label", "said"),
    [
        ("A", "", "A 8.25%"),
        ("A", "A", "A 8.25%"),  # the code is not said twice
        ("A", "Sales tax", "A Sales tax 8.25%"),
        ("V", "VAT 20%", "V VAT 20%"),
    ],
)
def test_a_tax_line_says_its_code_once(code: str, label: str, said: str) -> None:
    rate = Decimal("0.2") if "20" in label else Decimal("0.0825")
    assert _tax_label(code, label, rate, "en_US") == said
