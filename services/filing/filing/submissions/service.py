"""Use cases of the submissions slice: signing and submitting a version of a return of any form (the SPT Masa PPN,
prefilled from e-Faktur, and the data-driven forms of `forms/`), the Normal or a pembetulan (UU KUP Art 8).

Submitting is three steps, so that identity is never called inside an open transaction:
1. a short read: the return is owed, still a draft, its due dates are known, the form's required fields and
   attachments are there (Art 3(7)(b)), no audit of its period has started and no assessment was issued
   (Art 3(7)(d); for a pembetulan Art 8(1) and (1a)); the content to sign is built from it;
2. identity signs the content's digest with the signer's credential and passphrase (no transaction open; a refusal
   means the return is unsigned, Art 3(7)(a), and nothing is written);
3. one transaction re-reads the return (it must be the same draft with the same figures, else `return.changed`),
   keeps the signature and either files it (nothing to pay: receipt, `SPTSubmitted` for a Normal or `SPTCorrected`
   for a pembetulan, and the Art 7(1) STP when a Normal is late) or, when it owes tax, waits for payment ("Bayar dan
   Lapor": `awaiting_payment` and one `SPTPaymentRequested` per KAP-KJS). A pembetulan pays only what it raises
   over the version it corrects; once paid, the raise bears Art 8(2)/(2a) interest, issued as an STP
   (`correction_interest`) in the transaction that files it.
payment's `PaymentConfirmed` completes a waiting return (filed at the payment's time, with its NTPN) once every
requested payment is in; its `BillingExpired` sends the return back to draft. Both run in the consumer's
transaction, and a fact seen twice (even under another event id) finds its row already moved and changes nothing.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import Envelope
from contracts.filing import SPTCorrected, SPTPaymentRequested, SPTSubmitted
from contracts.payment import BillingExpired, PaymentConfirmed
from filing.assessments import service as assessments
from filing.calendar.periods import TaxPeriod, TaxYear
from filing.corrections.errors import CorrectionWithoutNormal
from filing.corrections.rules import (
    NORMAL,
    CorrectionRequest,
    correction_interest,
    correction_interest_start,
    ensure_correction_allowed,
    ensure_normal_allowed,
    next_version,
    version_label,
)
from filing.forms import service as forms
from filing.forms.errors import FieldRequired
from filing.forms.schema import FormSchema
from filing.forms.schema import form as data_form
from filing.forms.service import form_code
from filing.obligations.deadlines import due_date
from filing.obligations.kinds import Obligation
from filing.registry import service as registry
from filing.returns import service as returns
from filing.returns.errors import ReturnChanged, ReturnNotDraft, ReturnNotOwed, ReturnUnsigned
from filing.returns.repository import ReturnKey, ReturnsBatchRepository, SptRow
from filing.returns.rules import Submission, ensure_considered_filed, not_filed_reasons
from filing.returns.schemas import SptMasaPpnRead
from filing.sanctions import service as sanctions
from filing.sanctions.rates import InterestRateTable, InterestTier
from filing.sanctions.stp import bill_due_date
from filing.submissions import pdf
from filing.submissions.errors import (
    BatchDuplicate,
    NoLoginSession,
    PaidAmountDiffers,
    PassphraseOrSession,
    ReceiptNotFound,
    SignerUnavailable,
    SubmissionNotFound,
)
from filing.submissions.repository import PaymentRow, ReceiptRow, SubmissionRepository, SubmissionRow
from filing.submissions.rules import (
    PPN_KAP_KJS,
    PPNBM_KAP_KJS,
    PaymentPart,
    amount_text,
    digest_of,
    mask_npwp,
    raised_parts,
    receipt_number,
    signature_valid,
    signed_document,
)
from filing.submissions.schemas import (
    BatchItemError,
    BatchItemRead,
    BatchSubmissionCreate,
    BatchSubmissionRead,
    PaymentRead,
    ReceiptRead,
    ReceiptVerificationRead,
    Signer,
    SubmissionCreate,
    SubmissionRead,
)
from kit.auth import Principal, TaxpayerForbidden, acting_taxpayer
from kit.clock import JAKARTA, Clock
from kit.db import UnitOfWork
from kit.errors import AppError
from kit.outbox import outbox_row
from kit.signing import (
    IdentityClient,
    IdentityUnavailable,
    Signatures,
    SigningRefused,
    SigningSession,
    signer_account,
    subject_name,
)

log = logging.getLogger(__name__)
SUBMIT, READ = "filing:submit", "filing:read"
PPN_FORM = Obligation.SPT_MASA_PPN.value
AGGREGATE = "spt"
WHOLE = Decimal(1)
_T = TypeVar("_T")
_PAYMENT_OF = {Obligation.SPT_MASA_PPN: Obligation.PPN_PAYMENT, Obligation.SPT_MASA_PPH: Obligation.MASA_TAX_PAYMENT}


# -- forms -----------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Form:
    """A form as submission sees it: the SPT Masa PPN (its own module) or a data-driven one."""

    code: str
    obligation: Obligation
    title: str
    schema: FormSchema | None = None

    def period(self, text: str) -> TaxPeriod | TaxYear:
        return self.schema.period(text) if self.schema else TaxPeriod.parse(text)


def form_of(code: str) -> Form:
    if code == PPN_FORM:
        return Form(PPN_FORM, Obligation.SPT_MASA_PPN, "SPT Masa PPN")
    schema = data_form(code)
    return Form(schema.form, schema.obligation, schema.title, schema)


def payment_due(obligation: Obligation, period: TaxPeriod | TaxYear) -> date:
    """When the tax a return reports is due: the masa tax's payment date; an annual PPh 29 before the filing
    deadline (UU KUP Art 9(2b))."""
    return due_date(_PAYMENT_OF.get(obligation, obligation), period).effective


@dataclass(frozen=True)
class Figures:
    """What a submission needs of a return of any form, read in the caller's transaction."""

    doc: dict[str, Any]  # the return's figures as they are signed
    outcome: str
    amount_payable: Decimal
    overpayment: Decimal
    payable: dict[str, Decimal]  # KAP-KJS -> owed in full (> 0), whole rupiah
    overpayment_or_loss: bool
    missing_fields: list[str] = field(default_factory=list)
    attachments: frozenset[str] = frozenset()
    required_attachments: frozenset[str] = frozenset()


