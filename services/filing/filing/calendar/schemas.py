"""API models of the calendar slice."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from filing.calendar.workdays import DayOff, DayOffKind
from filing.obligations.deadlines import Deadline
from filing.obligations.kinds import Obligation


class DayOffRead(BaseModel):
    date: date
    kind: DayOffKind
    name: str

    @classmethod
    def of(cls, off: DayOff) -> DayOffRead:
        return cls(date=off.date, kind=off.kind, name=off.name)


class DeadlineRead(BaseModel):
    obligation: Obligation
    period: str = Field(description="YYYY-MM for a masa obligation, YYYY for an annual one")
    nominal_due_date: date = Field(description="the date the rule gives")
    due_date: date = Field(description="the effective date: the nominal one moved to the next working day")
    moved: bool
    days_off: list[DayOffRead] = Field(description="the days off that moved it, in date order")
    basis: str = Field(description="legal basis")

    @classmethod
    def of(cls, deadline: Deadline) -> DeadlineRead:
        return cls(obligation=deadline.obligation, period=str(deadline.period), nominal_due_date=deadline.nominal,
                   due_date=deadline.effective, moved=deadline.moved,
                   days_off=[DayOffRead.of(off) for off in deadline.days_off], basis=deadline.basis)


class WorkingCalendarRead(BaseModel):
    year: int
    days_off: list[DayOffRead] = Field(description="national holidays, cuti bersama and election days off of the "
                                                   "year (Saturdays and Sundays are days off too, not listed)")
