"""Routes of the sanctions slice: an officer's sanction run of one deadline, and a taxpayer's STPs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from filing.calendar.errors import CalendarYearUnknown, PeriodInvalid
from filing.responses import responses
from filing.sanctions import service
from filing.sanctions.auth import OfficerClient
from filing.sanctions.errors import DeadlineNotPassed, OfficerRequired, RunInProgress, RunObligationUnsupported
from filing.sanctions.schemas import SanctionRunCreate, SanctionRunRead, StpRead
from kit.auth import CurrentPrincipal, MissingScope, TaxpayerForbidden, TaxpayerNotChosen
from kit.clock import Clock
from kit.dependencies import Uow, runtime
from kit.errors import Unauthorized

router = APIRouter(prefix="/v1", tags=["sanctions"])
officer_router = APIRouter(prefix="/internal/v1", tags=["sanctions (officer)"])

Today = Annotated[Clock, runtime(Clock)]


@officer_router.post("/sanction-runs", response_model=SanctionRunRead, status_code=201,
             summary="Issue the Art 7(1) STP of every owed return not filed by its deadline (officer)",
             description="For one deadline (obligation and period): every taxpayer who owes the return and has not "
                         "filed it by its effective due date (moved by an annual extension) gets one `not_filed` "
                         "STP (`late_filing` if filed late without one), published as `STPIssued`; the Art 7(2) "
                         "cases the registry knows (status `deceased`, `non_effective`) get none. Each return bears "
                         "one fine: a rerun issues nothing. The worker runs it by itself after each deadline. "
                         "Officer's or internal client token with `filing:officer`.",
             responses=responses(Unauthorized, OfficerRequired, MissingScope, RunObligationUnsupported,
                                 DeadlineNotPassed, RunInProgress, CalendarYearUnknown, PeriodInvalid))
async def start_sanction_run(body: SanctionRunCreate, principal: OfficerClient, uow: Uow,
                             clock: Today) -> SanctionRunRead:
    return await service.start_run(uow, principal, clock, body)


@router.get("/stps", response_model=list[StpRead],
            summary="The STPs issued to a taxpayer (fines and interest), oldest first",
            description="Scope `filing:read`.",
            responses=responses(Unauthorized, MissingScope, TaxpayerForbidden, TaxpayerNotChosen))
async def list_stps(principal: CurrentPrincipal, uow: Uow,
                    npwp: Annotated[str | None, Query(pattern=r"^[0-9]{16}$")] = None) -> list[StpRead]:
    return await service.list_stps(uow, principal, npwp=npwp)
