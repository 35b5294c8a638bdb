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
    extended_by_months: int = Field(default=0, description="an SPT Tahunan extended under UU KUP Art 3(4): the due "
                                                           "dates are the extended ones")


class ObligationList(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    npwp: str
    from_period: str = Field(alias="from", serialization_alias="from")
    to_period: str = Field(alias="to", serialization_alias="to")
    today: date = Field(description="the day (WIB) the statuses are computed for")
    items: list[ObligationRead] = Field(description="in due-date order")


class ExtensionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    months: int = Field(default=2, description="1 or 2 (UU KUP Art 3(4))", examples=[2])


class ExtensionRead(BaseModel):
    npwp: str
    obligation: Obligation
    period: str = Field(description="the tax year")
    months: int
    original_due_date: date = Field(description="the effective due date without the extension")
    nominal_due_date: date = Field(description="extended, before rolling over days off")
    due_date: date = Field(description="the effective due date from now on (filing and the sanction run use it)")
    days_off: list[DayOffRead]
    requested_on: date
    basis: str
