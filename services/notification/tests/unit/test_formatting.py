from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from notification.formatting import (
    formatter,
    label,
    long_date,
    moment,
    nullable,
    packaged_labels,
    percent,
    rupiah,
    schedule,
    tax_period,
)


@pytest.mark.parametrize("value, indonesian, english", [
    ("1234567", "Rp1.234.567,00", "IDR 1,234,567.00"),
    ("0", "Rp0,00", "IDR 0.00"),
    ("999", "Rp999,00", "IDR 999.00"),
    ("1000", "Rp1.000,00", "IDR 1,000.00"),
    ("1234567.5", "Rp1.234.567,50", "IDR 1,234,567.50"),
    ("112480000", "Rp112.480.000,00", "IDR 112,480,000.00"),
    ("0.005", "Rp0,01", "IDR 0.01"),  # half up, to the sen, for display only
    ("1000000000000", "Rp1.000.000.000.000,00", "IDR 1,000,000,000,000.00"),
    (Decimal("-2500"), "-Rp2.500,00", "-IDR 2,500.00"),
    (42, "Rp42,00", "IDR 42.00"),
])
def test_rupiah_reads_the_indonesian_way_in_indonesian(value: object, indonesian: str, english: str) -> None:
    assert rupiah(value, "id") == indonesian
    assert rupiah(value, "en") == english


def test_rupiah_refuses_floats_and_garbage() -> None:
    with pytest.raises(TypeError):
        rupiah(1.5, "id")
    with pytest.raises(ArithmeticError):
        rupiah("satu juta", "id")


@pytest.mark.parametrize("value, locale, expected", [
    ("2026-12-06", "id", "6 Desember 2026"),
    ("2026-12-06", "en", "6 December 2026"),
    (date(2027, 2, 28), "id", "28 Februari 2027"),
    ("2027-08-17", "id", "17 Agustus 2027"),
    ("2027-05-01", "en", "1 May 2027"),
])
def test_dates_have_month_names(value: object, locale: str, expected: str) -> None:
    assert long_date(value, locale) == expected


@pytest.mark.parametrize("value, locale, expected", [
    ("2026-12-06T07:05:00+00:00", "id", "6 Desember 2026 14.05 WIB"),
    ("2026-12-06T07:05:00+00:00", "en", "6 December 2026 14:05 WIB"),
    ("2026-12-31T17:30:00Z", "id", "1 Januari 2027 00.30 WIB"),  # past midnight in Jakarta: the next day
    ("2026-12-06T07:05:00", "en", "6 December 2026 14:05 WIB"),  # no zone: UTC, as events carry it
    (datetime(2026, 12, 6, 9, 5, tzinfo=timezone(timedelta(hours=9))), "id", "6 Desember 2026 07.05 WIB"),
])
def test_moments_read_in_western_indonesian_time(value: object, locale: str, expected: str) -> None:
    assert moment(value, locale) == expected


@pytest.mark.parametrize("value, indonesian, english", [
    ("2026-11", "Masa Pajak November 2026", "November 2026"),
    ("2026-03", "Masa Pajak Maret 2026", "March 2026"),
    ("2025", "Tahun Pajak 2025", "tax year 2025"),
])
def test_tax_periods(value: str, indonesian: str, english: str) -> None:
    assert tax_period(value, "id") == indonesian
    assert tax_period(value, "en") == english


@pytest.mark.parametrize("value, indonesian, english", [
    ("0.59", "0,59%", "0.59%"),
    ("2.5", "2,5%", "2.5%"),
    ("1", "1%", "1%"),
])
def test_percent_keeps_the_rate_as_given(value: str, indonesian: str, english: str) -> None:
    assert percent(value, "id") == indonesian
    assert percent(value, "en") == english


def test_labels_name_codes_per_language_and_unknown_codes_read_as_themselves() -> None:
    forms = formatter("label:form")
    assert forms("spt_masa_ppn", "id") == "SPT Masa PPN"
    assert forms("spt_masa_ppn", "en") == "VAT return (SPT Masa PPN)"
    assert forms("spt_masa_ppnbm_baru", "en") == "spt_masa_ppnbm_baru"  # a form added after this build
    reasons = label({"a": {"id": "satu", "en": "one"}, "b": {"id": "dua"}})
    assert reasons(["a", "b", "c"], "en") == "one, dua, c"  # no English: the Indonesian, then the code
    assert reasons([], "id") == "-"


def test_every_label_table_names_each_code_in_both_languages() -> None:
    for table, codes in packaged_labels().items():
        for code, names in codes.items():
            assert set(names) == {"id", "en"} and all(names.values()), (table, code)


def test_schedule_and_absent_values() -> None:
    rows = [{"number": 1, "due_date": "2027-01-15", "total": "1005900"},
            {"number": 2, "due_date": "2027-02-15", "total": "1005900"}]
    assert schedule(rows, "id") == "1. 15 Januari 2027: Rp1.005.900,00\n2. 15 Februari 2027: Rp1.005.900,00"
    assert schedule([], "en") == "-"
    assert nullable(rupiah)(None, "id") == "-" and nullable(rupiah)("1", "id") == "Rp1,00"


def test_unknown_formats_and_label_tables_raise() -> None:
    with pytest.raises(KeyError):
        formatter("roman")
    with pytest.raises(KeyError):
        formatter("label:no_such_table")
