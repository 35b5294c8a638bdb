"""Pure rules of the sanction run (late faktur, which deadlines run when, the registry's Art 7(2) cases), KSWP
(name matching, the result, the snapshot's digest) and SKB (decision due in working days, validity)."""

from datetime import date

import pytest

from filing.calendar.periods import TaxPeriod, TaxYear
from filing.kswp.rules import (
    NAME_MISMATCH,
    NPWP_INACTIVE,
    NPWP_NOT_FOUND,
    SPT_MASA_PPN_NOT_FILED,
    SPT_TAHUNAN_NOT_FILED,
    ReturnCheck,
    canonical,
    digest,
    letter_number,
    mask_npwp,
    names_match,
    result,
    verification_code,
)
from filing.obligations.kinds import Obligation as O
from filing.sanctions.rules import EXEMPT_STATUSES, FineExemption
from filing.sanctions.schedule import deadlines_to_run
from filing.skb.rules import decision_due, skb_number, valid_on, validity


def test_registry_statuses_that_waive_the_fine() -> None:
    assert EXEMPT_STATUSES == {"deceased": FineExemption.DECEASED,
                               "non_effective": FineExemption.NO_LONGER_IN_BUSINESS}


@pytest.mark.parametrize(("today", "expected"), [
    # 1 Apr 2026: the 4 months back whose deadline passed (Mar 2026 is due 30 Apr); OP 2025 (due 31 Mar) in its
    # window
    (date(2026, 4, 1), {(O.SPT_MASA_PPN, "2026-02"), (O.SPT_MASA_PPN, "2026-01"), (O.SPT_MASA_PPN, "2025-12"),
                        (O.SPT_TAHUNAN_OP, "2025")}),
    # 31 Mar 2026, the deadline itself: not yet
    (date(2026, 3, 31), {(O.SPT_MASA_PPN, "2026-01"), (O.SPT_MASA_PPN, "2025-12"), (O.SPT_MASA_PPN, "2025-11")}),
    # 1 Jul 2026: Badan 2025 (30 Apr) still in its 75-day window, OP 2025 (31 Mar) past it
    (date(2026, 7, 1), {(O.SPT_MASA_PPN, "2026-05"), (O.SPT_MASA_PPN, "2026-04"), (O.SPT_MASA_PPN, "2026-03"),
                        (O.SPT_TAHUNAN_BADAN, "2025")}),
])
def test_which_deadlines_the_worker_runs(today: date, expected: set[tuple[O, str]]) -> None:
    due = deadlines_to_run(today)
    assert {(d.obligation, str(d.period)) for d in due} == expected
    assert all(d.due < today and d.repeat_daily == (d.obligation is not O.SPT_MASA_PPN) for d in due)


@pytest.mark.parametrize(("requested", "on_record", "match"), [
    ("PT. Contoh Lontar", "PT Contoh Lontar", True),
    ("pt contoh   lontar", "PT CONTOH LONTAR", True),
    ("Ani Wijayá", "ANI WIJAYA", True),
    ("CV Contoh Lontar", "PT Contoh Lontar", False),
    ("PT Contoh", "PT Contoh Lontar", False),
    ("...", "...", False),  # nothing left to compare
])
def test_names_match_without_case_accents_or_punctuation(requested: str, on_record: str, match: bool) -> None:
    assert names_match(requested, on_record) is match


FILED = ReturnCheck("spt_tahunan_badan", "2024", "2025-04-30", owed=True, filed=True)
MISSING = ReturnCheck("spt_tahunan_badan", "2023", "2024-04-30", owed=True, filed=False)
NOT_OWED = ReturnCheck("spt_tahunan_badan", "2023", "2024-04-30", owed=False, filed=False)
MASA_MISSING = ReturnCheck("spt_masa_ppn", "2026-01", "2026-03-02", owed=True, filed=False)


@pytest.mark.parametrize(("kwargs", "reasons"), [
    (dict(known=True, status="active", name_matches=True, annual=[FILED, NOT_OWED], masa=None), []),
    (dict(known=True, status="active", name_matches=True, annual=[FILED, MISSING], masa=None),
     [SPT_TAHUNAN_NOT_FILED]),
    (dict(known=True, status="non_effective", name_matches=False, annual=[FILED], masa=[MASA_MISSING]),
     [NPWP_INACTIVE, NAME_MISMATCH, SPT_MASA_PPN_NOT_FILED]),
    (dict(known=True, status="active", name_matches=True, annual=[], masa=[]), []),  # nothing due yet
    (dict(known=False, status=None, name_matches=False, annual=[], masa=None), [NPWP_NOT_FOUND]),
])
def test_kswp_result(kwargs: dict, reasons: list[str]) -> None:
    checks, failed = result(**kwargs)
    assert failed == reasons
    assert [c["code"] for c in checks][:1] == ["npwp_active"]


def test_snapshot_digest_is_of_its_canonical_text() -> None:
    one = canonical({"b": [1, {"z": "é", "a": None}], "a": "x"})
    assert one == '{"a":"x","b":[1,{"a":null,"z":"é"}]}'
    assert digest(one) == digest(canonical({"a": "x", "b": [1, {"a": None, "z": "é"}]}))
    assert len(digest(one)) == 64


def test_numbers_and_codes() -> None:
    code = verification_code()
    assert len(code) == 20 and set(code) <= set("0123456789ABCDEFGHJKMNPQRSTVWXYZ") and code != verification_code()
    assert (letter_number(2026, 42), skb_number(2026, 7)) == ("KSWP-2026-000000042", "SKB-2026-000000007")
    assert mask_npwp("0123456789012345") == "************2345"


@pytest.mark.parametrize(("received", "due"), [
    (date(2026, 4, 15), date(2026, 4, 22)),  # Wednesday: Thu, Fri, Mon, Tue, Wed
    (date(2026, 4, 18), date(2026, 4, 24)),  # received on a Saturday: Mon..Fri
    (date(2026, 3, 13), date(2026, 3, 27)),  # over Nyepi, Idul Fitri and its cuti bersama
    (date(2025, 12, 24), date(2026, 1, 5)),  # over Christmas, its cuti bersama and New Year
])
def test_skb_decision_due_in_five_working_days(received: date, due: date) -> None:
    assert decision_due(received) == due


def test_skb_holds_to_the_end_of_the_tax_year() -> None:
    assert validity(date(2026, 4, 15), 2026) == (date(2026, 4, 15), date(2026, 12, 31))
    assert [valid_on(d, date(2026, 4, 15), date(2026, 12, 31)) for d in (
        date(2026, 4, 14), date(2026, 4, 15), date(2026, 12, 31), date(2027, 1, 1))] == [False, True, True, False]
    assert valid_on(date(2026, 5, 1), None, None) is False


def test_periods_used_by_the_tables() -> None:
    assert (str(TaxPeriod(2026, 2)), str(TaxYear(2025))) == ("2026-02", "2025")
