"""What a confirmation gets (pure, `confirmations.rules`), and how a batch is cut into rounds so that applying it
together answers each confirmation as answering them one by one would."""

from __future__ import annotations

import uuid
from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from payment.confirmations.ntpn import ALPHABET, LENGTH, new_ntpn
from payment.confirmations.repository import CODE_COLUMNS
from payment.confirmations.rules import Checked, Code, Known, New, Refuse, Replay, decide, next_round, replayed

NOW = datetime(2026, 12, 10, 3, tzinfo=UTC)
SKEW = timedelta(minutes=5)
CODE = Code(id=uuid.uuid4(), code="012345678901234", npwp="0013121660091000", kap="411121", kjs="100",
            period="2026-11", assessment_number=None, amount=Decimal(500_000), origin="mandiri", spt_id=None,
            debt_id=None, status="active", expires_at=NOW + timedelta(days=7), paid_at=None, version=1)
ASKED = Checked(bank="bank-bri", code=CODE.code, amount=Decimal(500_000), reference="BRI-1", paid_at=NOW)


def known(reference: str = "BRI-1", bank: str = "bank-bri", **changes: object) -> Known:
    values: dict[str, object] = dict(
        id=uuid.uuid4(), ntpn="ABCDEFGHIJ123456", billing_code=CODE.code, npwp=CODE.npwp, bank_id=bank,
        bank_reference=reference, amount=CODE.amount, paid_at=NOW, confirmed_at=NOW, kap_kjs="411121-100",
        period="2026-11", assessment_number=None)
    return Known(**{**values, **changes})  # type: ignore[arg-type]


DECISIONS: list[tuple[str, Code | None, Checked, str]] = [
    ("an active code, the whole amount", CODE, ASKED, "new"),
    ("an unknown code", None, ASKED, "billing.not_found"),
    ("the paid code's own confirmation again", CODE.paid_by(known()), ASKED, "replay"),
    ("the paid code, another reference", CODE.paid_by(known("BRI-0")), ASKED, "confirmation.already_paid"),
    ("the paid code, another bank with the same reference", CODE.paid_by(known(bank="bank-bca")), ASKED,
     "confirmation.already_paid"),
    ("marked expired", replace(CODE, status="expired"), ASKED, "confirmation.billing_expired"),
    ("past its expiry, not marked yet", replace(CODE, expires_at=NOW), ASKED, "confirmation.billing_expired"),
    ("paid at its expiry", replace(CODE, expires_at=NOW + timedelta(hours=1)),
     replace(ASKED, paid_at=NOW + timedelta(hours=1)), "confirmation.billing_expired"),
    ("a rupiah short", CODE, replace(ASKED, amount=Decimal(499_999)), "confirmation.amount_mismatch"),
    ("a rupiah more", CODE, replace(ASKED, amount=Decimal(500_001)), "confirmation.amount_mismatch"),
    ("paid beyond the clock skew", CODE, replace(ASKED, paid_at=NOW + SKEW + timedelta(seconds=1)),
     "confirmation.paid_at_invalid"),
    ("paid within the clock skew", CODE, replace(ASKED, paid_at=NOW + SKEW), "new"),
    # the order of the checks: an expired code with a wrong amount is refused as expired
    ("expired and short", replace(CODE, status="expired"), replace(ASKED, amount=Decimal(1)),
     "confirmation.billing_expired"),
]


@pytest.mark.parametrize("why, code, asked, expected", DECISIONS, ids=[d[0] for d in DECISIONS])
def test_decide(why: str, code: Code | None, asked: Checked, expected: str) -> None:
    verdict = decide(code, asked, now=NOW, clock_skew=SKEW)
    if expected == "new":
        assert isinstance(verdict, New) and verdict.code == code
    elif expected == "replay":
        assert isinstance(verdict, Replay) and code is not None and verdict.payment == code.payment
    else:
        assert isinstance(verdict, Refuse) and verdict.error.code == expected


