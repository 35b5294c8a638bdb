"""The legacy import's staging, pure: the ids a staged row carries are those `debt_posting` derives, and the
reconciliation takes the database's counts for many rows at once."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from payment.debts.legacy import LegacyFile, Reconciliation, Rejection
from payment.debts.repository import STAGE_COLUMNS
from payment.debts.service import _staged_records
from payment.ledger.accounts import account_id, liability_account_id_hex, liability_key
from payment.ledger.postings import debt_posting

NPWP16 = "0012345674212300"
HEADER = "npwp,kap_kjs,period,assessment_number,amount,issued_on,due_date,legacy_reference\r\n"


@pytest.mark.parametrize("kap_kjs, period, number", [
    ("411211-300", None, "00012/107/19/001/20"),
    ("411125-200", "2019", None),
    ("411211-100", "2025-08", None),
])
def test_the_liability_id_without_its_key_is_the_key_s(kap_kjs: str, period: str | None, number: str | None) -> None:
    assert liability_account_id_hex(NPWP16, kap_kjs, period, number) == account_id(
        liability_key(NPWP16, kap_kjs, period=period, assessment_number=number)).hex


def test_a_staged_record_carries_the_ids_of_its_debt_s_recording_and_rejections_are_counted_on_the_way() -> None:
    body = (f"{NPWP16},411211-300,,N1,2500000,2020-03-10,2020-04-10,R1\r\n"
            f"{NPWP16},411211-300,,N2,x,2020-03-10,2020-04-10,R2\r\n"
            f"{NPWP16},411125-200,2019,,300000,2020-03-10,2020-04-10,R3\r\n")
    legacy = LegacyFile((HEADER + body).encode())
    rows, revenues = iter(legacy), {}  # type: ignore[var-annotated]
    first = _staged_records(rows, legacy.reconciliation, revenues, 1)
    rest = _staged_records(rows, legacy.reconciliation, revenues, 10)
    assert [len(first), len(rest), len(_staged_records(rows, legacy.reconciliation, revenues, 10))] == [1, 1, 0]
    assert legacy.reconciliation.rejections_by_code == {"billing.amount_invalid": 1}
    for record in first + rest:
        staged = dict(zip(STAGE_COLUMNS, record, strict=True))
        posting = debt_posting(debt_id=str(staged["id"]), npwp=NPWP16, kap_kjs=f"{staged['kap']}-{staged['kjs']}",
                               period=staged["period"], assessment_number=staged["assessment_number"],
                               amount=staged["amount"])
        [transfer] = posting.transfers
        assert (staged["transfer_id"], staged["liability_id"], staged["revenue_id"], staged["amount"]) == (
            transfer.id.hex, transfer.debit_account_id.hex, transfer.credit_account_id, transfer.amount)
        assert uuid.UUID(staged["id"]).version == 7
    assert [dict(zip(STAGE_COLUMNS, r, strict=True))["line"] for r in first + rest] == [2, 4]


def test_the_database_s_counts_add_to_the_reconciliation_and_the_first_rejected_rows_of_the_file_are_listed() -> None:
    tally = Reconciliation(listed_rejections_max=2)
    for amount in (Decimal(10), Decimal(20), Decimal(30), Decimal(40)):
        tally.saw("411211-300", amount)
    tally.reject(Rejection(5, "R5", "411211-300", Decimal(40), "billing.amount_invalid", "?"))  # while checking
    tally.add("imported", "411211-300", 1, Decimal(10))
    tally.add("rejected", "411211-300", 2, Decimal(50), code="legacy_debt.reference_conflict")
    assert tally.balanced and tally.rejections_by_code == {"legacy_debt.reference_conflict": 2,
                                                           "billing.amount_invalid": 1}
    tally.list_first([Rejection(line, "R", "411211-300", Decimal(20), "legacy_debt.reference_conflict", "?")
                      for line in (3, 4)])
    assert [r.line for r in tally.rejections] == [3, 4]
