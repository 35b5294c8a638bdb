"""Use cases of the returns slice.

The SPT Masa PPN prefill, applied by the consumer of invoice's events in the consumer's transaction: each fact is
recorded once per invoice, nota retur or decision (a fact delivered again, even under another event id, finds its
row and changes nothing), and moves the aggregates by exactly what it contributes (`prefill`). The draft is read from
the aggregates: no pass over the invoices.

The API's use cases each own their transaction."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.invoice import InputTaxCredited, InvoiceCancelled, InvoiceReplaced, InvoiceSigned, ReturnIssued
from filing.assessments import service as assessments
from filing.calendar.periods import TaxPeriod
from filing.corrections.errors import CorrectionUnderAudit
from filing.corrections.rules import NORMAL, next_version, version_label
from filing.obligations.kinds import Obligation
from filing.registry import service as registry
from filing.returns.amounts import entered_amount
from filing.returns.errors import ReturnChanged, ReturnNotDraft, ReturnNotOwed
from filing.returns.prefill import (
    CANCELLED,
    PENDING,
    REPLACED,
    SIGNED,
    VOID,
    CreditFact,
    InputChange,
    InvoiceFact,
    ReturnFact,
    merge,
    taken_back,
    transaction_code_of,
)
from filing.returns.repository import PrefillRepository, SptRepository, SptRow
from filing.returns.schemas import (
    CodeFiguresRead,
    DraftUpdate,
    InputFiguresRead,
    OpenReturnRead,
    SptMasaPpnRead,
)
from filing.returns.spt_masa_ppn import CodeAmounts, PpnPeriodInputs, spt_masa_ppn
from kit.auth import Principal, acting_taxpayer
from kit.db import UnitOfWork
from kit.money import to_decimal
from kit.replica import TaxpayerNotReplicated

FORM = Obligation.SPT_MASA_PPN.value
READ, DRAFT = "filing:read", "filing:draft"


# -- the prefill: invoice facts (in the consumer's transaction) ------------------------------------------------------
def _amounts(dpp: str, dpp_other: str, ppn: str, ppnbm: str) -> CodeAmounts:
    return CodeAmounts(*(to_decimal(v) for v in (dpp, dpp_other, ppn, ppnbm)))


async def record_invoices_signed(session: AsyncSession, events: Sequence[InvoiceSigned]) -> None:
    facts: dict[str, InvoiceFact] = {}
    for e in events:
        facts.setdefault(e.invoice_id, InvoiceFact(
            e.invoice_id, SIGNED, e.seller_npwp, e.buyer_npwp, e.transaction_code, e.period,
            _amounts(e.dpp, e.dpp_other, e.ppn, e.ppnbm)))
    repo = PrefillRepository(session)
    signed_now = await repo.sign_invoices(list(facts.values()))
    await repo.add_output(merge(f.output() for f in signed_now))


async def record_invoice_voided(session: AsyncSession, event: InvoiceCancelled | InvoiceReplaced) -> None:
    """A cancellation or a replacement: what counted for the invoice stops counting. The replacement's own
    InvoiceSigned adds its figures."""
    repo = PrefillRepository(session)
    invoice = await repo.lock_invoice(InvoiceFact(event.invoice_id, PENDING, event.seller_npwp, event.buyer_npwp,
                                                  transaction_code_of(event.nsfp), event.period))
    if invoice.state in VOID:
        return
    output, inputs = taken_back(invoice, await repo.returns_of(invoice.invoice_id),
                                await repo.credit_of(invoice.invoice_id))
    replaced_by = event.replacement_invoice_id if isinstance(event, InvoiceReplaced) else None
    await repo.void_invoice(invoice.invoice_id, state=REPLACED if replaced_by else CANCELLED, replaced_by=replaced_by)
    await repo.add_output(output)
    await repo.add_input(inputs)


async def record_return(session: AsyncSession, event: ReturnIssued) -> None:
    repo = PrefillRepository(session)
    invoice = await repo.lock_invoice(InvoiceFact(event.invoice_id, PENDING, event.seller_npwp, event.buyer_npwp,
                                                  transaction_code_of(event.nsfp), None))
    stands = invoice.state not in VOID
    credit = await repo.credit_of(event.invoice_id)
    fact = ReturnFact(event.return_id, event.invoice_id, event.seller_npwp, event.buyer_npwp, event.period,
                      transaction_code_of(event.nsfp), _amounts(event.dpp, event.dpp_other, event.ppn, event.ppnbm),
                      seller_counted=stands, buyer_counted=stands and credit is not None and credit.counted)
    if not await repo.add_return(fact):
        return
    await repo.add_output([fact.seller_side()] if fact.seller_counted else [])
    await repo.add_input([fact.buyer_side()] if fact.buyer_counted else [])


async def record_input_tax_decision(session: AsyncSession, event: InputTaxCredited) -> None:
    repo = PrefillRepository(session)
    invoice = await repo.lock_invoice(InvoiceFact(event.invoice_id, PENDING, event.seller_npwp, event.buyer_npwp,
                                                  transaction_code_of(event.nsfp), event.invoice_period))
    fact = CreditFact(event.invoice_id, event.buyer_npwp, event.seller_npwp, event.action, event.period,
                      event.invoice_period, to_decimal(event.ppn), to_decimal(event.ppnbm),
                      counted=event.action == "credit" and invoice.state not in VOID)
    if not await repo.add_credit(fact) or not fact.counted:
        return
    changes: list[InputChange] = [fact.credit()]
    # nota retur the buyer issued before crediting now reduce its input tax too (in their own periods)
    earlier = [r for r in await repo.returns_of(event.invoice_id)
               if r.seller_counted and not r.buyer_counted and r.buyer_npwp == event.buyer_npwp]
    changes += [r.buyer_side() for r in earlier]
    await repo.mark_returns_counted_for_buyer([r.return_id for r in earlier])
    await repo.add_input(merge(changes))


# -- the draft (API) -------------------------------------------------------------------------------------------------
async def get_spt_masa_ppn(uow: UnitOfWork, principal: Principal, *, npwp: str | None,
                           period: str) -> SptMasaPpnRead:
    principal.require(READ)
    npwp = acting_taxpayer(principal, npwp)
    masa = TaxPeriod.parse(period)
    async with uow:
        return await view(uow.session, npwp, masa)


async def update_draft(uow: UnitOfWork, principal: Principal, *, npwp: str | None, period: str,
                       body: DraftUpdate) -> SptMasaPpnRead:
    """Set what the taxpayer adds to the prefill (other input tax, compensation) on the open version of the return,
    starting one (the Normal, or the next pembetulan once a version is filed) if there is none."""
    principal.require(DRAFT)
    npwp = acting_taxpayer(principal, npwp)
    masa = TaxPeriod.parse(period)
    other = entered_amount(body.other_input_ppn, path="/other_input_ppn")
    compensation = entered_amount(body.compensation, path="/compensation")
    async with uow:
        taxpayer = await registry.registered(uow.session, npwp)
        if not taxpayer.is_pkp_in(masa):
            raise ReturnNotOwed(f"{npwp} was not a PKP in {masa}: no SPT Masa PPN is owed", npwp=npwp,
                                period=str(masa))
        repo = SptRepository(uow.session)
        draft = await _open_or_start(repo, npwp, str(masa))
        if draft.status != "draft":
            raise ReturnNotDraft(f"version {draft.version} is {draft.status}", spt_id=str(draft.id),
                                 status=draft.status)
        await repo.set_figures(draft.id, other_input_ppn=other, compensation=compensation)
        read = await view(uow.session, npwp, masa)
        await uow.commit()
    return read


async def _open_or_start(repo: SptRepository, npwp: str, period: str) -> SptRow:
    """The open version, locked; started when there is none (a concurrent request starting it too finds the
    unique index and then takes the same row)."""
    found = await repo.open_return(npwp, FORM, period, lock=True)
    if found is None:
        version = next_version(await repo.versions(npwp, FORM, period))
        # UU KUP Art 8(1): no pembetulan is started once an audit of the period began
        if version != NORMAL and (started := await assessments.audit_started_on(repo.session, npwp, FORM,
                                                                                  period)) is not None:
            raise CorrectionUnderAudit(period=period, audit_started_on=started.isoformat())
        await repo.add_draft(npwp=npwp, form=FORM, period=period, version=version)
        found = await repo.open_return(npwp, FORM, period, lock=True)
    if found is None:  # the other request filed it in between
        raise ReturnChanged("the return changed meanwhile; retry", period=period)
    return found


async def view(session: AsyncSession, npwp: str, masa: TaxPeriod) -> SptMasaPpnRead:
    """The return as it reads now, in the caller's transaction (the draft route, and what a submission signs)."""
    period = str(masa)
    prefill = PrefillRepository(session)
    output = await prefill.output_of(npwp, period)
    inputs = await prefill.input_of(npwp, period)
    draft = await SptRepository(session).open_return(npwp, FORM, period)
    try:
        owed: bool | None = (await registry.registered(session, npwp)).is_pkp_in(masa)
    except TaxpayerNotReplicated:
        owed = None
    other = draft.other_input_ppn if draft else Decimal(0)
    figures = spt_masa_ppn(PpnPeriodInputs(
        invoices_by_code={r.transaction_code: r.amounts for r in output if r.invoices},
        returns_received_by_code={r.transaction_code: r.returned for r in output if r.returns},
        input_ppn_credited=inputs.credited_ppn, input_ppn_returned=inputs.returned_ppn, other_input_ppn=other,
        compensation=draft.compensation if draft else Decimal(0)))
    codes = []
    for r in output:
        if not (r.invoices or r.returns):
            continue
        net = figures.by_code[r.transaction_code]
        codes.append(CodeFiguresRead(
            transaction_code=r.transaction_code, invoices=r.invoices, returns=r.returns,
            **{name: _plain(getattr(r.amounts, name)) for name in ("dpp", "dpp_other", "ppn", "ppnbm")},
            **{f"returned_{name}": _plain(getattr(r.returned, name)) for name in ("dpp", "dpp_other", "ppn", "ppnbm")},
            **{f"net_{name}": getattr(net, name) for name in ("dpp", "dpp_other", "ppn", "ppnbm")}))
    return SptMasaPpnRead(
        npwp=npwp, period=period, owed=owed,
        open_return=OpenReturnRead(id=draft.id, version=draft.version, version_label=version_label(draft.version),
                                   status=draft.status, revision=draft.revision,  # type: ignore[arg-type]
                                   updated_at=draft.updated_at) if draft else None,
        output=codes,
        input=InputFiguresRead(credited_invoices=inputs.credited_invoices, credited_ppn=_plain(inputs.credited_ppn),
                               returns=inputs.returns, returned_ppn=_plain(inputs.returned_ppn),
                               other_input_ppn=_plain(other), creditable_ppn=figures.input_ppn_creditable),
        output_ppn_owed=figures.output_ppn_owed,
        output_ppn_collected_by_collectors=figures.output_ppn_collected_by_collectors,
        output_ppn_not_collected=figures.output_ppn_not_collected, output_ppn_exempt=figures.output_ppn_exempt,
        ppnbm_owed=figures.ppnbm_owed, compensation=figures.compensation, balance=figures.balance,
        outcome=figures.outcome, amount_due=figures.amount_due, overpayment=figures.overpayment)


def _plain(amount: Decimal) -> Decimal:
    """A sum as stored (2 decimals), written without ",00" when it is whole rupiah."""
    return amount.quantize(Decimal(1)) if amount == amount.to_integral_value() else amount
