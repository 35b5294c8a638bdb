"""Use cases of the forms slice: read and draft a data-driven return (SPT Masa PPh 21/26 and Unifikasi, SPT Tahunan
OP and Badan). Submission is the submissions slice's, for every form; it reads the return through `current`."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from filing.assessments import service as assessments
from filing.calendar.periods import TaxPeriod, TaxYear
from filing.corrections.errors import CorrectionUnderAudit
from filing.corrections.rules import NORMAL, next_version, version_label
from filing.forms.schema import FormSchema, compute, form, forms, missing_fields, raw_schema, validate
from filing.forms.schemas import FormDraftUpdate, FormRead, FormReturnRead, PartRead
from filing.obligations.kinds import Obligation
from filing.registry import service as registry
from filing.registry.service import Registered
from filing.returns.errors import ReturnChanged, ReturnNotDraft, ReturnNotOwed
from filing.returns.repository import SptRepository, SptRow
from filing.returns.schemas import OpenReturnRead
from kit.auth import Principal, acting_taxpayer
from kit.db import UnitOfWork
from kit.replica import TaxpayerNotReplicated

READ, DRAFT = "filing:read", "filing:draft"
_ANNUAL_KIND = {Obligation.SPT_TAHUNAN_OP: "individual", Obligation.SPT_TAHUNAN_BADAN: "company"}


def form_code(path_form: str) -> str:
    """The form as routes spell it (`spt-masa-pph21`) -> its code (`spt_masa_pph21`)."""
    return path_form.replace("-", "_")


def list_forms() -> list[FormRead]:
    return [read_form(name) for name in sorted(forms())]


def read_form(name: str) -> FormRead:
    schema = form(form_code(name))
    return FormRead(form=schema.form, title=schema.title, obligation=schema.obligation.value,
                    period="annual" if schema.annual else "masa", schema=raw_schema(schema.form))


def owed(schema: FormSchema, taxpayer: Registered, period: TaxPeriod | TaxYear) -> bool:
    """An annual return is owed by its kind of taxpayer for every year from registration; an SPT Masa PPh by a
    registered withholder for every month from registration (filing does not know who withholds: it trusts the
    taxpayer who files one)."""
    if period.last_day < taxpayer.registered_on:
        return False
    kind = _ANNUAL_KIND.get(schema.obligation)
    return kind is None or taxpayer.kind == kind


def ensure_owed(schema: FormSchema, taxpayer: Registered, period: TaxPeriod | TaxYear) -> None:
    if not owed(schema, taxpayer, period):
        raise ReturnNotOwed(f"{taxpayer.npwp} owes no {schema.title} for {period}", npwp=taxpayer.npwp,
                            period=str(period), form=schema.form)


async def current(session: AsyncSession, npwp: str, schema: FormSchema, period: TaxPeriod | TaxYear) -> FormReturnRead:
    """The return as it reads now (its open version's entries, or none), in the caller's transaction."""
    draft = await SptRepository(session).open_return(npwp, schema.form, str(period))
    try:
        is_owed: bool | None = owed(schema, await registry.registered(session, npwp), period)
    except TaxpayerNotReplicated:
        is_owed = None
    entries: dict[str, Any] = draft.figures if draft else {}
    attachments = list(draft.attachments) if draft else []
    computed = compute(schema, entries)
    return FormReturnRead(
        npwp=npwp, form=schema.form, title=schema.title, period=str(period), owed=is_owed,
        open_return=_open(draft), figures=entries, attachments=attachments,
        parts=[PartRead(kap_kjs=k, amount=v) for k, v in computed.parts.items()], balance=computed.balance,
        outcome=computed.outcome,  # type: ignore[arg-type]
        amount_due=computed.amount_due, overpayment=computed.overpayment, shows_loss=computed.loss,
        missing_fields=missing_fields(schema, entries),
        missing_attachments=sorted(schema.required_attachments - set(attachments)))


def _open(draft: SptRow | None) -> OpenReturnRead | None:
    if draft is None:
        return None
    return OpenReturnRead(id=draft.id, version=draft.version, version_label=version_label(draft.version),
                          status=draft.status, revision=draft.revision,  # type: ignore[arg-type]
                          updated_at=draft.updated_at)


async def get_return(uow: UnitOfWork, principal: Principal, *, npwp: str | None, form: str,
                     period: str) -> FormReturnRead:
    principal.require(READ)
    npwp = acting_taxpayer(principal, npwp)
    schema = _data_form(form)
    p = schema.period(period)
    async with uow:
        return await current(uow.session, npwp, schema, p)


async def update_draft(uow: UnitOfWork, principal: Principal, *, npwp: str | None, form: str, period: str,
                       body: FormDraftUpdate) -> FormReturnRead:
    """Replace the entries and attachments of the open version (started if none: the Normal, or the next pembetulan
    once a version is filed; a pembetulan is not started once an audit of the period began, UU KUP Art 8(1))."""
    principal.require(DRAFT)
    npwp = acting_taxpayer(principal, npwp)
    schema = _data_form(form)
    p = schema.period(period)
    entries, attachments = validate(schema, body.figures, body.attachments)
    async with uow:
        ensure_owed(schema, await registry.registered(uow.session, npwp), p)
        repo = SptRepository(uow.session)
        draft = await repo.open_return(npwp, schema.form, str(p), lock=True)
        if draft is None:
            version = next_version(await repo.versions(npwp, schema.form, str(p)))
            if version != NORMAL and (started := await assessments.audit_started_on(
                    uow.session, npwp, schema.form, str(p))) is not None:
                raise CorrectionUnderAudit(period=str(p), audit_started_on=started.isoformat())
            await repo.add_draft(npwp=npwp, form=schema.form, period=str(p), version=version)
            draft = await repo.open_return(npwp, schema.form, str(p), lock=True)
            if draft is None:
                raise ReturnChanged("the return changed meanwhile; retry", period=str(p))
        if draft.status != "draft":
            raise ReturnNotDraft(f"version {draft.version} is {draft.status}", spt_id=str(draft.id),
                                 status=draft.status)
        await repo.set_entries(draft.id, figures=entries, attachments=attachments)
        read = await current(uow.session, npwp, schema, p)
        await uow.commit()
    return read


def _data_form(name: str) -> FormSchema:
    return form(form_code(name))