def _ensure_owed_by(taxpayer: registry.Registered, form: Form, period: TaxPeriod | TaxYear) -> None:
    if form.schema is not None:
        forms.ensure_owed(form.schema, taxpayer, period)
    elif not (isinstance(period, TaxPeriod) and taxpayer.is_pkp_in(period)):
        raise ReturnNotOwed(f"{taxpayer.npwp} was not a PKP in {period}: no SPT Masa PPN is owed",
                            npwp=taxpayer.npwp, period=str(period))


def _ppn_figures(view: SptMasaPpnRead) -> Figures:
    payable = {k: v.quantize(WHOLE) for k, v in ((PPN_KAP_KJS, view.amount_due), (PPNBM_KAP_KJS, view.ppnbm_owed))
               if v > 0}
    return Figures(view.model_dump(mode="json", exclude={"open_return", "owed"}), view.outcome.value,
                   view.amount_due, view.overpayment, payable, view.outcome.value == "lebih_bayar")


async def current_figures(session: AsyncSession, npwp: str, form: Form, period: TaxPeriod | TaxYear) -> Figures:
    if form.schema is None:
        assert isinstance(period, TaxPeriod)
        return _ppn_figures(await returns.view(session, npwp, period))
    read = await forms.current(session, npwp, form.schema, period)
    doc = read.model_dump(mode="json", exclude={"open_return", "owed", "missing_fields", "missing_attachments"})
    return Figures(doc, read.outcome, read.amount_due, read.overpayment,
                   {p.kap_kjs: p.amount for p in read.parts if p.amount > 0},
                   read.outcome == "lebih_bayar" or read.shows_loss, read.missing_fields,
                   frozenset(read.attachments), form.schema.required_attachments)


@dataclass(frozen=True)
class _Correction:
    previous: SptRow
    parts: list[PaymentPart]  # what it raises, per KAP-KJS
    tax_raise: Decimal
    overpayment_or_loss: bool


@dataclass(frozen=True)
class _Prepared:
    """What step 1 found and step 3 must find again."""

    npwp: str
    form: Form
    period: TaxPeriod | TaxYear
    spt_id: uuid.UUID
    version: int
    revision: int  # of the draft; 0 for one the submission starts
    new: bool  # no draft yet: step 3 starts it with `spt_id`
    submitted_at: datetime
    signer: str | None
    digest: bytes
    audit_started_on: date | None


# -- submission (API) ------------------------------------------------------------------------------------------------
async def submit_spt_masa_ppn(uow: UnitOfWork, identity: IdentityClient, clock: Clock, principal: Principal, *,
                              npwp: str | None, period: str, body: SubmissionCreate, public_url: str
                              ) -> SubmissionRead:
    return await submit(uow, identity, clock, principal, npwp=npwp, form=PPN_FORM, period=period, body=body,
                        public_url=public_url)


async def submit(uow: UnitOfWork, identity: IdentityClient, clock: Clock, principal: Principal, *,
                 npwp: str | None, form: str, period: str, body: SubmissionCreate, public_url: str) -> SubmissionRead:
    principal.require(SUBMIT)
    npwp = acting_taxpayer(principal, npwp)
    key = _key(principal, body)
    f = form_of(form)
    p = f.period(period)
    now = clock.now()
    async with uow:
        prepared = _raised((await _prepare_many(uow.session, [_Ask(npwp, f, p, body.revision, body.kind)], now=now,
                                                signer=signer_account(principal)))[0])
    signed = await _sign(identity, [prepared], body.credential_id, key)
    async with uow:
        _raised((await _submit_many(uow.session, [prepared], signed, credential_id=body.credential_id))[0])
        result = await _read(uow.session, prepared.spt_id, public_url)
        await uow.commit()
    return result


def _raised(outcome: _T | AppError) -> _T:
    """One return's outcome of a set-based step, its refusal raised."""
    if isinstance(outcome, AppError):
        raise outcome
    return outcome


