"""Identity's pure rules, table-driven: names, contacts, login back-off, token resources, the legacy CSV, foreigners'
documents, AHU officers, allocated numbers, role scopes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from identity.contacts import email, mask, phone
from identity.models import Person, Taxpayer
from identity.names import same_name
from identity.numbers import COMPANY, FOREIGN_IDENTITY, FOREIGN_TAXPAYER, new_number, validate_npwp16
from identity.officer import legacy
from identity.registration.errors import PassportExpired, StayPermitExpired, UnknownCountry
from identity.registration.registries import Officer
from identity.registration.rules import check_foreigner, is_officer
from identity.registration.schemas import ForeignerApplication
from identity.roles import scopes_for
from identity.sessions.errors import InvalidGrant
from identity.sessions.rules import backoff_key, blocked_until, taxpayer_of
from kit.errors import ValidationFailed

TODAY = date(2026, 6, 1)


@pytest.mark.parametrize(("a", "b", "same"), [
    ("budi  SANTOSO", "Budi Santoso", True),
    ("Zoë O'Brien", "zoe o brien", True),
    ("Siti Rahayu", "Siti Rahayu ", True),
    ("Siti Rahayu", "Siti Rahayuu", False),
    ("王小明", "王小明", True),
])
def test_names_compare_as_registries_do(a: str, b: str, same: bool) -> None:
    assert same_name(a, b) is same


@pytest.mark.parametrize(("given", "stored"), [
    ("0812-3456-7890", "+6281234567890"), ("+62 812 3456 789", "+628123456789"), ("62 811 000 0000", "+628110000000"),
])
def test_phones_are_stored_in_e164(given: str, stored: str) -> None:
    assert phone(given) == stored


@pytest.mark.parametrize("bad", ["12345", "0212345678", "+1 202 555 0100", "08123"])
def test_not_an_indonesian_mobile_number(bad: str) -> None:
    with pytest.raises(ValueError):
        phone(bad)


def test_emails_keep_their_case_and_masks_show_enough_to_recognise() -> None:
    assert email(" Finance.Dept@LamaJaya.CO.ID ") == "Finance.Dept@LamaJaya.CO.ID"
    with pytest.raises(ValueError):
        email("not-an-email")
    assert mask("budi@example.id") == "bu**@example.id"
    assert mask("+6281234567890") == "+6281******890"


@pytest.mark.parametrize(("failures", "wait_s"), [(4, None), (5, 1), (6, 2), (9, 16), (20, 900)])
def test_login_back_off_doubles_after_the_free_failures_and_is_capped(failures: int, wait_s: int | None) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    until = blocked_until(failures, now, free_failures=5, max_backoff_s=900)
    assert until == (None if wait_s is None else now + timedelta(seconds=wait_s))


@pytest.mark.parametrize(("failures", "wait_s"), [(9, None), (10, 30), (11, 60), (14, 480), (15, 900), (60, 900),
                                                   (10_000, 900)])
def test_the_per_login_back_off_starts_later_waits_longer_and_is_capped(failures: int, wait_s: int | None) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    until = blocked_until(failures, now, free_failures=10, max_backoff_s=900, base_s=30)
    assert until == (None if wait_s is None else now + timedelta(seconds=wait_s))


@pytest.mark.parametrize(("login", "key"), [
    ("3171011708450001", "3171011708450001"),  # NIK (and a resident's NPWP)
    ("3171011708450001000000", "3171011708450001"),  # NITKU: counted with its NPWP
    ("0013121660091000", "0013121660091000"),
    ("9123456789012345", "9123456789012345"),  # a foreigner's identity number
    ("31710117084500010000001", "31710117084500010000001"), ("abc", "abc"),
])
def test_the_per_login_back_off_key(login: str, key: str) -> None:
    assert backoff_key(login) == key


@pytest.mark.parametrize(("resource", "npwp"), [
    ("urn:lontar:taxpayer:0013121660091000", "0013121660091000"),
    ("urn:lontar:taxpayer:001312166009100", None), ("urn:other:0013121660091000", None),
])
def test_the_taxpayer_a_token_request_names(resource: str, npwp: str | None) -> None:
    if npwp is None:
        with pytest.raises(InvalidGrant):
            taxpayer_of(resource)
    else:
        assert taxpayer_of(resource) == npwp


@pytest.mark.parametrize(("value", "parsed"), [
    ("ya", True), ("PKP", True), (" 1 ", True), ("tidak", False), ("", False), ("non-pkp", False), ("mungkin", None),
])
def test_legacy_yes_no(value: str, parsed: bool | None) -> None:
    if parsed is None:
        with pytest.raises(ValueError):
            legacy.parse_yes_no(value)
    else:
        assert legacy.parse_yes_no(value) is parsed


def test_legacy_rows_are_parsed_or_reported_line_by_line() -> None:
    rows = list(legacy.read("\ufeffnpwp15,name,kind,is_pkp,pkp_since,email,phone\n"
                            "010016103051000, PT Satu ,COMPANY,ya,2019-04-01, A@B.id ,\n"
                            "010016104051000,PT Dua,company,tidak,,,\n"
                            "010016103051000,PT Tiga,company,mungkin,,,\n"
                            "010016103051000,PT Empat,company,ya,01-04-2019,,\n"
                            "010016103051000,PT Lima,alien,tidak,,,\n", today=TODAY))
    first, second, third, fourth, fifth = rows
    assert first == legacy.LegacyRow(line=2, npwp15="010016103051000", npwp="0010016103051000", name="PT Satu",
                                     kind="company", is_pkp=True, pkp_since=date(2019, 4, 1), email="A@B.id",
                                     phone=None, address=None)
    assert isinstance(second, legacy.RowError) and (second.line, second.code) == (3, "legacy_import.npwp15_invalid")
    assert isinstance(third, legacy.RowError) and "is_pkp" in third.error and third.code == "legacy_import.is_pkp_invalid"
    assert isinstance(fourth, legacy.RowError) and (fourth.line, fourth.code) == (5, "legacy_import.date_invalid")
    assert isinstance(fifth, legacy.LegacyRow) and fifth.kind == "company"  # an unknown kind reads as a company
    with pytest.raises(ValidationFailed):
        list(legacy.read("npwp15,name\n010016103051000,PT Satu\n", today=TODAY))


def test_legacy_differences_ignore_an_email_missing_here() -> None:
    here = Taxpayer(name="PT Satu", email=None, is_pkp=True)
    row = next(legacy.read("npwp15,name,is_pkp,email\n010016103051000,PT Satu,ya,a@b.id\n", today=TODAY))
    assert isinstance(row, legacy.LegacyRow)
    assert legacy.differences(here, row) == {}
    here.name, here.is_pkp = "PT Satu Baru", False
    assert legacy.differences(here, row) == {"name": {"here": "PT Satu Baru", "legacy": "PT Satu"},
                                             "is_pkp": {"here": False, "legacy": True}}


def _foreigner(**overrides: object) -> ForeignerApplication:
    body: dict[str, object] = {
        "kind": "foreigner", "passport_number": "E12345678", "passport_country": "CHN", "nationality": "CHN",
        "passport_expiry": TODAY + timedelta(days=300), "full_name": "Zhang Wei", "birth_date": date(1980, 3, 4),
        "stay_permit_number": "2C11AB1234", "stay_permit_expiry": TODAY + timedelta(days=100),
        "email": "zw@example.cn", "phone": "+62 811 12345678", "password": "Passw0rdZhang"}
    return ForeignerApplication.model_validate({**body, **overrides})


@pytest.mark.parametrize(("overrides", "error"), [
    ({}, None),
    ({"passport_country": "XXX"}, UnknownCountry),
    ({"passport_expiry": TODAY}, PassportExpired),
    ({"stay_permit_expiry": TODAY - timedelta(days=1)}, StayPermitExpired),
    ({"stay_permit_number": None}, ValidationFailed),
    ({"stay_permit_number": None, "register_as_taxpayer": False}, None),  # an identity only, e.g. a foreign PIC
])
def test_foreigners_documents(overrides: dict[str, object], error: type[Exception] | None) -> None:
    countries = {"CHN": "China", "IDN": "Indonesia"}
    if error is None:
        check_foreigner(_foreigner(**overrides), today=TODAY, countries=countries)
    else:
        with pytest.raises(error):
            check_foreigner(_foreigner(**overrides), today=TODAY, countries=countries)


@pytest.mark.parametrize(("officer", "officer_is_pic"), [
    (Officer("SITI rahayu", "Direktur", nik="3171015708450001"), True),
    (Officer("Siti Rahayu", "Direktur", nik="3171015708450002"), False),
    (Officer("Siti Lestari", "Direktur", nik="3171015708450001"), False),
    (Officer("Siti Rahayu", "Komisaris", passport_number="e1234567", passport_country="SGP"), False),
])
def test_a_pic_must_be_an_officer_of_the_ahu_record(officer: Officer, officer_is_pic: bool) -> None:
    assert is_officer(officer, Person(full_name="Siti Rahayu", nik="3171015708450001")) is officer_is_pic


def test_a_foreign_officer_is_matched_by_passport() -> None:
    wang = Person(full_name="Wang Xiaoming", passport_number="E1234567", passport_country="CHN")
    assert is_officer(Officer("WANG Xiaoming", "Direktur", passport_number="e1234567", passport_country="CHN"), wang)
    assert not is_officer(Officer("Wang Xiaoming", "Direktur", passport_number="E1234567", passport_country="SGP"),
                          wang)


@pytest.mark.parametrize("prefix", [FOREIGN_IDENTITY, FOREIGN_TAXPAYER, COMPANY])
def test_allocated_numbers_are_valid_npwp16_of_their_type(prefix: str) -> None:
    for _ in range(50):
        number = new_number(prefix)
        assert number[:3] == "0" + prefix and validate_npwp16(number) == number


def test_role_scopes() -> None:
    assert "payroll:read" not in scopes_for(["drafter", "signer"])
    assert {"invoice:sign", "payroll:read"} <= set(scopes_for(["signer", "payroll_viewer"]))
    assert scopes_for([]) == []
