"""Routes of the forms slice: the forms as data, and a data-driven return's read and draft (SPT Masa PPh 21/26 and
Unifikasi, SPT Tahunan OP and Badan). Their submission is the submissions slice's."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from filing.calendar.errors import PeriodInvalid
from filing.corrections.errors import CorrectionUnderAudit
from filing.forms import service
from filing.forms.errors import AttachmentUnknown, FieldInvalid, FieldRequired, FieldUnknown, FormUnknown
from filing.forms.schemas import FormDraftUpdate, FormRead, FormReturnRead
from filing.responses import responses
from filing.returns.errors import (
    AmountNegative,
    AmountTooLarge,
    AmountTooPrecise,
    ReturnChanged,
    ReturnNotDraft,
    ReturnNotOwed,
)
from kit.auth import CurrentPrincipal, MissingScope, TaxpayerForbidden, TaxpayerNotChosen
from kit.dependencies import Uow
from kit.errors import Unauthorized
from kit.idempotency import Idempotency, IdempotencyInProgress, IdempotencyKeyReused, idempotent
from kit.replica import TaxpayerNotReplicated

router = APIRouter(prefix="/v1", tags=["forms"])

Form = Annotated[str, Path(pattern=r"^[a-z][a-z0-9-]*$", description="the form, e.g. spt-masa-pph21, "
                                                                     "spt-masa-pph-unifikasi, spt-tahunan-op, "
                                                                     "spt-tahunan-badan", examples=["spt-tahunan-op"])]
Period = Annotated[str, Path(description="YYYY-MM for a masa form, YYYY for an annual one", examples=["2025"])]
Npwp = Annotated[str | None, Query(pattern=r"^[0-9]{16}$", description="NPWP16; default: the token's only taxpayer")]
Idempotent = Annotated[Idempotency, idempotent()]
_AUTH = (Unauthorized, MissingScope, TaxpayerForbidden, TaxpayerNotChosen, FormUnknown, PeriodInvalid)


@router.get("/forms", response_model=list[FormRead], tags=["public"],
            summary="Public: the data-driven forms and their schemas (fields, attachments, payments)")
async def list_forms() -> list[FormRead]:
    return service.list_forms()


@router.get("/forms/{form}", response_model=FormRead, tags=["public"], summary="Public: one form's schema",
            responses=responses(FormUnknown))
async def get_form(form: Form) -> FormRead:
    return service.read_form(form)


@router.get("/returns/{form}/{period}", response_model=FormReturnRead,
            summary="A data-driven return of a period: its entries and what they compute to",
            description="The open version's entries and attachments, the amounts per KAP-KJS, the balance, and what "
                        "is still missing before it can be submitted. Scope `filing:read`.",
            responses=responses(*_AUTH))
async def get_return(form: Form, period: Period, principal: CurrentPrincipal, uow: Uow,
                     npwp: Npwp = None) -> FormReturnRead:
    return await service.get_return(uow, principal, npwp=npwp, form=form, period=period)


@router.put("/returns/{form}/{period}/draft", response_model=FormReturnRead,
            summary="Set the entries and attachments of a data-driven return's draft",
            description="Replaces the open version's entries (started if none: the Normal, or the next pembetulan "
                        "once a version is filed). Every field is checked against the form's schema (`details.path` "
                        "names the one refused); the form's required fields and attachments are checked at "
                        "submission. Scope `filing:draft`. Send `Idempotency-Key` to make a retry safe.",
            responses=responses(*_AUTH, TaxpayerNotReplicated, ReturnNotOwed, ReturnNotDraft, ReturnChanged,
                                CorrectionUnderAudit, FieldUnknown, FieldInvalid, FieldRequired, AttachmentUnknown,
                                AmountNegative, AmountTooPrecise, AmountTooLarge, IdempotencyInProgress,
                                IdempotencyKeyReused))
async def put_draft(form: Form, period: Period, body: FormDraftUpdate, principal: CurrentPrincipal, uow: Uow,
                    idem: Idempotent, npwp: Npwp = None) -> FormReturnRead:
    return await idem.run(200, lambda: service.update_draft(  # type: ignore[return-value]
        uow, principal, npwp=npwp, form=form, period=period, body=body))
