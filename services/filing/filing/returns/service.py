"""Use cases of the returns slice.

The SPT Masa PPN prefill, applied by the consumer of invoice's events in the consumer's transaction: each fact is
recorded once per invoice, nota retur or decision (a fact delivered again, even under another event id, finds its
row and changes nothing), and moves the aggregates by exactly what it contributes (`prefill`). The draft is read from
the aggregates: no pass over the invoices.

The API's use cases each own their transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
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
    OutputChange,
    ReturnFact,
    merge,
    taken_back,
    transaction_code_of,
)
from filing.returns.repository import (
    InputRow,
    OutputRow,
    PrefillRepository,
    ReturnsBatchRepository,
    SptRepository,
    SptRow,
)
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
InvoiceFactEvent = InvoiceSigned | InvoiceCancelled | InvoiceReplaced | ReturnIssued | InputTaxCredited
READ, DRAFT = "filing:read", "filing:draft"


# -- the prefill: invoice facts (in the consumer's transaction) ------------------------------------------------------
def _amounts(dpp: str, dpp_other: str, ppn: str, ppnbm: str) -> CodeAmounts:
    return CodeAmounts(*(to_decimal(v) for v in (dpp, dpp_other, ppn, ppnbm)))


async def record_invoice_facts(session: AsyncSession, events: Sequence[InvoiceFactEvent]) -> None:
    """A run of invoice facts (a whole fetch of the consumer) with a handful of statements whatever its length: the
    signatures set-based, then the invoices the other facts name locked together, their nota retur and decisions
    read together, those facts applied in their order in memory, and what changed written back set-based. The
    prefill does not depend on the order facts arrive in (final states absorb), so taking the run's signatures
    first gives what any order gives."""
    await record_invoices_signed(session, [e for e in events if isinstance(e, InvoiceSigned)])
    others = [e for e in events if not isinstance(e, InvoiceSigned)]
    if others:
        await _record_others(PrefillRepository(session), others)


async def record_invoices_signed(session: AsyncSession, events: Sequence[InvoiceSigned]) -> None:
    facts: dict[str, InvoiceFact] = {}
    for e in events:
        facts.setdefault(e.invoice_id, InvoiceFact(
            e.invoice_id, SIGNED, e.seller_npwp, e.buyer_npwp, e.transaction_code, e.period,
            _amounts(e.dpp, e.dpp_other, e.ppn, e.ppnbm)))
    await PrefillRepository(session).sign_invoices(list(facts.values()))


def _key_of(event: InvoiceCancelled | InvoiceReplaced | ReturnIssued | InputTaxCredited) -> InvoiceFact:
    """The pending row a fact makes for an invoice no event named before (its period unknown to a nota retur)."""
    period = event.invoice_period if isinstance(event, InputTaxCredited) else (
        None if isinstance(event, ReturnIssued) else event.period)
    return InvoiceFact(event.invoice_id, PENDING, event.seller_npwp, event.buyer_npwp,
                       transaction_code_of(event.nsfp), period)


async def _record_others(repo: PrefillRepository,
                         events: Sequence[InvoiceCancelled | InvoiceReplaced | ReturnIssued | InputTaxCredited]) -> None:
    keys: dict[str, InvoiceFact] = {}
    for e in events:  # one row per invoice: the first fact's fields, the first period known
        key, first = _key_of(e), keys.get(e.invoice_id)
        keys[e.invoice_id] = key if first is None else (
            first if first.period is not None else replace(first, period=key.period))
    # every fact about an invoice is applied under its row's lock, so a credit and a cancellation cannot pass
    invoices = {f.invoice_id: f for f in await repo.lock_invoices(list(keys.values()))}
    return_ids = [e.return_id for e in events if isinstance(e, ReturnIssued)]
    returns: dict[str, dict[str, ReturnFact]] = {i: {} for i in invoices}
    known_returns: set[str] = set()
    for r in await repo.returns_of(list(invoices), return_ids):
        known_returns.add(r.return_id)
        returns.setdefault(r.invoice_id, {})[r.return_id] = r
    credits = {c.invoice_id: c for c in await repo.credits_of(list(invoices))}
    stored_returns = {r.return_id: r for rs in returns.values() for r in rs.values()}
    stored_credits = dict(credits)
    output: list[OutputChange] = []
    inputs: list[InputChange] = []
    voided: dict[str, InvoiceFact] = {}
    replaced_by: dict[str, str | None] = {}

    for e in events:
        invoice = invoices[e.invoice_id]
        if isinstance(e, InvoiceCancelled | InvoiceReplaced):
            # a cancellation or a replacement: what counted for the invoice stops counting (the replacement's own
            # InvoiceSigned adds its figures)
            if invoice.state in VOID:
                continue
            out, inp = taken_back(invoice, returns[e.invoice_id].values(), credits.get(e.invoice_id))
            output += out
            inputs += inp
            replacement = e.replacement_invoice_id if isinstance(e, InvoiceReplaced) else None
            invoices[e.invoice_id] = voided[e.invoice_id] = replace(
                invoice, state=REPLACED if replacement else CANCELLED)
            replaced_by[e.invoice_id] = replacement
            returns[e.invoice_id] = {i: replace(r, seller_counted=False, buyer_counted=False)
                                     for i, r in returns[e.invoice_id].items()}
            if (credit := credits.get(e.invoice_id)) is not None:
                credits[e.invoice_id] = replace(credit, counted=False)
        elif isinstance(e, ReturnIssued):
            if e.return_id in known_returns:
                continue
            known_returns.add(e.return_id)
            stands = invoice.state not in VOID
            credit = credits.get(e.invoice_id)
            fact = ReturnFact(e.return_id, e.invoice_id, e.seller_npwp, e.buyer_npwp, e.period,
                              transaction_code_of(e.nsfp), _amounts(e.dpp, e.dpp_other, e.ppn, e.ppnbm),
                              seller_counted=stands, buyer_counted=stands and credit is not None and credit.counted)
            returns[e.invoice_id][e.return_id] = fact
            output += [fact.seller_side()] if fact.seller_counted else []
            inputs += [fact.buyer_side()] if fact.buyer_counted else []
        else:
            if e.invoice_id in credits:
                continue
            decision = CreditFact(e.invoice_id, e.buyer_npwp, e.seller_npwp, e.action, e.period, e.invoice_period,
                                  to_decimal(e.ppn), to_decimal(e.ppnbm),
                                  counted=e.action == "credit" and invoice.state not in VOID)
            credits[e.invoice_id] = decision
            if not decision.counted:
                continue
            inputs.append(decision.credit())
            # nota retur the buyer issued before crediting now reduce its input tax too (in their own periods)
            for r in list(returns[e.invoice_id].values()):
                if r.seller_counted and not r.buyer_counted and r.buyer_npwp == e.buyer_npwp:
                    inputs.append(r.buyer_side())
                    returns[e.invoice_id][r.return_id] = replace(r, buyer_counted=True)

    final_returns = [r for rs in returns.values() for r in rs.values()]
    await repo.add_returns([r for r in final_returns if r.return_id not in stored_returns])
    await repo.set_return_flags([r for r in final_returns if r.return_id in stored_returns
                                 and r != stored_returns[r.return_id]])
    await repo.add_credits([c for i, c in credits.items() if i not in stored_credits])
    await repo.set_credits_counted([c for i, c in credits.items() if i in stored_credits and c != stored_credits[i]])
    await repo.void_invoices([(i, f.state, replaced_by[i]) for i, f in sorted(voided.items())])
    await repo.add_output(merge(output))
    await repo.add_input(merge(inputs))


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
    output, inputs, draft = await PrefillRepository(session).draft_of(npwp, FORM, period)
    try:
        owed: bool | None = (await registry.registered(session, npwp)).is_pkp_in(masa)
    except TaxpayerNotReplicated:
        owed = None
    return _read_of(npwp, masa, output, inputs, draft, owed)


async def views(session: AsyncSession, returns: Sequence[tuple[str, TaxPeriod]], *,
                taxpayers: Mapping[str, registry.Registered] | None = None
                ) -> dict[tuple[str, str], SptMasaPpnRead]:
    """`view` of many returns (npwp, masa), keyed (npwp, period), in a handful of statements whatever their number
    (a batch of submissions); `taxpayers`: the caller's `registry.registered_many`, if it has it."""
    if not returns:
        return {}
    npwps, periods = [n for n, _ in returns], [str(m) for _, m in returns]
    repo = ReturnsBatchRepository(session)
    outputs, inputs = await repo.prefill_of(npwps, periods)
    drafts = await repo.open_returns(npwps, FORM, periods)
    if taxpayers is None:
        taxpayers = await registry.registered_many(session, npwps)
    none = InputRow(0, Decimal(0), 0, Decimal(0))
    found: dict[tuple[str, str], SptMasaPpnRead] = {}
    for npwp, masa in returns:
        key = (npwp, str(masa))
        taxpayer = taxpayers.get(npwp)
        found[key] = _read_of(npwp, masa, outputs.get(key, []), inputs.get(key, none), drafts.get(key),
                              taxpayer.is_pkp_in(masa) if taxpayer is not None else None)
    return found


def _read_of(npwp: str, masa: TaxPeriod, output: Sequence[OutputRow], inputs: InputRow, draft: SptRow | None,
             owed: bool | None) -> SptMasaPpnRead:
    period = str(masa)
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