async def submit_batch(uow: UnitOfWork, identity: IdentityClient, clock: Clock, principal: Principal, *,
                       body: BatchSubmissionCreate, public_url: str) -> BatchSubmissionRead:
    """A PJAP or consultant filing for many clients: every return is checked as one submitted alone (step 1, one
    read transaction), the digests of all accepted ones are signed in ONE identity call (step 2: a refusal or an
    outage signs and writes nothing, and the whole request answers it), then all are checked again and filed or
    made to wait for payment in one transaction (step 3), a return that moved meanwhile refused alone. Both steps
    are set-based: a handful of statements for the whole batch, not per return (`_prepare_many`, `_submit_many`)."""
    principal.require(SUBMIT)
    for i, item in enumerate(body.returns):
        if item.npwp not in principal.taxpayer_ids:
            raise TaxpayerForbidden(f"not allowed to act for {item.npwp}", path=f"/returns/{i}/npwp")
    seen: set[tuple[str, str, str]] = set()
    for i, item in enumerate(body.returns):
        mention = (item.npwp, form_code(item.form), item.period)
        if mention in seen:
            raise BatchDuplicate(f"{item.npwp} {item.form} {item.period} is listed twice", path=f"/returns/{i}")
        seen.add(mention)
    key = _key(principal, body)
    now, signer = clock.now(), signer_account(principal)
    items: list[BatchItemRead | None] = [None] * len(body.returns)
    asks: list[tuple[int, _Ask]] = []
    for i, item in enumerate(body.returns):
        try:
            f = form_of(form_code(item.form))
            asks.append((i, _Ask(item.npwp, f, f.period(item.period), item.revision, None)))
        except AppError as error:
            items[i] = _refused(i, item.npwp, form_code(item.form), item.period, error)
    accepted: list[tuple[int, _Prepared]] = []
    async with uow:  # step 1: read only
        outcomes = await _prepare_many(uow.session, [a for _, a in asks], now=now, signer=signer) if asks else []
    for (i, ask), outcome in zip(asks, outcomes, strict=True):
        if isinstance(outcome, AppError):
            items[i] = _refused(i, ask.npwp, ask.form.code, str(ask.period), outcome)
        else:
            accepted.append((i, outcome))
    if not accepted:
        return _batch(items, None)
    signed = await _sign(identity, [p for _, p in accepted], body.credential_id, key)
    async with uow:
        results = await _submit_many(uow.session, [p for _, p in accepted], signed,
                                     credential_id=body.credential_id)
        done: list[tuple[int, _Prepared]] = []
        for (i, prepared), result in zip(accepted, results, strict=True):
            if isinstance(result, AppError):
                items[i] = _refused(i, prepared.npwp, prepared.form.code, str(prepared.period), result)
            else:
                done.append((i, prepared))
        reads = await _read_many(uow.session, [p.spt_id for _, p in done], public_url) if done else {}
        for i, prepared in done:
            read = reads[prepared.spt_id]
            items[i] = BatchItemRead(index=i, npwp=prepared.npwp, form=prepared.form.code, period=str(prepared.period),
                                     status=read.status, submission=read)
        await uow.commit()
    return _batch(items, signed.certificate_serial)


def _refused(index: int, npwp: str, form: str, period: str, error: AppError) -> BatchItemRead:
    path = error.details.get("path")
    details = {**error.details, "path": f"/returns/{index}{path if isinstance(path, str) else ''}"}
    return BatchItemRead(index=index, npwp=npwp, form=form, period=period, status="refused",
                         error=BatchItemError(code=error.code, title=error.title, detail=error.detail,
                                              status=error.status, details=details))


def _batch(items: list[BatchItemRead | None], certificate_serial: str | None) -> BatchSubmissionRead:
    done = [x for x in items if x is not None]
    assert len(done) == len(items)
    return BatchSubmissionRead(filed=sum(x.status == "filed" for x in done),
                               awaiting_payment=sum(x.status == "awaiting_payment" for x in done),
                               refused=sum(x.status == "refused" for x in done),
                               certificate_serial=certificate_serial, items=done)


@dataclass(frozen=True)
class _Ask:
    """One return a submission asks for (`kind`: the single route's `normal` / `pembetulan`, or None)."""

    npwp: str
    form: Form
    period: TaxPeriod | TaxYear
    expected_revision: int | None
    kind: str | None

    @property
    def key(self) -> ReturnKey:
        return (self.npwp, self.form.code, str(self.period))


@dataclass(frozen=True)
class _Facts:
    """What the rules of one return read besides its figures, loaded for many returns at once."""

    audit_started_on: date | None
    assessment_issued_on: date | None
    earlier: SubmissionRow | None  # a pembetulan: the submission of the version it corrects


async def _figures_of(session: AsyncSession, wanted: list[tuple[str, Form, TaxPeriod | TaxYear]]
                      ) -> dict[ReturnKey, Figures | AppError]:
    """`current_figures` of many returns: the SPT Masa PPN's set-based (`returns.views`), a data-driven form's one
    by one. `owed` is not part of what is signed, so the registry is not read for it."""
    masa = [(npwp, period) for npwp, form, period in wanted if form.schema is None and isinstance(period, TaxPeriod)]
    views = await returns.views(session, masa, taxpayers={}) if masa else {}
    found: dict[ReturnKey, Figures | AppError] = {}
    for npwp, form, period in wanted:
        key = (npwp, form.code, str(period))
        try:
            found[key] = (_ppn_figures(views[(npwp, str(period))]) if form.schema is None
                          else await current_figures(session, npwp, form, period))
        except AppError as error:
            found[key] = error
    return found


async def _facts_of(session: AsyncSession, wanted: list[tuple[ReturnKey, int, list[SptRow]]]
                    ) -> dict[ReturnKey, _Facts]:
    """(return, version, filed versions) -> its audit and assessment dates and, for a pembetulan, the earlier
    submission: two statements for any number."""
    dates = await assessments.audits_and_assessments_of(session, [k for k, _, _ in wanted])
    previous = [filed[-1].id for _, version, filed in wanted if version != NORMAL]
    earlier = await SubmissionRepository(session).submissions(previous) if previous else {}
    return {key: _Facts(*dates[key], earlier.get(filed[-1].id) if version != NORMAL else None)
            for key, version, filed in wanted}


