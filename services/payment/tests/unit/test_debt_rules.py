"""What a debt is (pure): the liability its KAP-KJS names, its kind, and its due date; and the legacy file read row by
row, each row imported or rejected with its stable code, the file's totals kept."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from kit.errors import AppError
from payment.debts.errors import LegacyFileEmpty, LegacyFileUnreadable, LegacyHeaderInvalid
from payment.debts.legacy import LegacyDebtRow, LegacyFile, Reconciliation, Rejection
from payment.debts.rules import debt_subject, due_date_for, is_pph29, kind_of, pph29_due_date, pph29_issued_on

HEADER = "npwp,kap_kjs,period,assessment_number,amount,issued_on,due_date,legacy_reference\r\n"
NPWP16 = "0012345674212300"  # '0' + NPWP15 01.234.567.4-212.300 (check digit 4: Luhn over 012345674)
NPWP15_PRINTED = "01.234.567.4-212.300"


@pytest.mark.parametrize("kap_kjs, period, number, strict, expected", [
    ("411211-300", "2026-09", "00001/101/26/001/26", False, ("stp", None, "00001/101/26/001/26")),
    ("411126-310", "2025", "00002/207/25/001/26", False, ("skpkb", None, "00002/207/25/001/26")),
    ("411211-320", None, "00003/207/25/001/26", True, ("skpkbt", None, "00003/207/25/001/26")),
    ("411125-200", "2018", None, True, ("spt_underpayment", "2018", None)),
    ("411621-300", None, "X-1", True, ("stp", None, "X-1")),
])
def test_a_debt_names_its_liability_as_a_billing_code_would(kap_kjs: str, period: str | None, number: str | None,
                                                             strict: bool, expected: tuple[str, ...]) -> None:
    subject = debt_subject(kap_kjs, period=period, assessment_number=number, strict=strict)
    assert (kind_of(subject), subject.period, subject.assessment_number) == expected


@pytest.mark.parametrize("kap_kjs, period, number, strict, code", [
    ("411618-100", None, None, True, "debt.not_a_debt"),
    ("411211-300", "2026-09", "1", True, "billing.period_not_applicable"),  # strict: exactly what the KJS takes
    ("411211-300", None, None, False, "billing.assessment_number_required"),
    ("411211-100", "2026-09", "1", False, "billing.assessment_number_not_applicable"),
    ("411211-999", None, "1", False, "billing.kjs_not_for_kap"),
])
def test_a_debt_the_rules_refuse(kap_kjs: str, period: str | None, number: str | None, strict: bool,
                                 code: str) -> None:
    with pytest.raises(AppError) as refused:
        debt_subject(kap_kjs, period=period, assessment_number=number, strict=strict)
    assert refused.value.code == code


@pytest.mark.parametrize("issued, due", [
    (date(2026, 11, 2), date(2026, 12, 2)), (date(2026, 1, 31), date(2026, 2, 28)),
    (date(2024, 1, 31), date(2024, 2, 29)), (date(2026, 12, 15), date(2027, 1, 15)),
])
def test_due_one_month_after_issue(issued: date, due: date) -> None:
    assert due_date_for(issued) == due


def read(body: str) -> tuple[list[LegacyDebtRow | Rejection], Reconciliation]:
    rows = LegacyFile((HEADER + body).encode())
    return list(rows), rows.reconciliation


def test_a_good_row_and_the_legacy_npwp15() -> None:
    [row], tally = read(f"{NPWP15_PRINTED},411211-300,,00012/107/19/001/20,2500000,2020-03-10,2020-04-10,L-1\r\n")
    assert isinstance(row, LegacyDebtRow)
    assert (row.line, row.npwp, row.kap_kjs, row.kind, row.amount, row.reference) == (
        2, NPWP16, "411211-300", "stp", Decimal(2500000), "L-1")
    assert (tally.file.rows, tally.file.amount) == (1, Decimal(2500000))


@pytest.mark.parametrize("line, code", [
    (f"{NPWP16},411211-300,,N,1,2020-03-10,2020-04-10,", "legacy_debt.reference_invalid"),
    (f"{NPWP16},411211-300,,N,1,2020-03-10,2020-04-10,{'R' * 129}", "legacy_debt.reference_invalid"),
    (f"{NPWP16},411211-300,,N,1,2020-03-10,2020-04-10,R\u202e1", "legacy_debt.reference_invalid"),
    ("0123456789012345,411211-300,,N,1,2020-03-10,2020-04-10,R", "legacy_debt.npwp_invalid"),
    ("01.234.567.9-212.300,411211-300,,N,1,2020-03-10,2020-04-10,R", "legacy_debt.npwp_invalid"),
    (f"{NPWP16},411211-300,,N,1,2020-3-10,2020-04-10,R", "legacy_debt.date_invalid"),
    (f"{NPWP16},411211-300,,N,1,20200310,2020-04-10,R", "legacy_debt.date_invalid"),
    (f"{NPWP16},411211-300,,N,1,2020-03-10,2020-03-09,R", "legacy_debt.due_before_issue"),
    (f"{NPWP16},411211-300,,N,0,2020-03-10,2020-04-10,R", "billing.amount_invalid"),
    (f"{NPWP16},411211-300,,N,1.5,2020-03-10,2020-04-10,R", "billing.amount_invalid"),
    (f"{NPWP16},411211-300,,N,1e3,2020-03-10,2020-04-10,R", "billing.amount_invalid"),
    (f"{NPWP16},411211-300,,N,1.000.000,2020-03-10,2020-04-10,R", "billing.amount_invalid"),
    (f"{NPWP16},411211-300,,N,1,2020-03-10,2020-04-10", "legacy_debt.columns"),
    (f"{NPWP16},411618-100,,,1,2020-03-10,2020-04-10,R", "debt.not_a_debt"),
])
def test_a_bad_row_is_rejected_with_its_code_and_still_counted(line: str, code: str) -> None:
    [row], tally = read(line + "\r\n")
    assert isinstance(row, Rejection) and row.code == code and row.line == 2
    assert tally.file.rows == 1


def test_a_repeated_reference_and_blank_lines() -> None:
    body = (f"{NPWP16},411211-300,,A,1,2020-03-10,2020-04-10,R\r\n\r\n , , ,,,,,\r\n"
            f"{NPWP16},411211-300,,B,2,2020-03-10,2020-04-10,R\r\n")
    rows, tally = read(body)
    assert [type(r).__name__ for r in rows] == ["LegacyDebtRow", "Rejection"]
    assert isinstance(rows[1], Rejection) and (rows[1].code, rows[1].line) == ("legacy_debt.reference_repeated", 5)
    assert (tally.file.rows, tally.file.amount) == (2, Decimal(3))


def test_the_reconciliation_balances_and_keeps_unreadable_amounts_apart() -> None:
    tally = Reconciliation(listed_rejections_max=1)
    for kap_kjs, amount in [("411211-300", Decimal(10)), ("411211-300", None), ("x", Decimal("-2.5"))]:
        tally.saw(kap_kjs, amount)
    tally.count("imported", "411211-300", Decimal(10))
    tally.reject(Rejection(3, "R2", "411211-300", None, "billing.amount_invalid", "?"))
    assert not tally.balanced  # the third row has no outcome yet
    tally.reject(Rejection(4, "R3", "x", Decimal("-2.5"), "billing.kap_kjs_invalid", "?"))
    assert tally.balanced and tally.unreadable_amounts == 1
    assert (tally.file.rows, tally.file.amount) == (3, Decimal("7.5"))
    assert len(tally.rejections) == 1 and sum(tally.rejections_by_code.values()) == 2


@pytest.mark.parametrize("content, error", [
    (b"", LegacyFileEmpty),
    (b"\r\n", LegacyFileEmpty),
    (b"npwp,kap_kjs,amount,issued_on,due_date\r\n", LegacyHeaderInvalid),  # no legacy_reference, no period/number
    (HEADER.replace("legacy_reference", "legacy_reference,npwp").encode(), LegacyHeaderInvalid),
    (HEADER.encode("utf-16"), LegacyFileUnreadable),
    (b"\xff\xfe" + HEADER.encode(), LegacyFileUnreadable),
])
def test_a_file_that_is_not_a_legacy_export_is_refused_whole(content: bytes, error: type[AppError]) -> None:
    with pytest.raises(error):
        list(LegacyFile(content))


def test_the_header_may_come_in_any_order_with_a_bom_and_without_the_column_the_kap_kjs_does_not_need() -> None:
    content = ("\ufefflegacy_reference,AMOUNT,npwp,kap_kjs,assessment_number,issued_on,due_date\r\n"
               f"R,300,{NPWP16},411211-300,N,2020-03-10,2020-04-10\r\n").encode()
    [row] = list(LegacyFile(content))
    assert isinstance(row, LegacyDebtRow) and (row.reference, row.amount) == ("R", Decimal(300))


# -- an annual SPT's PPh 29 ----------------------------------------------------------------------------------------
NO_DAYS_OFF_2029 = {2029: frozenset[date]()}


@pytest.mark.parametrize("kap_kjs, tax_year, calendar, due", [
    ("411125-200", "2025", None, date(2026, 3, 31)),  # individuals: 3 months after the year (Art 3(3)(b))
    ("411126-200", "2025", None, date(2026, 4, 30)),  # companies: 4 months (Art 3(3)(c))
    ("411125-200", "2024", None, date(2025, 4, 8)),  # 31 Mar 2025 Idul Fitri, then its days off and cuti bersama
    ("411126-200", "2024", None, date(2025, 4, 30)),
    ("411125-200", "2028", NO_DAYS_OFF_2029, date(2029, 4, 2)),  # a Saturday rolls to Monday
])
def test_pph29_is_due_by_the_annual_filing_deadline_rolled_to_a_working_day(
        kap_kjs: str, tax_year: str, calendar: dict[int, frozenset[date]] | None, due: date) -> None:
    assert is_pph29(kap_kjs)
    assert pph29_due_date(kap_kjs, tax_year, calendar) == due


def test_pph29_due_in_a_year_without_days_off_is_refused_not_guessed() -> None:
    with pytest.raises(AppError) as raised:
        pph29_due_date("411125-200", "2026")  # due 31 Mar 2027: no list of 2027's days off yet
    assert raised.value.code == "calendar.year_unknown"


@pytest.mark.parametrize("kap_kjs, pph29", [("411125-200", True), ("411126-200", True), ("411125-100", False),
                                            ("411211-100", False), ("411125-300", False)])
def test_only_the_annual_kurang_bayar_kjs_is_pph29(kap_kjs: str, pph29: bool) -> None:
    assert is_pph29(kap_kjs) is pph29


@pytest.mark.parametrize("declared_on, due, issued_on", [
    (date(2026, 3, 2), date(2026, 3, 31), date(2026, 3, 2)),  # declared before its due date
    (date(2026, 3, 31), date(2026, 3, 31), date(2026, 3, 31)),
    (date(2026, 12, 7), date(2026, 3, 31), date(2026, 3, 31)),  # a late return: owed since the due date
])
def test_a_pph29_debt_counts_from_its_declaration_or_its_due_date(declared_on: date, due: date,
                                                                  issued_on: date) -> None:
    assert pph29_issued_on(declared_on, due) == issued_on
