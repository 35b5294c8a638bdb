"""Public routes of the calendar slice, for front ends and PJAP: no token needed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from filing.calendar import service
from filing.calendar.errors import CalendarYearUnknown, PeriodInvalid
from filing.calendar.schemas import DeadlineRead, WorkingCalendarRead
from filing.obligations.errors import PeriodMismatch
from filing.obligations.kinds import Obligation
from filing.responses import responses

router = APIRouter(prefix="/v1", tags=["deadlines (public)"])


@router.get("/deadlines", response_model=DeadlineRead,
            summary="The due date of an obligation for a period: nominal, effective, and the days off between",
            description="Payment of a masa tax (the 15th), PPN payment and SPT Masa PPN (end of the next month), SPT "
                        "Masa PPh (the 20th), SPT Tahunan OP (31 March) and Badan (30 April), rolled to the next "
                        "working day (PMK-81/2024 Art 100). A year with no holiday list is refused, never guessed.",
            responses=responses(PeriodInvalid, PeriodMismatch, CalendarYearUnknown))
async def get_deadline(
    obligation: Annotated[Obligation, Query(description="what is due")],
    period: Annotated[str, Query(description="YYYY-MM (masa obligations) or YYYY (SPT Tahunan)",
                                 examples=["2025-02"])],
) -> DeadlineRead:
    return service.deadline(obligation, period)


@router.get("/working-calendar/{year}", response_model=WorkingCalendarRead,
            summary="The listed days off of a year (holidays, cuti bersama, election days)",
            responses=responses(CalendarYearUnknown))
async def get_working_calendar(year: Annotated[int, Path(ge=1900, le=9999)]) -> WorkingCalendarRead:
    return service.days_off(year)
