"""The PKP history rules, table-driven: the status on a day, what a decision records (the latest decision wins from
its date on), and the first day a decision may take effect."""

from __future__ import annotations

from datetime import date

import pytest

from identity.taxpayers.rules import Change, decision_changes, status_on

REG = date(2026, 3, 10)  # a registration day
D = date.fromisoformat


@pytest.mark.parametrize(("history", "day", "status"), [
    ([], REG, None),
    ([(REG, False)], date(2026, 3, 9), None),
    ([(REG, False)], REG, False),
    ([(REG, False), (REG, True)], REG, True),  # one date: the later recorded wins
    ([(REG, False), (D("2026-06-01"), True), (D("2026-05-01"), False)], D("2026-05-31"), False),
    ([(REG, False), (D("2026-06-01"), True), (D("2026-05-01"), False)], D("2026-06-01"), True),
])
def test_the_status_on_a_day_is_the_last_change_on_or_before_it(history: list[Change], day: date,
                                                                 status: bool | None) -> None:
    assert status_on(history, day) is status


@pytest.mark.parametrize(("history", "is_pkp", "effective", "recorded"), [
    # a plain decision
    ([(REG, False)], True, D("2026-06-01"), [(D("2026-06-01"), True)]),
    ([(REG, False)], True, REG, [(REG, True)]),
    # nothing to record: already that status from that date on
    ([(REG, False)], False, D("2026-06-01"), []),
    ([(REG, False), (D("2026-06-01"), True)], True, D("2026-07-01"), []),
    ([(REG, False), (REG, True)], True, REG, []),
    # the same status from an earlier date: moves the start back (it used to be ignored)
    ([(REG, False), (D("2026-06-01"), True)], True, D("2026-04-01"), [(D("2026-04-01"), True)]),
    # retroactive over a later decision: that date is restated with this decision's status, recorded first
    ([(REG, False), (D("2026-06-01"), True)], False, D("2026-05-01"),
     [(D("2026-06-01"), False), (D("2026-05-01"), False)]),
    ([(REG, False), (D("2026-05-01"), True), (D("2026-07-01"), False), (D("2026-09-01"), True)], False,
     D("2026-04-01"), [(D("2026-05-01"), False), (D("2026-09-01"), False), (D("2026-04-01"), False)]),
    # on a later date whose last change already agrees, nothing is restated
    ([(REG, False), (D("2026-06-01"), True), (D("2026-06-01"), False)], False, D("2026-05-01"), []),
    ([(REG, False), (D("2026-06-01"), False), (D("2026-06-01"), True)], False, D("2026-05-01"),
     [(D("2026-06-01"), False), (D("2026-05-01"), False)]),
])
def test_a_decision_records_what_makes_it_win_from_its_date(history: list[Change], is_pkp: bool, effective: date,
                                                            recorded: list[Change]) -> None:
    changes = decision_changes(history, is_pkp=is_pkp, effective_date=effective)
    assert changes == recorded
    after = history + changes
    for day in {effective, *(d for d, _ in history if d >= effective), date(2030, 1, 1)}:
        assert status_on(after, day) is is_pkp, day
    for day in (d for d, _ in history if d < effective):  # before its date, the history stands
        assert status_on(after, day) is status_on(history, day), day
