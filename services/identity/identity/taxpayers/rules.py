"""PKP status history rules with no I/O.

A taxpayer's PKP history is a list of changes (effective date, is PKP), read the way every replica reads identity's
PKPStatusChanged events: by effective date, and on one date in the order recorded (the events' `sequence`); the
status on a day is the last change on or before it. An officer's decision "PKP (or not) from D" wins from D onward
over everything recorded before it, later dates included: it is written as the change at D plus, at each later date
whose status differs, a restatement of the decision's status (recorded after what it overrides, so it wins on that
date too). Replicas that read changes this way get the decision's answer without knowing which ones were restated.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

Change = tuple[date, bool]  # (effective date, is PKP)


def status_on(history: Sequence[Change], day: date) -> bool | None:
    """The status on `day` (None: before the first change). `history` in the order recorded."""
    status: bool | None = None
    for _, is_pkp in sorted((c for c in history if c[0] <= day), key=lambda c: c[0]):
        status = is_pkp
    return status


def decision_changes(history: Sequence[Change], *, is_pkp: bool, effective_date: date) -> list[Change]:
    """The changes that record a decision `is_pkp` from `effective_date` on `history` (in the order recorded), in the
    order to record them: the restatements at later dates, then the decision itself (last, so that it reads as the
    latest decision). Empty when the status already is `is_pkp` on every day from `effective_date` on."""
    last_of_day: dict[date, bool] = {}
    for effective, status in sorted(history, key=lambda c: c[0]):
        last_of_day[effective] = status
    restated = [(day, is_pkp) for day, status in sorted(last_of_day.items())
                if day > effective_date and status != is_pkp]
    if not restated and status_on(history, effective_date) == is_pkp:
        return []
    return [*restated, (effective_date, is_pkp)]