def _check(*, form: Form, period: TaxPeriod | TaxYear, version: int, filed: list[SptRow], figures: Figures,
           today: date, facts: _Facts) -> _Correction | None:
    """Every rule a submission must pass, before signing and again in the filing transaction: the form's required
    fields, Art 8 for a pembetulan, Art 3(7). Returns the pembetulan's figures."""
    if figures.missing_fields:
        first = figures.missing_fields[0]
        raise FieldRequired(f"/figures/{first} is required", path=f"/figures/{first}", missing=figures.missing_fields)
    audit = facts.audit_started_on
    correction = None
    if version != NORMAL:
        previous = filed[-1]
        before = {k: Decimal(v) for k, v in (facts.earlier.payable if facts.earlier else {}).items()}
        parts = raised_parts(figures.payable, before)
        lowers = sum(figures.payable.values(), Decimal(0)) < sum(before.values(), Decimal(0))
        correction = _Correction(previous, parts, sum((x.amount for x in parts), Decimal(0)),
                                 figures.overpayment_or_loss or lowers)
        ensure_correction_allowed(CorrectionRequest(
            period, today, frozenset(v.version for v in filed), audit_started_on=audit,
            shows_overpayment_or_loss=correction.overpayment_or_loss))
    ensure_considered_filed(Submission(
        period=period, submitted_on=today, signed=True, required_attachments=figures.required_attachments,
        attachments=figures.attachments, shows_overpayment=figures.overpayment > 0, audit_started_on=audit,
        assessment_issued_on=facts.assessment_issued_on))
    return correction


async def _prepare_many(session: AsyncSession, asks: list[_Ask], *, now: datetime, signer: str | None
                        ) -> list[_Prepared | AppError]:
    """Step 1 for many returns, each refused or prepared as if alone, with a handful of statements for all."""
    taxpayers = await registry.registered_many(session, [a.npwp for a in asks])
    versions = await ReturnsBatchRepository(session).versions_of([a.key for a in asks])
    outcomes: list[_Prepared | AppError | None] = [None] * len(asks)
    found: list[tuple[int, SptRow | None, list[SptRow], int, int]] = []  # index, draft, filed, version, revision
    for i, ask in enumerate(asks):
        try:
            taxpayer = taxpayers.get(ask.npwp)
            if taxpayer is None:
                raise registry.not_replicated(ask.npwp)
            _ensure_owed_by(taxpayer, ask.form, ask.period)
            draft = next((v for v in versions[ask.key] if v.status != "filed"), None)
            filed = [v for v in versions[ask.key] if v.status == "filed"]
            if ask.kind == "normal":
                ensure_normal_allowed([v.version for v in filed])
            elif ask.kind == "pembetulan" and not filed:
                raise CorrectionWithoutNormal(period=str(ask.period))
            if draft is not None and draft.status != "draft":
                raise ReturnNotDraft(f"version {draft.version} is {draft.status}", spt_id=str(draft.id),
                                     status=draft.status)
            revision = draft.revision if draft is not None else 0
            if ask.expected_revision is not None and ask.expected_revision != revision:
                raise ReturnChanged(f"the draft is at revision {revision}, not {ask.expected_revision}",
                                    path="/revision", revision=revision)
            version = draft.version if draft is not None else next_version([v.version for v in filed])
            found.append((i, draft, filed, version, revision))
        except AppError as error:
            outcomes[i] = error
    figures = await _figures_of(session, [(asks[i].npwp, asks[i].form, asks[i].period) for i, *_ in found])
    facts = await _facts_of(session, [(asks[i].key, version, filed) for i, _, filed, version, _ in found])
    today = now.date()
    for i, draft, filed, version, revision in found:
        ask = asks[i]
        form, period = ask.form, ask.period
        try:
            these = _raised(figures[ask.key])
            correction = _check(form=form, period=period, version=version, filed=filed, figures=these, today=today,
                                facts=facts[ask.key])
            # Every date and rate the filing needs, before anything is signed (`calendar.year_unknown`,
            # `interest.rate_unknown` otherwise).
            deadline = due_date(form.obligation, period)
            payment_due(form.obligation, period)
            if version == NORMAL and today > deadline.effective:
                bill_due_date(today)  # the late-filing STP's
            if correction is not None and correction.tax_raise > 0:
                bill_due_date(today)  # the interest STP's
                if today > (starts := correction_interest_start(form.obligation, period)):
                    InterestRateTable.load().rate(InterestTier.T2, starts)
        except AppError as error:
            outcomes[i] = error
            continue
        spt_id = draft.id if draft is not None else uuid.uuid4()
        content = signed_document(these.doc, spt_id=spt_id, version=version, submitted_at=now,
                                  signer_account_id=signer)
        outcomes[i] = _Prepared(ask.npwp, form, period, spt_id, version, revision, draft is None, now, signer,
                                digest_of(content), facts[ask.key].audit_started_on)
    assert all(o is not None for o in outcomes)
    return outcomes  # type: ignore[return-value]


@dataclass(frozen=True)
class _Key:
    """What opens the signer's credential at identity for this call: the passphrase or a signing session."""

    passphrase: str | None
    session: SigningSession | None


def _key(principal: Principal, body: Signer) -> _Key:
    if (body.passphrase is None) == (body.signing_session is None):
        raise PassphraseOrSession(path="/passphrase")
    if body.signing_session is None:
        assert body.passphrase is not None
        return _Key(body.passphrase.get_secret_value(), None)
    # identity binds a session to the login session (device) that opened it: the token's `sid`, else its `jti`
    device = next((v for c in ("sid", "jti") if isinstance(v := principal.claims.get(c), str) and v), None)
    if device is None:
        raise NoLoginSession(path="/signing_session")
    use = body.signing_session
    return _Key(None, SigningSession(str(use.id), use.secret.get_secret_value(), device))


def _refusal_path(code: str) -> str:
    if code.startswith("signing_session."):
        return "/signing_session"
    return "/passphrase" if code in ("credential.passphrase_wrong", "credential.locked") else "/credential_id"


