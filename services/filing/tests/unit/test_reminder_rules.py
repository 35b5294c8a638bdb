"""Which reminders are due on a day, and for which deadlines (pure, the packaged 2025-2026 calendar)."""

from __future__ import annotations

from datetime import date

import pytest

from filing.calendar.workdays import WorkingCalendar
from filing.reminders.rules import plan

CALENDAR = WorkingCalendar.load()


@pytest.mark.parametrize("today, targets, candidates", [
    # SPT Masa PPN 2026-11 due Thu 31 Dec; 24-25 Dec are days off
    (date(2026, 12, 18), {"d7": date(2026, 12, 31), "d1": date(2026, 12, 21)},
     {"spt_masa_ppn 2026-11", "spt_tahunan_op 2025", "spt_tahunan_badan 2025"}),
    # a Saturday aims at what Friday did
    (date(2026, 12, 19), {"d7": date(2026, 12, 31), "d1": date(2026, 12, 21)},
     {"spt_masa_ppn 2026-11", "spt_tahunan_op 2025", "spt_tahunan_badan 2025"}),
    (date(2026, 12, 17), {"d7": date(2026, 12, 30), "d1": date(2026, 12, 18)},
     {"spt_tahunan_op 2025", "spt_tahunan_badan 2025"}),  # no masa deadline falls on a target
    # d1 before the OP deadline (Tue 31 Mar 2026), which is also February's SPT Masa PPN deadline; Good Friday 3 Apr
    (date(2026, 3, 30), {"d7": date(2026, 4, 9), "d1": date(2026, 3, 31)},
     {"spt_masa_ppn 2026-02", "spt_tahunan_op 2025", "spt_tahunan_badan 2025"}),
])
def test_targets_and_candidates(today: date, targets: dict[str, date], candidates: set[str]) -> None:
    p = plan(today, CALENDAR)
    assert {t.reminder: t.due for t in p.targets} == targets
    assert {t.reminder: t.days_left for t in p.targets} == {"d7": 7, "d1": 1}
    assert {f"{c.obligation.value} {c.period}" for c in p.candidates} == candidates
    assert p.skipped == ()


@pytest.mark.parametrize("today, on_target", [
    (date(2026, 3, 30), {"spt_masa_ppn 2026-02", "spt_tahunan_op 2025"}),  # both due Tue 31 Mar: d1
    (date(2026, 4, 21), {"spt_masa_ppn 2026-03", "spt_tahunan_badan 2025"}),  # both due Thu 30 Apr: d7
    (date(2026, 12, 18), {"spt_masa_ppn 2026-11"}),
])
def test_an_annual_deadline_off_target_concerns_only_extended_returns(today: date, on_target: set[str]) -> None:
    p = plan(today, CALENDAR)
    assert {f"{c.obligation.value} {c.period}" for c in p.candidates if c.on_target} == on_target
    assert all(c.annual for c in p.candidates if not c.on_target)


def test_a_target_in_a_year_without_calendar_is_skipped_never_guessed() -> None:
    p = plan(date(2026, 12, 30), CALENDAR)  # the 7th working day after is in 2027
    assert [(t.reminder, t.due) for t in p.targets] == [("d1", date(2026, 12, 31))]
    assert len(p.skipped) == 1 and p.skipped[0].startswith("reminder d7")
    assert "spt_masa_ppn 2026-11" in {f"{c.obligation.value} {c.period}" for c in p.candidates}


def test_a_day_in_a_year_without_calendar_sends_nothing() -> None:
    p = plan(date(2027, 1, 4), CALENDAR)
    assert p.targets == () and p.candidates == ()
    assert any(s.startswith("reminder d7") for s in p.skipped) and any(s.startswith("reminder d1") for s in p.skipped)
