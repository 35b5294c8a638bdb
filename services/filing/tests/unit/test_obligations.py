"""Which returns a taxpayer owes (kind and PKP periods) and the status of an obligation."""

from datetime import date

import pytest

from filing.calendar.periods import TaxPeriod, TaxYear
from filing.obligations.kinds import Obligation as O
from filing.obligations.owed import PkpSpan, owed_returns, pkp_spans
from filing.obligations.status import ObligationStatus, obligation_status

M = TaxPeriod.parse


def owed(*args, **kwargs) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(o.obligation.value, str(o.period)) for o in owed_returns(*args, **kwargs)]


def test_a_pkp_owes_an_spt_masa_ppn_from_the_month_of_confirmation() -> None:
    # tax-rules.md §5.2: confirmed 10 Jun 2025, the first period is June
    assert owed("company", first=M("2025-05"), last=M("2025-07"), pkp=[PkpSpan(date(2025, 6, 10))]) == [
        ("spt_masa_ppn", "2025-06"), ("spt_masa_ppn", "2025-07"), ("spt_tahunan_badan", "2025")]


@pytest.mark.parametrize(("kind", "expected"), [
    ("individual", [("spt_tahunan_op", "2025"), ("spt_tahunan_op", "2026")]),
    ("company", [("spt_tahunan_badan", "2025"), ("spt_tahunan_badan", "2026")]),
    ("government", []),
])
def test_persons_and_companies_owe_their_annual_return(kind: str, expected: list[tuple[str, str]]) -> None:
    assert owed(kind, first=M("2025-01"), last=M("2026-02")) == expected


def test_annual_returns_are_owed_from_the_year_of_registration() -> None:
    assert owed("individual", first=M("2024-01"), last=M("2026-12"), registered_on=date(2025, 12, 30)) == [
        ("spt_tahunan_op", "2025"), ("spt_tahunan_op", "2026")]


@pytest.mark.parametrize(("changes", "owed_months"), [
    ([(date(2025, 6, 10), True), (date(2025, 9, 1), False)], ["2025-06", "2025-07", "2025-08"]),
    ([(date(2025, 6, 10), True), (date(2025, 9, 15), False)], ["2025-06", "2025-07", "2025-08", "2025-09"]),
    ([(date(2025, 7, 1), True), (date(2025, 7, 1), False)], []),  # revoked the day it started
    ([(date(2025, 7, 1), False), (date(2025, 7, 1), True)], ["2025-07", "2025-08", "2025-09"]),  # same day: order kept
    ([(date(2025, 8, 1), True), (date(2025, 6, 5), True)], ["2025-06", "2025-07", "2025-08", "2025-09"]),
    ([(date(2025, 9, 20), True), (date(2025, 7, 1), False), (date(2025, 6, 1), True)],
     ["2025-06", "2025-09"]),  # events arrive in any order
])
def test_pkp_spans_from_status_changes(changes: list[tuple[date, bool]], owed_months: list[str]) -> None:
    result = owed("government", first=M("2025-05"), last=M("2025-09"), pkp=pkp_spans(changes))
    assert result == [("spt_masa_ppn", m) for m in owed_months]


def test_an_empty_range_owes_nothing() -> None:
    assert owed_returns("company", first=M("2025-07"), last=M("2025-06"), pkp=[PkpSpan(date(2020, 1, 1))]) == []


def test_owed_returns_are_in_time_order() -> None:
    result = owed_returns("company", first=M("2025-11"), last=M("2026-01"), pkp=[PkpSpan(date(2025, 1, 1))])
    assert [(o.obligation, o.period) for o in result] == [
        (O.SPT_MASA_PPN, M("2025-11")), (O.SPT_MASA_PPN, M("2025-12")), (O.SPT_TAHUNAN_BADAN, TaxYear(2025)),
        (O.SPT_MASA_PPN, M("2026-01")), (O.SPT_TAHUNAN_BADAN, TaxYear(2026))]


DUE = date(2025, 4, 8)  # SPT Masa PPN Feb 2025, rolled over Idulfitri


@pytest.mark.parametrize(("done_on", "today", "status"), [
    (None, date(2025, 3, 31), ObligationStatus.OPEN),  # the nominal date has passed, the effective one has not
    (None, DUE, ObligationStatus.OPEN),
    (None, date(2025, 4, 9), ObligationStatus.OVERDUE),
    (date(2025, 4, 8), date(2025, 5, 1), ObligationStatus.FILED),
    (date(2025, 3, 1), date(2025, 3, 1), ObligationStatus.FILED),
    (date(2025, 4, 9), date(2025, 4, 9), ObligationStatus.LATE),
])
def test_obligation_status(done_on: date | None, today: date, status: ObligationStatus) -> None:
    assert obligation_status(DUE, done_on=done_on, today=today) is status