async def _sign(identity: IdentityClient, prepared: list[_Prepared], credential_id: uuid.UUID, key: _Key
                ) -> Signatures:
    """Identity's signatures over the digests, in ONE call. A refusal leaves every return unsigned: not filed
    (Art 3(7)(a)), and nothing is written."""
    first = prepared[0]
    try:
        signed = await identity.sign(credential_id=str(credential_id), passphrase=key.passphrase,
                                     signing_session=key.session,
                                     digests=[base64.b64encode(p.digest).decode() for p in prepared],
                                     account_id=first.signer,
                                     acting_for=first.npwp if len({p.npwp for p in prepared}) == 1 else None)
    except SigningRefused as refused:
        reasons = not_filed_reasons(Submission(period=first.period, submitted_on=first.submitted_at.date(),
                                               signed=False, audit_started_on=first.audit_started_on))
        known = {k: refused.details[k] for k in ("attempts_remaining", "locked_until", "expired_at",
                                                 "max_signatures", "signatures_used", "requested")
                 if k in refused.details}
        raise ReturnUnsigned(f"the SPT is not signed: {refused.reason()}", reasons=[r.value for r in reasons],
                             signer_code=refused.code, path=_refusal_path(refused.code), **known) from None
    except IdentityUnavailable as exc:
        raise SignerUnavailable(f"identity: {exc}"[:300]) from None
    if len(signed.signatures) != len(prepared):
        raise SignerUnavailable(f"identity returned {len(signed.signatures)} signatures for {len(prepared)} digests")
    return signed


@dataclass(frozen=True)
class _Filing:
    """A return to file now: its row, what was signed, its payments, when it counts as filed and when issued."""

    spt: SptRow
    submission: SubmissionRow
    payments: list[PaymentRow]
    filed_at: datetime
    issued_at: datetime


def _key_of(p: _Prepared) -> ReturnKey:
    return (p.npwp, p.form.code, str(p.period))


async def _submit_many(session: AsyncSession, prepared: list[_Prepared], signed: Signatures, *,
                       credential_id: uuid.UUID) -> list[None | AppError]:
    """Step 3 for many returns (`signed.signatures` in their order), each checked again as if alone: refused when it
    moved while identity signed, else filed or made to wait for payment. Set-based: the open versions locked in one
    statement, everything read in a few, every check run in memory, then each kind of row written in one statement
    (a refused return writes nothing, not even the draft its submission would have started)."""
    outcomes: list[None | AppError] = [None] * len(prepared)
    batch = ReturnsBatchRepository(session)
    repo = SubmissionRepository(session)
    keys = [_key_of(p) for p in prepared]
    locked = await batch.lock_open_returns(keys)
    survivors: list[int] = []
    for i, p in enumerate(prepared):
        draft = locked.get(keys[i])
        if (draft is None and p.new  # started below, once every check passed
                or draft is not None and (draft.id, draft.revision, draft.status) == (p.spt_id, p.revision, "draft")):
            survivors.append(i)
        else:
            outcomes[i] = ReturnChanged("the return changed while it was being signed: review it and submit again",
                                        period=str(p.period))
    figures = await _figures_of(session, [(prepared[i].npwp, prepared[i].form, prepared[i].period)
                                          for i in survivors])
    versions = await batch.versions_of([keys[i] for i in survivors])
    filed = {keys[i]: [v for v in versions[keys[i]] if v.status == "filed"] for i in survivors}
    facts = await _facts_of(session, [(keys[i], prepared[i].version, filed[keys[i]]) for i in survivors])
    existing = [prepared[i].spt_id for i in survivors if not prepared[i].new]
    payments = await repo.payments_of(existing) if existing else {}

    ready: list[tuple[int, SubmissionRow, list[PaymentPart], dict[str, PaymentRow]]] = []
    dropped: list[tuple[uuid.UUID, str]] = []
    for i in survivors:
        p, key = prepared[i], keys[i]
        period = str(p.period)
        try:
            these = _raised(figures[key])
            content = signed_document(these.doc, spt_id=p.spt_id, version=p.version, submitted_at=p.submitted_at,
                                      signer_account_id=p.signer)
            if digest_of(content) != p.digest:
                raise ReturnChanged("the return's figures changed while it was being signed: review it and submit "
                                    "again", period=period)
            correction = _check(form=p.form, period=p.period, version=p.version, filed=filed[key], figures=these,
                                today=p.submitted_at.date(), facts=facts[key])
            deadline = due_date(p.form.obligation, p.period)
            submission = SubmissionRow(
                spt_id=p.spt_id, content=content.decode(), content_digest=p.digest.hex(),
                signature=signed.signatures[i], certificate_serial=signed.certificate_serial,
                credential_id=credential_id, signer_account_id=p.signer, submitted_at=p.submitted_at,
                outcome=these.outcome, amount_payable=these.amount_payable, overpayment=these.overpayment,
                due_date=deadline.effective, payable={k: amount_text(v) for k, v in these.payable.items()},
                previous_spt_id=correction.previous.id if correction else None,
                tax_raise=correction.tax_raise if correction else Decimal(0),
                shows_overpayment_or_loss=correction.overpayment_or_loss if correction else these.overpayment_or_loss)
            parts = correction.parts if correction else [PaymentPart(k, v) for k, v in sorted(these.payable.items())]
            stored = payments.get(p.spt_id, [])
            earlier = {e.kap_kjs: e for e in stored if e.status == "paid"}
            for part in parts:
                if part.kap_kjs in earlier and earlier[part.kap_kjs].amount != part.amount:
                    raise PaidAmountDiffers(
                        f"{part.kap_kjs} was paid {amount_text(earlier[part.kap_kjs].amount)}, the return now owes "
                        f"{amount_text(part.amount)}", kap_kjs=part.kap_kjs,
                        paid=amount_text(earlier[part.kap_kjs].amount), owed=amount_text(part.amount))
        except AppError as error:
            outcomes[i] = error
            continue
        keep = {part.kap_kjs for part in parts}
        # requests of an earlier submission the return no longer owes (its PPnBM went to zero, say)
        dropped += [(p.spt_id, x.kap_kjs) for x in stored if x.status != "paid" and x.kap_kjs not in keep]
        ready.append((i, submission, parts, earlier))

    new = [prepared[i] for i, *_ in ready if prepared[i].new]
    started = await batch.add_drafts([dict(id=p.spt_id, npwp=p.npwp, form=p.form.code, period=str(p.period),
                                           version=p.version) for p in new])
    for i, *_ in ready:
        if prepared[i].new and prepared[i].spt_id not in started:  # another request started it meanwhile
            outcomes[i] = ReturnChanged("the return changed while it was being signed: review it and submit again",
                                        period=str(prepared[i].period))
    ready = [r for r in ready if outcomes[r[0]] is None]
    if not ready:
        return outcomes
    await _keep_certificate(repo, signed)
    await repo.save_submissions([vars(submission) for _, submission, _, _ in ready])
    kept = {prepared[i].spt_id for i, *_ in ready}
    await repo.drop_payments([x for x in dropped if x[0] in kept])
    filings: list[_Filing] = []
    waiting: list[tuple[_Prepared, list[PaymentPart]]] = []
    for i, submission, parts, earlier in ready:
        p = prepared[i]
        unpaid = [part for part in parts if part.kap_kjs not in earlier]
        if unpaid:
            waiting.append((p, unpaid))
            continue
        draft = locked.get(keys[i]) or SptRow(p.spt_id, p.npwp, p.form.code, str(p.period), p.version, "draft",
                                              Decimal(0), Decimal(0), 0, p.submitted_at, None)
        filings.append(_Filing(draft, submission, [earlier[x.kap_kjs] for x in parts], p.submitted_at,
                               p.submitted_at))
    await _file_many(session, filings, causation_id=None)
    await _await_payment_many(session, waiting)
    return outcomes


