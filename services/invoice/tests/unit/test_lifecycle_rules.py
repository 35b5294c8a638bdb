"""Pure lifecycle rules: the upload deadline and the late flag (tax-rules §3.6), the amounts of a Nota Retur (§3.8), the
input-tax window (§3.9); export number formatting."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest

from invoice.clock import JAKARTA
from invoice.export import _num
from invoice.lifecycle.errors import LifecycleInvalid
from invoice.lifecycle.rules import (
    Returned,
    check_input_tax_period,
    return_lines,
    return_totals,
    signed_late,
    upload_deadline,
    warnings_of,
)


def test_upload_deadline_is_the_20th_of_the_next_month() -> None:
    assert upload_deadline(date(2025, 9, 11)) == date(2025, 10, 20)  # §3.6 example
    assert upload_deadline(date(2025, 5, 27)) == date(2025, 6, 20)
    assert upload_deadline(date(2025, 12, 31)) == date(2026, 1, 20)


def test_late_is_judged_on_the_jakarta_date_of_signing() -> None:
    row = {"invoice_date": date(2025, 9, 11), "status": "signed"}
    assert warnings_of({**row, "signed_at": datetime(2025, 10, 14, tzinfo=UTC)}) == []  # §3.6: not late
    # 20 Oct 16:59 UTC is 20 Oct 23:59 in Jakarta: still on time; 17:00 UTC is 21 Oct there: late
    assert warnings_of({**row, "signed_at": datetime(2025, 10, 20, 16, 59, tzinfo=UTC)}) == []
    (late,) = warnings_of({**row, "signed_at": datetime(2025, 10, 20, 17, 0, tzinfo=UTC)})
    assert late["code"] == "invoice.late_upload" and late["deadline"] == "2025-10-20"


def test_export_numbers_have_no_trailing_zeros() -> None:
    assert [_num(Decimal(x)) for x in ("12.0000", "100000.50", "0.00", "183333.33", "2")] == \
        ["12", "100000.5", "0", "183333.33", "2"]


LINE = {"qty": Decimal("3"), "tax_base": Decimal("100000.00"), "other_tax_base": Decimal("91666.67"),
        "vat": Decimal("11000.00"), "stlg": Decimal("0.00")}


def test_a_return_takes_its_share_and_the_last_one_the_remainder() -> None:
    (first,) = return_lines({1: LINE}, {}, [{"line_no": 1, "qty": "1"}])
    assert (first["tax_base"], first["other_tax_base"], first["vat"]) == (Decimal("33333.33"), Decimal("30555.56"), Decimal("3666.67"))
    before = Returned(first["qty"], first["tax_base"], first["other_tax_base"], first["vat"], first["stlg"])
    (rest,) = return_lines({1: LINE}, {1: before}, [{"line_no": 1, "qty": "2"}])
    for field in ("tax_base", "other_tax_base", "vat", "stlg"):
        assert first[field] + rest[field] == LINE[field]
    assert return_totals([first, rest]) == {"dpp": Decimal("100000"), "dpp_other": Decimal("91667"), "ppn": Decimal("11000"),
                                            "ppnbm": Decimal("0")}


@pytest.mark.parametrize(("asked", "code"), [
    ([], "return.empty"), ([{"line_no": 2, "qty": "1"}], "return.line_unknown"),
    ([{"line_no": 1, "qty": "1"}, {"line_no": 1, "qty": "1"}], "return.line_repeated"),
    ([{"line_no": 1, "qty": "0"}], "return.qty_not_positive"), ([{"line_no": 1, "qty": "3.01"}],
                                                                  "return.qty_exceeds_invoiced"),
])
def test_a_return_that_breaks_a_rule_is_refused_with_its_code(asked: list[dict[str, str]], code: str) -> None:
    with pytest.raises(LifecycleInvalid) as refused:
        return_lines({1: LINE}, {}, asked)
    assert refused.value.code == code


@pytest.mark.parametrize(("action", "period", "code"), [
    ("credit", "2025-03", None), ("credit", "2025-06", None), ("credit", "2025-07", "input_tax.outside_window"),
    ("credit", "2025-02", "input_tax.outside_window"), ("reject", "2025-01", None),
    ("reject", "2026-01", "input_tax.period_in_future"), ("credit", "2026-01", "input_tax.outside_window"),
])
def test_input_tax_is_credited_within_three_periods_and_never_in_the_future(action: str, period: str,
                                                                           code: str | None) -> None:
    if code is None:
        check_input_tax_period(action, period, "2025-03", "2025-12")
    else:
        with pytest.raises(LifecycleInvalid) as refused:
            check_input_tax_period(action, period, "2025-03", "2025-12")
        assert refused.value.code == code


@pytest.mark.parametrize(("invoice_date", "signed_on", "deadline", "late"), [
    (date(2026, 2, 10), date(2026, 3, 20), date(2026, 3, 20), False),  # on the deadline
    (date(2026, 2, 10), date(2026, 3, 21), date(2026, 3, 20), True),
    (date(2026, 1, 31), date(2026, 2, 20), date(2026, 2, 20), False),
    (date(2025, 12, 5), date(2026, 1, 21), date(2026, 1, 20), True),  # over the year end
    (date(2026, 3, 1), date(2026, 3, 1), date(2026, 4, 20), False),
])
def test_a_faktur_signed_after_its_upload_deadline_is_late(invoice_date: date, signed_on: date, deadline: date,
                                                            late: bool) -> None:
    """The `late` of InvoiceSigned (UU KUP Art 14(4)), judged on the Jakarta day: 23:30 WIB is still that day."""
    signed_at = datetime.combine(signed_on, time(23, 30), JAKARTA)
    assert (upload_deadline(invoice_date), signed_late(invoice_date, signed_at)) == (deadline, late)
