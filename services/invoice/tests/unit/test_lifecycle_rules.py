"""Pure lifecycle rules: the upload deadline and the late flag (tax-rules §3.6), export number formatting."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from invoice.export import _num
from invoice.lifecycle import upload_deadline, warnings_of


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