async def _await_payment_many(session: AsyncSession, waiting: list[tuple[_Prepared, list[PaymentPart]]]) -> None:
    """"Bayar dan Lapor": each return awaits its payments, one `SPTPaymentRequested` per KAP-KJS."""
    if not waiting:
        return
    repo = SubmissionRepository(session)
    revisions = await repo.set_statuses([(p.spt_id, "awaiting_payment", None) for p, _ in waiting])
    requests: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for p, unpaid in waiting:
        due = payment_due(p.form.obligation, p.period)
        for part in unpaid:
            requests.append(dict(spt_id=p.spt_id, kap_kjs=part.kap_kjs, amount=part.amount, status="requested",
                                 payment_due_date=due, requested_at=p.submitted_at))
            events.append(outbox_row(SPTPaymentRequested(
                spt_id=str(p.spt_id), npwp=p.npwp, form=p.form.code, period=str(p.period), spt_version=p.version,
                kap_kjs=part.kap_kjs, amount=amount_text(part.amount), payment_due_date=due,
                requested_at=p.submitted_at,
            ), key=p.npwp, subject=str(p.spt_id), aggregate_type=AGGREGATE, sequence=revisions[p.spt_id]))
    await repo.request_payments(requests)
    await repo.add_events(events)


async def _keep_certificate(repo: SubmissionRepository, signed: Signatures) -> None:
    pem = signed.certificate_pem
    await repo.keep_certificate(signed.certificate_serial, pem, await asyncio.to_thread(subject_name, pem))


async def _file(session: AsyncSession, *, spt: SptRow, submission: SubmissionRow, payments: list[PaymentRow],
                filed_at: datetime, issued_at: datetime, causation_id: str | None) -> None:
    await _file_many(session, [_Filing(spt, submission, payments, filed_at, issued_at)], causation_id=causation_id)


