"""Customers at the service desk: contact details that are checked before they are kept,
duplicates offered instead of created, and changes kept as history.

Phone numbers are parsed and validated with ``phonenumbers`` (Google's libphonenumber)
and stored in E.164 (``+12175550142``), e-mail addresses with ``email-validator``
(syntax only: the counter is often offline, so no DNS look-up) and stored normalised.
An edit never overwrites silently: each changed field is a history row (old and new
value, who, when), and a change of address adds an address row, the newest being the
current one. The journal records *that* a customer was created or changed and which
fields, never the personal data itself (it is hash-chained and can never be erased).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from counter.errors import CounterError
from counter.i18n import LANGUAGES, N_, SOURCE_LANGUAGE, _, language
from counter.journal import EventType
from counter.money import ZERO
from counter.people.users import Permission, User
from counter.ports import Clock, UnitOfWork

#: In-store loyalty cards carry a 13-digit code in the GS1 range kept for in-store use (29…).
LOYALTY_PREFIX = "29"


class CustomerError(CounterError):
    """Customer details that cannot be kept as given."""


class DuplicateCustomer(CustomerError):
    """Another customer already has this phone number, e-mail address or card."""

    def __init__(self, existing: Customer, field: str) -> None:
        super().__init__(
            _(_DUPLICATE.get(field, "{name} already has this {field}.")).format(name=existing.name, field=field),
            _("Use that customer (Enter), or go back and check the details (Esc)."),
        )
        self.existing = existing
        self.field = field


@dataclass(frozen=True)
class Address:
    line1: str
    line2: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = "US"

    @property
    def lines(self) -> tuple[str, ...]:
        place = " ".join(p for p in (f"{self.city}," if self.city else "", self.region, self.postal_code) if p)
        return tuple(p for p in (self.line1, self.line2, place.strip(" ,")) if p)

    @property
    def one_line(self) -> str:
        return ", ".join(self.lines)


@dataclass(frozen=True)
class Customer:
    id: str
    name: str
    phone: str = ""  # E.164
    email: str = ""  # normalised
    loyalty_card: str = ""
    email_consent: bool = False
    address: Address | None = None
    created_at: datetime | None = None
    #: the language the customer reads their receipts and letters in; "" for the store's
    language: str = ""


@dataclass(frozen=True)
class ContactDetails:
    """What the desk typed, checked and normalised (build with ``checked``)."""

    name: str
    phone: str = ""
    email: str = ""
    loyalty_card: str = ""
    email_consent: bool = False
    address: Address | None = None
    language: str = ""  # "" for the store's (counter.i18n.LANGUAGES)

    @classmethod
    def checked(
        cls,
        name: str,
        phone: str = "",
        email: str = "",
        loyalty_card: str = "",
        email_consent: bool = False,
        address: Address | None = None,
        *,
        region: str = "US",
        language: str = "",
    ) -> ContactDetails:
        name = " ".join(name.split())
        if len(name) < 2:
            raise CustomerError(_("Type the customer's name."), _("First and last name, as the customer says it."))
        if len(name) > 120:
            raise CustomerError(_("The name is longer than 120 characters."), _("Shorten it."))
        phone_e164 = normalize_phone(phone, region) if phone.strip() else ""
        email_norm = normalize_email(email) if email.strip() else ""
        if not phone_e164 and not email_norm:
            raise CustomerError(
                _("A customer needs a phone number or an e-mail address."),
                _("Ask how the store can reach them about their case."),
            )
        card = check_loyalty_card(loyalty_card) if loyalty_card.strip() else ""
        if email_consent and not email_norm:
            raise CustomerError(
                _("Documents can be e-mailed only to an e-mail address."), _("Type the address, or untick.")
            )
        if address is not None:
            address = _checked_address(address)
        if language and language not in LANGUAGES:
            raise CustomerError(
                _("Counter has no documents in “{language}”.").format(language=language),
                _("Choose a language from the list, or the store's."),
            )
        return cls(name, phone_e164, email_norm, card, email_consent, address, language)


def normalize_phone(text: str, region: str = "US") -> str:
    """E.164, or CustomerError saying what is wrong with the number."""
    raw = text.strip()
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_possible_number(number):
        raise CustomerError(
            _("“{raw}” is not a phone number.").format(raw=raw),
            _("Type it with its area code, e.g. (217) 555-0142, or +44 20 7946 0018 for abroad."),
        )
    if not phonenumbers.is_valid_number(number):
        raise CustomerError(
            _("“{raw}” is not a phone number in use (the area code or exchange does not exist).").format(raw=raw),
            _("Check the digits with the customer."),
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str, region: str = "US") -> str:
    if not e164:
        return ""
    number = phonenumbers.parse(e164, region)
    fmt = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if phonenumbers.region_code_for_number(number) == region
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, fmt)


def normalize_email(text: str) -> str:
    raw = text.strip()
    try:
        # Local parts are case-sensitive on paper, never in practice: lower-case finds duplicates.
        return validate_email(raw, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        # the validator's own words are English: they are said on an English screen only
        said = (
            _("“{raw}” is not a valid e-mail address: {problem}.").format(raw=raw, problem=str(exc).rstrip("."))
            if language() == SOURCE_LANGUAGE
            else _("“{raw}” is not a valid e-mail address.").format(raw=raw)
        )
        raise CustomerError(said, _("Read it back to the customer letter by letter.")) from None


def looks_like_loyalty_card(text: str) -> bool:
    digits = text.strip()
    return digits.isdigit() and len(digits) == 13 and digits.startswith(LOYALTY_PREFIX)


def loyalty_check_digit(first12: str) -> str:
    total = sum(int(d) * (3 if n % 2 else 1) for n, d in enumerate(first12))
    return str((10 - total % 10) % 10)


def check_loyalty_card(text: str) -> str:
    code = text.strip().replace(" ", "")
    if not looks_like_loyalty_card(code) or loyalty_check_digit(code[:12]) != code[12]:
        raise CustomerError(
            _("“{text}” is not a loyalty card number.").format(text=text.strip()),
            _("Scan the card, or type the 13 digits under its barcode (they start with 29)."),
        )
    return code


def _checked_address(address: Address) -> Address:
    cleaned = Address(*(" ".join(getattr(address, f).split()) for f in Address.__dataclass_fields__))
    if not cleaned.line1:
        raise CustomerError(_("The address needs at least its first line."), _("Street and number."))
    if not cleaned.city:
        raise CustomerError(_("The address needs a city."), "")
    if len(cleaned.country) != 2 or not cleaned.country.isalpha():
        raise CustomerError(_("The country is a two-letter code, e.g. US."), "")
    return replace(cleaned, country=cleaned.country.upper(), region=cleaned.region.upper())


# --- commands ----------------------------------------------------------------------------


def create_customer(
    user: User,
    details: ContactDetails,
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
) -> Customer:
    """Record a new customer, unless one with the same phone, e-mail or card exists: then
    DuplicateCustomer carries the existing one, for the desk to offer instead."""
    _may_serve(user)
    with uow_factory() as uow:
        _refuse_duplicates(uow, details, None)
        now = clock.now()
        customer = Customer(
            str(uuid.uuid4()),
            details.name,
            details.phone,
            details.email,
            details.loyalty_card,
            details.email_consent,
            details.address,
            now,
            details.language,
        )
        # the customer's row and address are this entry's projection (counter.projection.cases);
        # the personal details go beside the entry, never into it
        private: dict[str, list[dict[str, Any]]] = {
            "customers": [_personal(details)],
            "customer_addresses": [_address_row(details.address)] if details.address is not None else [],
        }
        uow.journal.append(
            EventType.CUSTOMER_CREATED,
            {
                "customer_id": customer.id,
                "user": user.id,
                "has_phone": bool(details.phone),
                "has_email": bool(details.email),
                "has_card": bool(details.loyalty_card),
                "has_address": details.address is not None,
                "email_consent": details.email_consent,
                "language": details.language,
            },
            now,
            private,
        )
        uow.commit()
    return customer


def update_customer(
    user: User,
    customer_id: str,
    details: ContactDetails,
    reason: str,
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
) -> Customer:
    """Change contact details; every changed field becomes a history row, and a new
    address is added as the current one (the old ones stay)."""
    _may_serve(user)
    with uow_factory() as uow:
        old = uow.customers.get(customer_id)
        if old is None:
            raise CustomerError(_("That customer is no longer on file."), _("Look the customer up again."))
        _refuse_duplicates(uow, details, customer_id)
        now = clock.now()
        changed: dict[str, tuple[str, str]] = {}
        for name in ("name", "phone", "email", "loyalty_card"):
            before, after = getattr(old, name), getattr(details, name)
            if before != after:
                changed[name] = (before, after)
        if old.email_consent != details.email_consent:
            changed["email_consent"] = (_yes(old.email_consent), _yes(details.email_consent))
        if old.language != details.language:
            changed["language"] = (old.language, details.language)
        address_changed = details.address is not None and details.address != old.address
        if not changed and not address_changed:
            raise CustomerError(_("Nothing was changed."), _("Change a detail, or press Esc."))
        new = replace(
            old,
            name=details.name,
            phone=details.phone,
            email=details.email,
            loyalty_card=details.loyalty_card,
            email_consent=details.email_consent,
            address=details.address if address_changed else old.address,
            language=details.language,
        )
        fields = sorted(changed) + (["address"] if address_changed else [])
        personal = any(getattr(details, f) for f in ("name", "phone", "email", "loyalty_card") if f in changed)
        private: dict[str, list[dict[str, Any]]] = {
            "customers": [_personal(details)] if personal else [],
            "customer_changes": [
                {"old_value": before, "new_value": after, "reason": reason.strip()}
                for before, after in changed.values()  # in CHANGE_ORDER, as the projection
            ],
            "customer_addresses": (
                [{**_address_row(details.address), "reason": reason.strip() or "moved"}]
                if address_changed and details.address is not None
                else []
            ),
        }
        uow.journal.append(
            EventType.CUSTOMER_UPDATED,
            {
                "customer_id": customer_id,
                "user": user.id,
                "fields": fields,
                "email_consent": details.email_consent,
                "language": details.language,
                "has_phone": bool(details.phone),
                "has_email": bool(details.email),
                "has_card": bool(details.loyalty_card),
            },
            now,
            private,
        )
        uow.commit()
    return new


def _personal(details: ContactDetails) -> dict[str, str | None]:
    """The personal columns of a customer's row (never journaled)."""
    return {
        "name": details.name,
        "phone": details.phone or None,
        "email": details.email or None,
        "loyalty_card": details.loyalty_card or None,
    }


