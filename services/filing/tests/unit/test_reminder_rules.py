"""Which reminders are due on a day, and for which deadlines (pure, the packaged 2025-2026 calendar); and what a
worker that was down sends when it is back (the catch-up: the reminders still meaningful, each once)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from filing.calendar.workdays import WorkingCalendar
from filing.reminders.rules import plan, reminder_due, window

CALENDAR = WorkingCalendar.load()
DEC = {d: date(2026, 12, d) for d in range(1, 32)}


@pytest.mark.parametrize("days_left, reminder", [
    (-1, None),  # the due date passed: never a reminder after it
    (0, "d1"),  # the due date itself: still in time to file today
    (1, "d1"),  # d1's own day
    (2, "d7"), (6, "d7"),  # d7 late, still worth sending
    (7, "d7"),  # d7's own day
    (8, None), (30, None),  # too early
])
def test_the_reminder_a_return_is_owed_by_days_left(days_left: int, reminder: str | None) -> None:
    assert reminder_due(days_left) == reminder


# SPT Masa PPN 2026-11 is due Thu 31 Dec 2026; 24-25 Dec are days off
@pytest.mark.parametrize("today, expected", [
    (DEC[18], [("d1", 0, DEC[18]), ("d1", 1, DEC[21]), ("d7", 2, DEC[22]), ("d7", 3, DEC[23]), ("d7", 4, DEC[28]),
               ("d7", 5, DEC[29]), ("d7", 6, DEC[30]), ("d7", 7, DEC[31])]),
    # a Saturday: Friday's window less Friday (the same days left for every later date)
    (DEC[19], [("d1", 1, DEC[21]), ("d7", 2, DEC[22]), ("d7", 3, DEC[23]), ("d7", 4, DEC[28]), ("d7", 5, DEC[29]),
               ("d7", 6, DEC[30]), ("d7", 7, DEC[31])]),
    (DEC[17], [("d1", 0, DEC[17]), ("d1", 1, DEC[18]), ("d7", 2, DEC[21]), ("d7", 3, DEC[22]), ("d7", 4, DEC[23]),
               ("d7", 5, DEC[28]), ("d7", 6, DEC[29]), ("d7", 7, DEC[30])]),
])
def test_the_window_of_a_day(today: date, expected: list[tuple[str, int, date]]) -> None:
    targets, skipped = window(today, CALENDAR)
    assert [(t.reminder, t.days_left, t.due) for t in targets] == expected and skipped == ()


@pytest.mark.parametrize("today, candidates", [
    (DEC[18], {"spt_masa_ppn 2026-11", "spt_tahunan_op 2025", "spt_tahunan_badan 2025"}),
    (DEC[19], {"spt_masa_ppn 2026-11", "spt_tahunan_op 2025", "spt_tahunan_badan 2025"}),
    (DEC[22], {"spt_masa_ppn 2026-11", "spt_tahunan_op 2025", "spt_tahunan_badan 2025"}),  # d7 late: still in
    (DEC[31], {"spt_masa_ppn 2026-11", "spt_tahunan_op 2025", "spt_tahunan_badan 2025"}),  # the due date itself
    (DEC[17], {"spt_tahunan_op 2025", "spt_tahunan_badan 2025"}),  # 8 working days ahead: not yet
    (date(2026, 12, 1), {"spt_tahunan_op 2025", "spt_tahunan_badan 2025"}),  # October's (30 Nov) passed: never late
    # the OP deadline (Tue 31 Mar 2026) is also February's SPT Masa PPN deadline; Good Friday 3 Apr
    (date(2026, 3, 30), {"spt_masa_ppn 2026-02", "spt_tahunan_op 2025", "spt_tahunan_badan 2025"}),
])
def test_candidates(today: date, candidates: set[str]) -> None:
    p = plan(today, CALENDAR)
    assert {f"{c.obligation.value} {c.period}" for c in p.candidates} == candidates
    assert all(s.startswith("reminder d") for s in p.skipped)  # late December: only the days of 2027 are cut


@pytest.mark.parametrize("today, on_target", [
    (date(2026, 3, 30), {"spt_masa_ppn 2026-02", "spt_tahunan_op 2025"}),  # both due Tue 31 Mar
    (date(2026, 4, 21), {"spt_masa_ppn 2026-03", "spt_tahunan_badan 2025"}),  # both due Thu 30 Apr
    (DEC[18], {"spt_masa_ppn 2026-11"}),
    (date(2026, 4, 1), set()),  # OP passed yesterday: only an extended return can still be reminded
])
def test_an_annual_deadline_off_target_concerns_only_extended_returns(today: date, on_target: set[str]) -> None:
    p = plan(today, CALENDAR)
    assert {f"{c.obligation.value} {c.period}" for c in p.candidates if c.on_target} == on_target
    assert all(c.annual for c in p.candidates if not c.on_target)


def test_a_window_running_into_a_year_without_calendar_is_cut_never_guessed() -> None:
    p = plan(DEC[30], CALENDAR)  # the 2nd working day after is in 2027
    assert [(t.reminder, t.days_left, t.due) for t in p.targets] == [("d1", 0, DEC[30]), ("d1", 1, DEC[31])]
    assert len(p.skipped) == 1 and p.skipped[0].startswith("reminder d7 (2-7 working days ahead)")
    assert "spt_masa_ppn 2026-11" in {f"{c.obligation.value} {c.period}" for c in p.candidates}
    last = plan(DEC[31], CALENDAR)
    assert [(t.reminder, t.days_left) for t in last.targets] == [("d1", 0)]
    assert [s.split(":")[0] for s in last.skipped] == [
        "reminder d7 (2-7 working days ahead)", "reminder d1 (1 working days ahead)"]


def test_a_day_in_a_year_without_calendar_sends_nothing() -> None:
    p = plan(date(2027, 1, 4), CALENDAR)
    assert p.targets == () and p.candidates == ()
    assert any(s.startswith("reminder d7") for s in p.skipped) and any(s.startswith("reminder d1") for s in p.skipped)


def passes(up: list[date], due: date) -> dict[str, tuple[date, int]]:
    """What a worker running on the days `up` (and not between) sends for one return due `due`: each pass sends the
    reminders of its window for that date it has not sent yet (the unique table), as the service's insert does."""
    sent: dict[str, tuple[date, int]] = {}
    for day in up:
        for t in window(day, CALENDAR)[0]:
            if t.due == due and t.reminder not in sent:
                sent[t.reminder] = (day, t.days_left)
    return sent


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@pytest.mark.parametrize("up, sent", [
    # up every day: each on its own day
    (days(DEC[1], DEC[31]), {"d7": (DEC[18], 7), "d1": (DEC[30], 1)}),
    # down 17-21 December (over d7's day): d7 on its return, 5 working days left; d1 on time
    (days(DEC[1], DEC[16]) + days(DEC[22], DEC[31]), {"d7": (DEC[22], 5), "d1": (DEC[30], 1)}),
    # down on the Friday only: Saturday's window still has 7 working days to the due date
    (days(DEC[1], DEC[17]) + days(DEC[19], DEC[31]), {"d7": (DEC[19], 7), "d1": (DEC[30], 1)}),
    # back on a day off (Christmas): d7, 4 working days left
    ([DEC[24], DEC[30]], {"d7": (DEC[24], 4), "d1": (DEC[30], 1)}),
    # down from 17 December, back on d1's day: d1 alone, never d7 as well
    (days(DEC[1], DEC[16]) + [DEC[30], DEC[31]], {"d1": (DEC[30], 1)}),
    # back only on the due date: d1, 0 working days left (it can still be filed in time today)
    (days(DEC[1], DEC[16]) + [DEC[31]], {"d1": (DEC[31], 0)}),
    # d7 on time, down over d1's day, back on the due date: d1 then
    (days(DEC[1], DEC[18]) + [DEC[31]], {"d7": (DEC[18], 7), "d1": (DEC[31], 0)}),
    # back after the due date: nothing, ever
    (days(DEC[1], DEC[16]) + [date(2026, 12, 31) + timedelta(days=1)], {}),
])
def test_a_worker_that_was_down_sends_what_is_still_meaningful_once(up: list[date],
                                                                    sent: dict[str, tuple[date, int]]) -> None:
    up = [d for d in up if CALENDAR.covers(d.year)]
    assert passes(up, DEC[31]) == sent