async def _file_many(session: AsyncSession, filings: list[_Filing], *, causation_id: str | None) -> None:
    """The returns are filed: their receipts, `SPTSubmitted` (a Normal) or `SPTCorrected` (a pembetulan), the
    Art 7(1) STP when a Normal is late, the Art 8(2)/(2a) interest STP of a pembetulan's raise (same transaction).
    Receipts, states and events are one statement each; the STPs (exceptions in a batch) one by one."""
    if not filings:
        return
    repo = SubmissionRepository(session)
    receipts: list[dict[str, Any]] = []
    done: list[tuple[_Filing, str, bool, PaymentRow | None, date | None]] = []
    for f in filings:
        spt, submission = f.spt, f.submission
        filed_on = f.filed_at.astimezone(JAKARTA).date()
        correction = spt.version != NORMAL
        late = not correction and filed_on > submission.due_date  # a pembetulan is not filed late: the Normal was
        paid = sorted((x for x in f.payments if x.status == "paid"), key=lambda x: x.kap_kjs)  # PPN (411211) first
        first = paid[0] if paid else None
        payment_date = first.paid_at.astimezone(JAKARTA).date() if first is not None and first.paid_at else None
        number = receipt_number(filed_on)
        receipts.append(dict(
            number=number, spt_id=spt.id, npwp=spt.npwp, form=spt.form, period=spt.period, spt_version=spt.version,
            filed_at=f.filed_at, issued_at=f.issued_at, content_digest=submission.content_digest,
            due_date=submission.due_date, late=late, billing_code=first.billing_code if first else None,
            ntpn=first.ntpn if first else None, payment_date=payment_date))
        done.append((f, number, late, first, payment_date))
    await repo.add_receipts(receipts)
    revisions = await repo.set_statuses([(f.spt.id, "filed", f.filed_at) for f in filings])
    previous_ids = [f.submission.previous_spt_id for f in filings
                    if f.spt.version != NORMAL and f.submission.previous_spt_id]
    previous = await repo.spts(previous_ids) if previous_ids else {}
    events: list[dict[str, Any]] = []
    for f, number, late, first, payment_date in done:
        spt, submission = f.spt, f.submission
        common: dict[str, Any] = dict(
            spt_id=str(spt.id), npwp=spt.npwp, form=spt.form, period=spt.period, spt_version=spt.version,
            filed_at=f.filed_at, receipt_number=number, content_digest=submission.content_digest,
            outcome=submission.outcome, amount_payable=amount_text(submission.amount_payable),
            overpayment=amount_text(submission.overpayment), billing_code=first.billing_code if first else None,
            ntpn=first.ntpn if first else None, payment_date=payment_date,
            signer_account_id=submission.signer_account_id)
        if spt.version != NORMAL:
            before = previous.get(submission.previous_spt_id) if submission.previous_spt_id else None
            event: SPTSubmitted | SPTCorrected = SPTCorrected(
                **common, previous_spt_id=str(submission.previous_spt_id),
                previous_spt_version=before.version if before else spt.version - 1,
                tax_raise=amount_text(submission.tax_raise),
                shows_overpayment_or_loss=submission.shows_overpayment_or_loss)
        else:
            event = SPTSubmitted(**common, due_date=submission.due_date, late=late)
        events.append(outbox_row(event, key=spt.npwp, subject=str(spt.id), aggregate_type=AGGREGATE,
                                 sequence=revisions[spt.id], causation_id=causation_id))
    await repo.add_events(events)
    for f, _, late, _, _ in done:
        spt = f.spt
        form = form_of(spt.form)
        issued_on = f.issued_at.astimezone(JAKARTA).date()
        if late:
            await sanctions.issue_late_filing_stp(session, npwp=spt.npwp, obligation=form.obligation,
                                                  period=spt.period, spt_id=spt.id, issued_on=issued_on,
                                                  causation_id=causation_id, form=spt.form,
                                                  pph_kap=form.schema.kap if form.schema else None)
        if spt.version != NORMAL:
            filed_on = f.filed_at.astimezone(JAKARTA).date()
            starts = correction_interest_start(form.obligation, form.period(spt.period))
            for part in sorted((x for x in f.payments if x.status == "paid"), key=lambda x: x.kap_kjs):
                charge = correction_interest(part.amount, starts_on=starts, paid_on=part.paid_at.astimezone(
                    JAKARTA).date() if part.paid_at else filed_on)
                if charge.amount > 0:
                    await sanctions.issue_correction_interest_stp(
                        session, npwp=spt.npwp, form=spt.form, period=spt.period, spt_id=spt.id,
                        kap_kjs=part.kap_kjs, charge=charge, issued_on=issued_on, causation_id=causation_id)