def _address_row(address: Address) -> dict[str, str]:
    return {f: getattr(address, f) for f in ("line1", "line2", "city", "region", "postal_code", "country")}


#: what DuplicateCustomer says, by the field it found taken
_DUPLICATE = {
    "phone number": N_("{name} already has this phone number."),
    "e-mail address": N_("{name} already has this e-mail address."),
    "loyalty card": N_("{name} already has this loyalty card."),
}


def _yes(flag: bool) -> str:  # stored in the customer's changes: English
    return "yes" if flag else "no"


def _may_serve(user: User) -> None:
    if not user.can(Permission.SELL):
        raise CustomerError(_("{name} may not serve customers.").format(name=user.name), _("Sign in as a cashier."))


def _refuse_duplicates(uow: UnitOfWork, details: ContactDetails, own_id: str | None) -> None:
    checks = (("phone number", "phone", details.phone), ("e-mail address", "email", details.email))
    for label, column, value in (*checks, ("loyalty card", "loyalty_card", details.loyalty_card)):
        if not value:
            continue
        existing = uow.customers.find_by(column, value)
        if existing is not None and existing.id != own_id:
            raise DuplicateCustomer(existing, label)


@dataclass(frozen=True)
class CustomerSummary:
    """What the desk shows next to a customer: store credit and what they owe."""

    store_credit: Decimal = ZERO
    account_owed: Decimal | None = None  # None: no house account
    account_limit: Decimal = ZERO
    open_cases: int = 0
    open_orders: int = 0
