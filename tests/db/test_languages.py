"""Who reads which language: a person's screen language and a customer's document language,
kept on the store file, journaled, and checked by ``journal verify`` (real store files)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select

from cli.journal import verify_report
from counter.desk.customers import ContactDetails, CustomerError, create_customer, update_customer
from counter.people.user_admin import UserAdminError, set_language
from counter.people.users import User
from db import schema as s
from db.desk_queries import get_customer
from db.engine import DB_FILENAME
from tests.db.support import TestStore


def fresh(shop: TestStore, first_name: str) -> User:
    """The person as the store file holds them now."""
    with shop.read_uow() as uow:
        user = uow.users.get(shop.user(first_name).id)
    assert user is not None
    return user


def test_a_person_chooses_their_own_screen_language(shop: TestStore) -> None:
    maria = shop.user("Maria")
    assert maria.language == ""  # the store's until chosen
    chosen = set_language(maria, maria.id, "de", uow_factory=shop.uow, clock=shop.clock)
    assert chosen.language == "de" and fresh(shop, "Maria").language == "de"
    with shop.db.read.connect() as conn:
        body = conn.execute(select(s.journal.c.body).where(s.journal.c.type == "UserLanguageSet")).scalar_one()
    assert '"language":"de"' in body.replace(" ", "") and maria.id in body
    set_language(maria, maria.id, "", uow_factory=shop.uow, clock=shop.clock)  # back to the store's
    assert fresh(shop, "Maria").language == ""


def test_only_an_administrator_chooses_for_someone_else(shop: TestStore) -> None:
    maria, sam, jordan = shop.user("Maria"), shop.user("Sam"), shop.user("Jordan")
    with pytest.raises(UserAdminError):
        set_language(maria, sam.id, "fr", uow_factory=shop.uow, clock=shop.clock)
    assert fresh(shop, "Sam").language == ""
    set_language(jordan, sam.id, "fr", uow_factory=shop.uow, clock=shop.clock)
    assert fresh(shop, "Sam").language == "fr"


@pytest.mark.parametrize("code", ["xx", "de_DE", "english", "en_XA"])
def test_a_language_counter_does_not_ship_is_refused(shop: TestStore, code: str) -> None:
    maria = shop.user("Maria")
    with pytest.raises(UserAdminError) as refused:
        set_language(maria, maria.id, code, uow_factory=shop.uow, clock=shop.clock)
    assert code in refused.value.message and refused.value.hint
    assert fresh(shop, "Maria").language == ""


def test_a_customers_document_language_is_kept_changed_with_history_and_verified(shop: TestStore) -> None:
    maria = shop.user("Maria")
    details = ContactDetails.checked("Amélie Durand", "(217) 555-0190", "", language="fr")
    amelie = create_customer(maria, details, uow_factory=shop.uow, clock=shop.clock)
    assert get_customer(shop.db.read, amelie.id).language == "fr"  # type: ignore[union-attr]
    shop.clock.advance(seconds=5)
    es = ContactDetails.checked("Amélie Durand", "(217) 555-0190", "", language="es")
    update_customer(maria, amelie.id, es, "asked for Spanish", uow_factory=shop.uow, clock=shop.clock)
    assert get_customer(shop.db.read, amelie.id).language == "es"  # type: ignore[union-attr]
    with shop.db.read.connect() as conn:
        rows = conn.execute(
            select(s.customer_changes.c.field, s.customer_changes.c.old_value, s.customer_changes.c.new_value).where(
                s.customer_changes.c.customer_id == amelie.id
            )
        ).all()
    assert rows == [("language", "fr", "es")]
    ok, lines = verify_report(shop.db)
    assert ok, lines
    with pytest.raises(CustomerError):
        ContactDetails.checked("Amélie Durand", "(217) 555-0190", "", language="it")


def test_a_customers_language_edited_in_the_file_is_found_by_verify(shop: TestStore, store_dir: Path) -> None:
    maria = shop.user("Maria")
    details = ContactDetails.checked("Hans Vogel", "(217) 555-0191", "", language="de")
    hans = create_customer(maria, details, uow_factory=shop.uow, clock=shop.clock)
    with sqlite3.connect(store_dir / DB_FILENAME) as conn:
        conn.execute("UPDATE customers SET language = 'es' WHERE id = ?", (hans.id,))
    ok, lines = verify_report(shop.db)
    assert not ok
    assert any("customers" in line for line in lines), lines