# -- payment's events (in the consumer's transaction) ----------------------------------------------------------------
def _spt_id(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


async def record_payment(session: AsyncSession, clock: Clock, envelope: Envelope, event: PaymentConfirmed) -> None:
    """A payment of a waiting return's billing code. Once every payment it asked for is in, the return is filed at
    the time of the last one (the legal payment date), with the NTPN on its receipt."""
    spt_id = _spt_id(event.spt_id) if event.settles == "spt" else None
    if spt_id is None:
        return
    repo = SubmissionRepository(session)
    spt = await repo.lock_spt(spt_id)
    if spt is None:
        log.warning("payment for an unknown SPT", extra={"spt_id": event.spt_id, "payment_id": event.payment_id})
        return
    if not await repo.mark_paid(spt_id=spt_id, kap_kjs=event.kap_kjs, billing_code=event.billing_code,
                                ntpn=event.ntpn, paid_at=event.paid_at, payment_id=event.payment_id):
        return  # already recorded, or nothing was asked under this KAP-KJS
    if spt.status != "awaiting_payment":
        return  # paid after the return went back to draft: it counts when the return is submitted again
    payments = await repo.payments(spt_id)
    if any(x.status != "paid" for x in payments):
        return
    submission = await repo.submission(spt_id)
    if submission is None:
        raise RuntimeError(f"SPT {spt_id} awaits payment without a signed submission")
    filed_at = max(x.paid_at for x in payments if x.paid_at is not None)
    await _file(session, spt=spt, submission=submission, payments=payments, filed_at=filed_at,
                issued_at=clock.now(), causation_id=str(envelope.id))


async def record_billing_expired(session: AsyncSession, envelope: Envelope, event: BillingExpired) -> None:
    """A waiting return's billing code expired unpaid: the return goes back to draft (to be reviewed and submitted
    again). An expiry older than the return's latest request (it was submitted again since) changes nothing."""
    spt_id = _spt_id(event.spt_id) if event.origin == "spt" else None
    if spt_id is None:
        return
    repo = SubmissionRepository(session)
    spt = await repo.lock_spt(spt_id)
    if spt is None or not await repo.expire(spt_id=spt_id, kap_kjs=event.kap_kjs, expired_at=event.expired_at):
        return
    if spt.status == "awaiting_payment":
        await repo.set_status(spt_id, "draft")


# -- reading ---------------------------------------------------------------------------------------------------------
async def get_submission(uow: UnitOfWork, principal: Principal, *, npwp: str | None, period: str,
                         public_url: str, form: str = PPN_FORM) -> SubmissionRead:
    """The newest submitted version of the period: awaiting payment, or filed with its receipt."""
    principal.require(READ)
    npwp = acting_taxpayer(principal, npwp)
    f = form_of(form)
    p = f.period(period)
    async with uow:
        spt = await SubmissionRepository(uow.session).latest_submitted(npwp, f.code, str(p))
        if spt is None:
            raise SubmissionNotFound(f"no {f.title} of {p} was submitted", period=str(p))
        return await _read(uow.session, spt.id, public_url)


async def _read(session: AsyncSession, spt_id: uuid.UUID, public_url: str) -> SubmissionRead:
    return (await _read_many(session, [spt_id], public_url))[spt_id]


async def _read_many(session: AsyncSession, spt_ids: list[uuid.UUID], public_url: str
                     ) -> dict[uuid.UUID, SubmissionRead]:
    """Submitted returns as the API reads them, a handful of statements for any number."""
    repo = SubmissionRepository(session)
    spts, submissions = await repo.spts(spt_ids), await repo.submissions(spt_ids)
    receipts, payments = await repo.receipts_of(spt_ids), await repo.payments_of(spt_ids)
    fined = await repo.with_stps(spt_ids)
    reads: dict[uuid.UUID, SubmissionRead] = {}
    for spt_id in spt_ids:
        spt, submission, receipt = spts.get(spt_id), submissions.get(spt_id), receipts.get(spt_id)
        if spt is None:
            raise SubmissionNotFound("no such return")
        if submission is None:
            raise SubmissionNotFound("the return was not submitted")
        stps = await sanctions.stps_of(session, [spt_id]) if spt_id in fined else []
        reads[spt_id] = SubmissionRead(
            spt_id=spt.id, npwp=spt.npwp, form=spt.form, period=spt.period, spt_version=spt.version,
            version_label=version_label(spt.version), status=spt.status,  # type: ignore[arg-type]
            revision=spt.revision, submitted_at=submission.submitted_at, content_digest=submission.content_digest,
            signer_account_id=submission.signer_account_id, certificate_serial=submission.certificate_serial,
            outcome=submission.outcome,  # type: ignore[arg-type]
            amount_payable=submission.amount_payable.quantize(WHOLE),
            overpayment=submission.overpayment.quantize(WHOLE), due_date=submission.due_date,
            previous_spt_id=submission.previous_spt_id, tax_raise=submission.tax_raise.quantize(WHOLE),
            shows_overpayment_or_loss=submission.shows_overpayment_or_loss,
            payments=[PaymentRead(kap_kjs=x.kap_kjs, amount=x.amount.quantize(WHOLE),
                                  status=x.status,  # type: ignore[arg-type]
                                  payment_due_date=x.payment_due_date, requested_at=x.requested_at,
                                  billing_code=x.billing_code, ntpn=x.ntpn, paid_at=x.paid_at)
                      for x in payments[spt_id]],
            receipt=_receipt(receipt, public_url) if receipt is not None else None, stps=stps)
    return reads


async def _spt(repo: SubmissionRepository, spt_id: uuid.UUID) -> SptRow:
    spt = await repo.spt(spt_id)
    if spt is None:
        raise SubmissionNotFound("no such return")
    return spt


def _receipt(row: ReceiptRow, public_url: str) -> ReceiptRead:
    return ReceiptRead(
        number=row.number, spt_id=row.spt_id, npwp=row.npwp, form=row.form, period=row.period,
        spt_version=row.spt_version, version_label=version_label(row.spt_version), filed_at=row.filed_at,
        issued_at=row.issued_at, content_digest=row.content_digest, due_date=row.due_date, late=row.late,
        billing_code=row.billing_code, ntpn=row.ntpn, payment_date=row.payment_date,
        verification_url=pdf.verification_url(public_url, row.number))


async def get_receipt(uow: UnitOfWork, principal: Principal, number: str, public_url: str) -> ReceiptRead:
    principal.require(READ)
    async with uow:
        row = await SubmissionRepository(uow.session).receipt(number)
    if row is None or row.npwp not in principal.taxpayer_ids:
        raise ReceiptNotFound()
    return _receipt(row, public_url)


async def verify_receipt(uow: UnitOfWork, number: str) -> ReceiptVerificationRead:
    """Public: that a receipt with this number exists, for which masked NPWP, form and period, when it was filed,
    and whether the signed content still matches its digest and signature. Nothing else."""
    async with uow:
        repo = SubmissionRepository(uow.session)
        row = await repo.receipt(number)
        if row is None:
            raise ReceiptNotFound()
        submission = await repo.submission(row.spt_id)
        certificate = await repo.certificate(submission.certificate_serial) if submission else None
    if submission is None or certificate is None:
        valid, reason = False, "the signed content or its certificate is not on record"
    elif submission.content_digest != row.content_digest:
        valid, reason = False, "the receipt's digest is not the one of the signed content"
    else:
        valid, reason = await asyncio.to_thread(signature_valid, submission.content, row.content_digest,
                                                submission.signature, certificate[0])
    return ReceiptVerificationRead(number=row.number, npwp_masked=mask_npwp(row.npwp), form=row.form,
                                   period=row.period, filed_at=row.filed_at, content_digest=row.content_digest,
                                   valid=valid, reason=reason)


async def receipt_pdf(uow: UnitOfWork, principal: Principal, number: str, public_url: str) -> tuple[str, bytes]:
    """(file name, PDF) of a receipt, with a QR code to its public verification."""
    receipt = await get_receipt(uow, principal, number, public_url)
    async with uow:
        repo = SubmissionRepository(uow.session)
        submission = await repo.submission(receipt.spt_id)
        certificate = await repo.certificate(submission.certificate_serial) if submission else None
        name = (await registry.registered(uow.session, receipt.npwp)).name
    if submission is None:
        raise ReceiptNotFound()
    content = await asyncio.to_thread(pdf.render, receipt, submission.content, taxpayer_name=name,
                                      signer_name=certificate[1] if certificate else None,
                                      certificate_serial=submission.certificate_serial)
    return f"bpe-{receipt.number}.pdf", content
