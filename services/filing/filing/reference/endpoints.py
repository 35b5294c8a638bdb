"""Officers' routes of the reference slice: publish a year's days off and a month's KMK interest rates."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from filing.calendar.errors import PeriodInvalid
from filing.reference import service
from filing.reference.auth import ReferenceOfficer
from filing.reference.errors import (
    DayKindUnknown,
    DayListedTwice,
    DayOutsideYear,
    DaysMissing,
    DecreeAfterMonth,
    DecreeInFuture,
    InterestRatesDiffer,
    MonthTooFar,
    RateInvalid,
    RateNotPositive,
    RatesNotIncreasing,
    RateTooLarge,
    RateTooManyDecimals,
    YearTooFar,
)
from filing.reference.schemas import (
    CalendarPublicationRead,
    CalendarPublish,
    InterestRatesPublicationRead,
    InterestRatesPublish,
)
from filing.responses import responses
from filing.sanctions.errors import OfficerRequired
from kit.auth import MissingScope
from kit.clock import Clock
from kit.dependencies import Uow, runtime
from kit.errors import Unauthorized

officer_router = APIRouter(prefix="/internal/v1", tags=["reference data (officer)"])

Today = Annotated[Clock, runtime(Clock)]
_AUTH = (Unauthorized, MissingScope, OfficerRequired)


@officer_router.put(
    "/calendar/{year}", response_model=CalendarPublicationRead,
    summary="Officers (`filing:reference`): publish a year's days off (SKB 3 Menteri), used by every due date at once",
    description="The whole list of the year's national holidays, cuti bersama and election days off (Saturdays and "
                "Sundays are days off without being listed), with the SKB it comes from. The first list of a year is "
                "201 `published`; a different list later is 200 `revised` (a new revision, the earlier ones kept: an "
                "SKB can be amended); the list in force again is 200 `unchanged` and writes nothing. Published on "
                "`filing.events` as `WorkingCalendarPublished`.",
    responses={201: {"description": "the year's first list", "model": CalendarPublicationRead},
               **responses(*_AUTH, YearTooFar, DecreeInFuture, DaysMissing, DayOutsideYear, DayKindUnknown,
                           DayListedTwice)})
async def publish_calendar(year: Annotated[int, Path(ge=1900, le=9999)], body: CalendarPublish,
                           principal: ReferenceOfficer, uow: Uow, clock: Today,
                           response: Response) -> CalendarPublicationRead:
    published = await service.publish_calendar(uow, principal, clock, year=year, body=body)
    response.status_code = 201 if published.outcome == "published" else 200
    return published


@officer_router.put(
    "/interest-rates/{month}", response_model=InterestRatesPublicationRead,
    summary="Officers (`filing:reference`): publish a month's KMK interest rates, used by every interest at once",
    description="The five tiers of UU KUP sanctions and the imbalan bunga rate, percent per month as decimal "
                "strings, with the KMK's number and signing day. 201 `published`; the same again is 200 "
                "`unchanged`; other rates for a month already known (published, or packaged with the service) are "
                "409 `reference.interest_rates_differ`: a KMK is not amended. Published on `filing.events` as "
                "`InterestRatesPublished`.",
    responses={201: {"description": "the month's rates, stored now", "model": InterestRatesPublicationRead},
               **responses(*_AUTH, PeriodInvalid, MonthTooFar, DecreeInFuture, DecreeAfterMonth, RateInvalid,
                           RateNotPositive, RateTooManyDecimals, RateTooLarge, RatesNotIncreasing,
                           InterestRatesDiffer)})
async def publish_interest_rates(month: Annotated[str, Path(description="YYYY-MM", examples=["2026-02"])],
                                 body: InterestRatesPublish, principal: ReferenceOfficer, uow: Uow, clock: Today,
                                 response: Response) -> InterestRatesPublicationRead:
    published = await service.publish_interest_rates(uow, principal, clock, month=month, body=body)
    response.status_code = 201 if published.outcome == "published" else 200
    return published