@pytest.mark.parametrize("change, differing", [
    ({}, None),
    ({"billing_code": "099999999999999"}, ["billing_code"]),
    ({"amount": Decimal(1)}, ["amount"]),
    ({"paid_at": NOW - timedelta(hours=1)}, ["paid_at"]),
    ({"amount": Decimal(1), "paid_at": NOW - timedelta(hours=1)}, ["amount", "paid_at"]),
])
def test_a_reference_confirmed_before_answers_only_the_same_confirmation(change: dict[str, object],
                                                                           differing: list[str] | None) -> None:
    refused = replayed(known(**change), ASKED)
    if differing is None:
        assert refused is None
    else:
        assert refused is not None and refused.code == "confirmation.bank_reference_reused"
        assert refused.details["fields"] == differing


def test_the_same_instant_in_another_timezone_is_the_same_confirmation() -> None:
    wib = ASKED.paid_at.astimezone(datetime.now().astimezone().tzinfo)
    assert replayed(known(), replace(ASKED, paid_at=wib)) is None


def _asked(code: str, reference: str) -> Checked:
    return replace(ASKED, code=code, reference=reference)


def test_a_round_takes_confirmations_sharing_nothing_and_keeps_batch_order_for_the_rest() -> None:
    a, b, c = "011111111111111", "022222222222222", "033333333333333"
    pending = [(0, _asked(a, "R1")), (1, _asked(b, "R2")), (2, _asked(a, "R1")),  # a retry of 0
               (3, _asked(c, "R2")),  # R2 again, for another code: waits behind 1
               (4, _asked(c, "R3")),  # code c: waits behind 3, which waits
               (5, _asked("044444444444444", "R4"))]
    first, rest = next_round(pending, {})
    assert [i for i, _ in first] == [0, 1, 5]
    second, rest = next_round(rest, {})
    assert [i for i, _ in second] == [2, 3]
    third, rest = next_round(rest, {})
    assert [i for i, _ in third] == [4] and rest == []


def test_one_debt_and_one_taxpayer_s_deposit_a_round() -> None:
    debt = uuid.uuid4()
    codes = {"011111111111111": replace(CODE, code="011111111111111", origin="bill", debt_id=debt),
             "022222222222222": replace(CODE, code="022222222222222", origin="bill", debt_id=debt),  # an instalment
             "033333333333333": replace(CODE, code="033333333333333", kap="411618", period=None),
             "044444444444444": replace(CODE, code="044444444444444", kap="411618", period=None),
             "055555555555555": replace(CODE, code="055555555555555", kap="411618", period=None,
                                        npwp="3171011708450001")}
    pending = [(i, _asked(code, f"R{i}")) for i, code in enumerate(codes)]
    first, rest = next_round(pending, codes)
    assert [i for i, _ in first] == [0, 2, 4]
    assert [i for i, _ in rest] == [1, 3]


def test_an_ntpn_is_sixteen_characters_of_its_alphabet_and_never_the_same() -> None:
    drawn = {new_ntpn() for _ in range(2_000)}
    assert len(drawn) == 2_000
    assert all(len(n) == LENGTH and set(n) <= set(ALPHABET) for n in drawn)
    assert set("".join(drawn)) == set(ALPHABET)  # every character occurs


def test_a_code_paid_is_the_code_with_its_payment_and_next_version() -> None:
    payment = known()
    assert CODE.paid_by(payment) == replace(CODE, status="paid", paid_at=payment.paid_at, version=CODE.version + 1,
                                            payment=payment)


def test_the_locked_code_s_columns_come_in_the_order_of_code_s_fields() -> None:
    """The service builds a Code from a `lock_codes` row by position."""
    assert tuple(f.name for f in fields(Code))[:len(CODE_COLUMNS)] == CODE_COLUMNS
    assert [f.name for f in fields(Code)][len(CODE_COLUMNS):] == ["payment"]
