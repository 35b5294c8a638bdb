"""Use cases of the billing slice: a self-assessed (mandiri) code, a code for an SPT waiting for payment (from
filing's event), reading a code, and expiring the codes past their validity. Each API use case commits its own
transaction; the consumer step runs in the consumer's transaction (inbox row and change together)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.responses import Response

from contracts.envelope import Envelope
from contracts.filing import SPTPaymentRequested
from kit.auth import Principal, acting_taxpayer
from kit.db import UnitOfWork
from kit.errors import AppError
from kit.group_commit import GroupCall
from kit.idempotency import Idempotency, store_all
from kit.logging import correlation_id
from kit.pagination import CursorParams, encode_cursor
from payment.auth import READ, WRITE
from payment.billing.amount import check_amount
from payment.billing.codes import validate_billing_code
from payment.billing.errors import AssessmentNumberInBatch, BillingNotFound
from payment.billing.issuance import Issue, IssuedCode, announce_expiry, issue, issue_claimed, issue_many
from payment.billing.kap_kjs import BillingSubject, check_billing_subject
from payment.billing.repository import BillingRepository
from payment.billing.schemas import (
    BillingBatchItem,
    BillingBatchResult,
    BillingCreate,
    BillingPage,
    BillingRead,
    ItemProblem,
)
from payment.billing.transfer import Transfer, check_transfer
from payment.debts import service as debts

log = logging.getLogger(__name__)
BATCH_MAX = 1_000  # codes in one PJAP batch, and in one transaction
# Batches of single requests in flight at once, per process: while one waits for the database, the requests that
# arrived meanwhile start the next. With one at a time, a batch of the first request or two of a wave went alone and
# the rest of the wave waited behind it (batches of 2 and 30 in turn). 2, with one pass of the event loop before a
# batch starts (GroupCall's `one_pass`), was the steadiest in interleaved bench/payment.py runs on the shared 2-core
# machine; 4 without did as well when the machine was quiet, worse when it was not.
IN_FLIGHT = 2


async def create_mandiri_billing(uow: UnitOfWork, principal: Principal, body: BillingCreate) -> BillingRead:
    npwp, subject, amount, transfer = _checked(principal, body)
    if subject.assessment_number is not None:  # a code naming an open debt's STP/SKP number pays that debt
        found = await debts.code_for_named_debt(uow, principal, npwp=npwp, subject=subject, amount=amount)
        if found is not None:
            return found
    async with uow:
        read = await _issue_mandiri(uow.session, principal, npwp, subject, amount, transfer)
        await uow.commit()
    return read


@dataclass(frozen=True)
class MandiriRequest:
    """A checked request for a mandiri code naming no STP/SKP number, with its `Idempotency-Key` (if sent)."""

    idempotency: Idempotency
    issue: Issue


def mandiri_request(principal: Principal, body: BillingCreate, idempotency: Idempotency) -> MandiriRequest:
    """The request checked (its refusal raised), for `Issuer.create`."""
    if body.assessment_number is not None:
        raise ValueError("a code naming an STP/SKP number may be a debt's: use create_mandiri_billing")
    npwp, subject, amount, transfer = _checked(principal, body)
    return MandiriRequest(idempotency, Issue(npwp, subject, amount, "mandiri", principal.acting_person,
                                             transfer=transfer, correlation_id=correlation_id.get()))


class Issuer:
    """The process's mandiri codes, made together: each request waits for the batch it joins (`IN_FLIGHT` batches
    run at once; the requests arriving meanwhile form the next, `kit.group_commit.GroupCall`)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._calls: GroupCall[MandiriRequest, Response | AppError] = GroupCall(
            lambda requests: create_mandiri_billings(UnitOfWork(sessions), requests), max_batch=BATCH_MAX,
            concurrency=IN_FLIGHT, one_pass=True)

    async def create(self, request: MandiriRequest) -> Response:
        """201 with the code, or the answer stored for the request's `Idempotency-Key`; refusals raised."""
        return await self._calls.submit(request)  # type: ignore[return-value]  # refusals come back raised


