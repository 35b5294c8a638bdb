"""The prefill's pure rules: what each invoice fact moves, merged per aggregate row in one key order; what voiding an
invoice takes back; amounts a taxpayer may enter; a status before the calendar of its year exists."""

from datetime import date
from decimal import Decimal

import pytest

from filing.obligations.status import ObligationStatus, status_before_calendar
from filing.returns.amounts import entered_amount
from filing.returns.errors import AmountNegative, AmountTooLarge, AmountTooPrecise
from filing.returns.prefill import (
    CANCELLED,
    PENDING,
    SIGNED,
    CreditFact,
    InputChange,
    InvoiceFact,
    OutputChange,
    ReturnFact,
    merge,
    taken_back,
    transaction_code_of,
)
from filing.returns.spt_masa_ppn import CodeAmounts

S, B = "1" * 16, "2" * 16


def amounts(dpp: int = 0, dpp_other: int = 0, ppn: int = 0, ppnbm: int = 0) -> CodeAmounts:
    return CodeAmounts(Decimal(dpp), Decimal(dpp_other), Decimal(ppn), Decimal(ppnbm))


INVOICE = InvoiceFact("i1", SIGNED, S, B, "04", "2026-02", amounts(1_000_000, 916_667, 110_000))
RETURN = ReturnFact("r1", "i1", S, B, "2026-03", "04", amounts(100_000, 91_667, 11_000), seller_counted=True,
                    buyer_counted=True)
CREDIT = CreditFact("i1", B, S, "credit", "2026-02", "2026-02", Decimal(110_000), Decimal(0), counted=True)


def test_the_transaction_code_is_the_first_two_digits_of_the_nsfp() -> None:
    assert transaction_code_of("04002500000000123") == "04"


def test_merge_sums_per_row_in_key_order_and_drops_rows_left_unchanged() -> None:
    a = OutputChange(S, "2026-02", "04", invoices=1, amounts=amounts(10, 9, 1))
    b = OutputChange(S, "2026-02", "01", invoices=1, amounts=amounts(20, 20, 2, 4))
    c = OutputChange(S, "2026-01", "04", returns=1, returned=amounts(5, 4, 1))
    assert merge([a, b, a, c, -c]) == [b, OutputChange(S, "2026-02", "04", invoices=2, amounts=amounts(20, 18, 2))]
    x, y = InputChange(B, "2026-03", credited_invoices=1, credited_ppn=Decimal(7)), InputChange(B, "2026-02", returns=1)
    assert merge([x, y]) == [y, x]
    assert merge([x, -x]) == []


def test_voiding_a_signed_invoice_takes_back_its_output_returns_and_credit() -> None:
    output, inputs = taken_back(INVOICE, [RETURN], CREDIT)
    assert output == [OutputChange(S, "2026-02", "04", invoices=-1, amounts=amounts(-1_000_000, -916_667, -110_000)),
                      OutputChange(S, "2026-03", "04", returns=-1, returned=amounts(-100_000, -91_667, -11_000))]
    assert inputs == [InputChange(B, "2026-02", credited_invoices=-1, credited_ppn=Decimal(-110_000)),
                      InputChange(B, "2026-03", returns=-1, returned_ppn=Decimal(-11_000))]


@pytest.mark.parametrize(("state", "counted"), [(PENDING, True), (CANCELLED, False)])
def test_voiding_takes_back_only_what_counted(state: str, counted: bool) -> None:
    invoice = InvoiceFact("i1", state, S, B, "04", None)
    ret = ReturnFact(**{**RETURN.__dict__, "seller_counted": counted, "buyer_counted": False})
    output, inputs = taken_back(invoice, [ret], None)
    assert output == ([-ret.seller_side()] if counted else [])
    assert inputs == []


@pytest.mark.parametrize(("entered", "kept"), [
    (Decimal("0"), Decimal("0.00")), (Decimal("1500000.5"), Decimal("1500000.50")),
    (Decimal("1.230"), Decimal("1.23")), (Decimal("9999999999999999.99"), Decimal("9999999999999999.99")),
])
def test_entered_amounts_keep_their_sen(entered: Decimal, kept: Decimal) -> None:
    assert entered_amount(entered, path="/x") == kept


@pytest.mark.parametrize(("entered", "error"), [
    (Decimal("-0.01"), AmountNegative), (Decimal("1.001"), AmountTooPrecise),
    (Decimal("10000000000000000"), AmountTooLarge), (Decimal("1E+40"), AmountTooLarge),
    (Decimal("NaN"), AmountTooLarge), (Decimal("Infinity"), AmountTooLarge),
])
def test_entered_amounts_a_return_cannot_carry_are_refused_with_their_path(entered: Decimal,
                                                                          error: type[Exception]) -> None:
    with pytest.raises(error) as raised:
        entered_amount(entered, path="/compensation")
    assert raised.value.details == {"path": "/compensation"}  # type: ignore[attr-defined]


NOMINAL = date(2027, 1, 31)


@pytest.mark.parametrize(("done_on", "today", "status"), [
    (None, date(2027, 1, 31), ObligationStatus.OPEN),
    (None, date(2027, 2, 1), None),  # overdue only if no day off moved the date: unknown without the calendar
    (date(2027, 1, 29), date(2027, 2, 5), ObligationStatus.FILED),
    (date(2027, 2, 1), date(2027, 2, 5), None),
])
def test_a_status_before_the_calendar_of_its_year_exists(done_on: date | None, today: date,
                                                        status: ObligationStatus | None) -> None:
    assert status_before_calendar(NOMINAL, done_on=done_on, today=today) is status
