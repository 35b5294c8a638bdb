"""API models of the obligations slice."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from filing.calendar.schemas import DayOffRead
from filing.obligations.kinds import Obligation
from filing.obligations.status import ObligationStatus


class ObligationRead(BaseModel):
    obligation: Obligation
    period: str = Field(description="YYYY-MM (SPT Masa) or YYYY (SPT Tahunan)")
    nominal_due_date: date
    due_date: date | None = Field(description="effective due date; null when its year has no holiday list yet "
                                              "(see `calendar_problem`)")
    days_off: list[DayOffRead]
    basis: str
    status: ObligationStatus | None = Field(description="open, filed, late or overdue; null when it depends on an "
                                                        "effective due date not known yet")
    filed_on: date | None = Field(description="the day (WIB) the Normal return was filed")
    calendar_problem: str | None = Field(default=None, description="`calendar.year_unknown` when the due date "
                                                                   "could not be rolled")


class ObligationList(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    npwp: str
    from_period: str = Field(alias="from", serialization_alias="from")
    to_period: str = Field(alias="to", serialization_alias="to")
    today: date = Field(description="the day (WIB) the statuses are computed for")
    items: list[ObligationRead] = Field(description="in due-date order")