async def create_mandiri_billings(uow: UnitOfWork, requests: Sequence[MandiriRequest]) -> list[Response | AppError]:
    """Mandiri codes for many requests, each with its own answer: one statement, which is the whole transaction
    (`issuance.issue_claimed`: the keys claimed with their answers, the codes, `BillingCreated`), so a batch costs
    one round trip. A request whose key was taken (by another request, or an earlier one of this batch) gets the
    stored answer (or `idempotency.in_progress` / `key_reused`), read after the statement."""
    first: dict[tuple[str, str], MandiriRequest] = {}
    mine = [r for r in requests if not r.idempotency.key or first.setdefault((r.idempotency.owner,
                                                                              r.idempotency.key), r) is r]
    answers: dict[uuid.UUID, str] = {}

    def answer(code: IssuedCode) -> str:
        answers[code.id] = BillingRead.of(code, None, code.created_at).model_dump_json()
        return answers[code.id]

    async with uow:  # autocommit: the one statement is the transaction (no BEGIN, no COMMIT to wait for)
        await uow.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        made = await issue_claimed(uow.session, [(r.issue, r.idempotency) for r in mine], answer)
        await uow.commit()  # sends nothing: the statement committed itself
    created = {id(r): answers[code.id] for r, code in zip(mine, made, strict=True) if code is not None}
    outcomes: list[Response | AppError] = []
    for request in requests:
        if id(request) in created:
            outcomes.append(Response(created[id(request)], status_code=201, media_type="application/json"))
        else:
            outcomes.append(await _replay(uow, request))
    return outcomes


async def _replay(uow: UnitOfWork, request: MandiriRequest) -> Response | AppError:
    """The answer stored for a request whose key was taken; or, when the claim was abandoned and is this request's
    now, the code made in a transaction of its own, with its answer stored."""
    try:
        replay = await request.idempotency.replay()
    except AppError as refused:
        return refused
    if replay is not None:
        return replay
    async with uow:
        code = await issue(uow.session, npwp=request.issue.npwp, subject=request.issue.subject,
                           amount=request.issue.amount, origin="mandiri", created_by=request.issue.created_by or "",
                           transfer=request.issue.transfer)
        content = BillingRead.of(code, None, code.created_at).model_dump_json()
        await store_all(uow.session, [(request.idempotency, 201, content)])
        await uow.commit()
    return Response(content, status_code=201, media_type="application/json")


async def create_mandiri_batch_in(session: AsyncSession, principal: Principal,
                                  bodies: Sequence[BillingCreate]) -> BillingBatchResult:
    """A PJAP's batch of mandiri codes in the caller's transaction (the batch's `Idempotency-Key`, `run_in`), one
    statement for all codes: each item checked as `POST /v1/billing-codes` checks it, refused alone (nothing made
    for it) or made. An item naming an STP/SKP number is refused (`billing.assessment_number_in_batch`)."""
    outcomes: list[Issue | AppError] = []
    for body in bodies:
        try:
            if body.assessment_number is not None:
                raise AssessmentNumberInBatch("a code naming an STP or SKP number may be the debt's own code: make "
                                              "it with POST /v1/billing-codes")
            npwp, subject, amount, transfer = _checked(principal, body)
            outcomes.append(Issue(npwp, subject, amount, "mandiri", principal.acting_person, transfer=transfer))
        except AppError as refused:
            outcomes.append(refused)
    made = iter(await issue_many(session, [o for o in outcomes if isinstance(o, Issue)]))
    results = []
    for outcome in outcomes:
        if isinstance(outcome, AppError):
            results.append(BillingBatchItem(status=outcome.status, error=ItemProblem(
                code=outcome.code, title=outcome.title, detail=outcome.detail, details=outcome.details or None)))
        else:
            billing = next(made)
            results.append(BillingBatchItem(status=201, billing=BillingRead.of(billing, None, billing.created_at)))
    return BillingBatchResult(results=results, created=sum(r.status == 201 for r in results),
                              refused=sum(r.status != 201 for r in results))


def _checked(principal: Principal, body: BillingCreate) -> tuple[str, BillingSubject, Decimal, Transfer | None]:
    principal.require(WRITE)
    npwp = acting_taxpayer(principal, body.npwp)
    subject = check_billing_subject(body.kap_kjs, period=body.period, assessment_number=body.assessment_number)
    amount = check_amount(body.amount)
    transfer = check_transfer(subject.rule.kap_kjs, nop=body.nop, value=body.transfer_value, buyer_id=body.buyer_id)
    return npwp, subject, amount, transfer


async def _issue_mandiri(session: AsyncSession, principal: Principal, npwp: str, subject: BillingSubject,
                         amount: Decimal, transfer: Transfer | None) -> BillingRead:
    billing = await issue(session, npwp=npwp, subject=subject, amount=amount, origin="mandiri",
                          created_by=principal.acting_person, transfer=transfer)
    return BillingRead.of(billing, None, billing.created_at)


async def list_billing(uow: UnitOfWork, principal: Principal, params: CursorParams, *, npwp: str | None,
                       status: str | None, spt_id: str | None) -> BillingPage:
    """The taxpayer's codes, oldest first: what a front end shows after "Bayar dan Lapor" (the SPT's codes, by
    `spt_id`), and what is still payable (`status=active`)."""
    principal.require(READ)
    npwp = acting_taxpayer(principal, npwp)
    async with uow:
        page, more = await BillingRepository(uow.session).page(npwp, params, status=status, spt_id=spt_id)
    now = datetime.now(UTC)
    last = page[-1][0] if page else None
    return BillingPage(npwp=npwp, items=[BillingRead.of(billing, payment, now) for billing, payment in page],
                       next_cursor=encode_cursor(last.created_at, last.id) if more and last else None)


async def get_billing(uow: UnitOfWork, principal: Principal, code: str) -> BillingRead:
    principal.require(READ)
    code = validate_billing_code(code)
    async with uow:
        found = await BillingRepository(uow.session).get_by_code(code)
    if found is None or found[0].npwp not in principal.taxpayer_ids:
        raise BillingNotFound(f"no billing code {code} for the taxpayers of this token")
    return BillingRead.of(*found, datetime.now(UTC))


async def create_spt_billing(session: AsyncSession, envelope: Envelope, event: SPTPaymentRequested) -> None:
    """Consumer step for filing's `SPTPaymentRequested`: the SPT's code for this KAP-KJS, unless one is still
    payable or paid (a repeated request makes no second code). A request the rules refuse raises, so the event
    goes to the dead-letter topic with the reason."""
    subject = check_billing_subject(event.kap_kjs, period=event.period)
    amount = check_amount(event.amount)
    repo = BillingRepository(session)
    existing = await repo.open_for_spt(event.spt_id, subject.rule.kap, subject.rule.kjs)
    if existing is not None:
        log.info("SPT already has a billing code", extra={"spt_id": event.spt_id, "status": existing.status})
        return
    await issue(session, npwp=event.npwp, subject=subject, amount=amount, origin="spt", spt_id=event.spt_id,
                created_by=f"event:{envelope.id}", causation_id=str(envelope.id))


async def expire_due_billing_codes(uow: UnitOfWork, *, batch: int, now: datetime | None = None) -> int:
    """Mark up to `batch` active codes past their expiry as expired and publish `BillingExpired` for each, in one
    transaction. Returns how many; the caller repeats while a full batch came back."""
    now = now or datetime.now(UTC)
    async with uow:
        expired = await BillingRepository(uow.session).expire_due(now, batch)
        for billing in expired:
            await announce_expiry(uow.session, billing, now)
        await uow.commit()
    return len(expired)
