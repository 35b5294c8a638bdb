"""Issuing and expiring billing codes inside the caller's transaction: the steps billing's own use cases and the
other slices (a debt's code, an instalment's, the deposit's) share. They publish `BillingCreated` / `BillingExpired`
through the outbox in that transaction."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.payment import BillingCreated, BillingExpired
from kit.idempotency import Idempotency, answered_claims_params
from kit.logging import correlated
from kit.outbox import outbox_arrays, outbox_row, publish
from payment.billing.amount import amount_text
from payment.billing.codes import new_billing_code
from payment.billing.kap_kjs import BillingSubject
from payment.billing.repository import BillingRepository, CodeTaken
from payment.billing.transfer import Transfer
from payment.billing.validity import expires_at
from payment.models import Billing

AGGREGATE = "billing"
CODE_DRAWS = 10


@dataclass(frozen=True)
class Issue:
    """A code to make: whose, for what, how much, and where it comes from."""

    npwp: str
    subject: BillingSubject
    amount: Decimal
    origin: str
    created_by: str | None
    spt_id: str | None = None
    debt_id: uuid.UUID | None = None
    instalment_number: int | None = None
    causation_id: str | None = None
    transfer: Transfer | None = None
    correlation_id: str | None = None  # the request's, when made in a batch of others' (None: the context's)


@dataclass(frozen=True)
class IssuedCode:
    """A code just issued, as stored (not an ORM object: building one costs more than the insert)."""

    id: uuid.UUID
    code: str
    npwp: str
    kap: str
    kjs: str
    period: str | None
    assessment_number: str | None
    amount: Decimal
    origin: str
    spt_id: str | None
    debt_id: uuid.UUID | None
    instalment_number: int | None
    status: str
    created_by: str | None
    created_at: datetime
    expires_at: datetime
    version: int
    nop: str | None
    transfer_value: Decimal | None
    buyer_id: str | None

    @property
    def kap_kjs(self) -> str:
        return f"{self.kap}-{self.kjs}"


async def issue(session: AsyncSession, *, npwp: str, subject: BillingSubject, amount: Decimal, origin: str,
                created_by: str, spt_id: str | None = None, debt_id: uuid.UUID | None = None,
                instalment_number: int | None = None, causation_id: str | None = None,
                transfer: Transfer | None = None) -> IssuedCode:
    """A new code with a fresh random number (drawn again if ever issued before) and `BillingCreated`."""
    [billing] = await issue_many(session, [Issue(npwp, subject, amount, origin, created_by, spt_id, debt_id,
                                                 instalment_number, causation_id, transfer)])
    return billing


async def issue_many(session: AsyncSession, issues: Sequence[Issue]) -> list[IssuedCode]:
    """New codes, in order, each with a fresh random number and its `BillingCreated`: one statement for all of them
    (again for those whose number was ever issued before: `CODE_DRAWS` times at most, never in practice). The codes
    returned are as stored, not ORM objects."""
    created_at = datetime.now(UTC)
    expiry = expires_at(created_at)
    made: dict[int, IssuedCode] = {}
    todo = list(range(len(issues)))
    for _ in range(CODE_DRAWS):
        if not todo:
            break
        rows = {i: _row(issues[i], created_at, expiry) for i in todo}
        events = [(row["id"], _created(issues[i], row)) for i, row in rows.items()]
        inserted = await BillingRepository(session).insert_many(list(rows.values()), outbox_arrays(events))
        made |= {i: IssuedCode(**row) for i, row in rows.items() if row["id"] in inserted}
        todo = [i for i in todo if i not in made]
    if todo:
        raise RuntimeError(f"no unused billing code in {CODE_DRAWS} draws")
    return [made[i] for i in range(len(issues))]


async def issue_claimed(session: AsyncSession, requests: Sequence[tuple[Issue, Idempotency]],
                        answer: Callable[[IssuedCode], str]) -> list[IssuedCode | None]:
    """New codes for requests each with its `Idempotency-Key` (or none), as one statement that is the whole use case
    (the session must be in autocommit: no BEGIN, no COMMIT): each key claimed with its answer (`answer(code)`, JSON
    text, status 201), each code made only for a request without a key or whose key was claimed, and its
    `BillingCreated`. In order: the code, or None for a request whose key was taken (answer it with
    `Idempotency.replay` afterwards). Pass each key once. A code issued before fails the statement, which then
    changed nothing: all are drawn again."""
    for _ in range(CODE_DRAWS):
        created_at = datetime.now(UTC)
        expiry = expires_at(created_at)
        rows = [_row(issue, created_at, expiry) for issue, _ in requests]
        codes = [IssuedCode(**row) for row in rows]
        claims = answered_claims_params([(idem, 201, answer(code)) for (_, idem), code in zip(requests, codes,
                                                                                             strict=True)])
        events = outbox_arrays([(row["id"], _created(issue, row)) for (issue, _), row in zip(requests, rows,
                                                                                            strict=True)])
        gates = [(idem.owner, idem.key) if idem.key else None for _, idem in requests]
        try:
            claimed = await BillingRepository(session).insert_claimed(rows, events, claims, gates)
        except CodeTaken:
            continue
        return [code if gate is None or gate in claimed else None for code, gate in zip(codes, gates, strict=True)]
    raise RuntimeError(f"no unused billing codes in {CODE_DRAWS} draws")


def _row(issue: Issue, created_at: datetime, expiry: datetime) -> dict[str, Any]:
    transfer = issue.transfer
    return dict(id=uuid.uuid4(), code=new_billing_code(), npwp=issue.npwp, kap=issue.subject.rule.kap,
                kjs=issue.subject.rule.kjs, period=issue.subject.period,
                assessment_number=issue.subject.assessment_number, amount=issue.amount, origin=issue.origin,
                spt_id=issue.spt_id, debt_id=issue.debt_id, instalment_number=issue.instalment_number,
                status="active", created_by=issue.created_by, created_at=created_at, expires_at=expiry, version=1,
                nop=transfer.nop if transfer else None, transfer_value=transfer.value if transfer else None,
                buyer_id=transfer.buyer_id if transfer else None)


def _created(issue: Issue, row: dict[str, Any]) -> dict[str, Any]:
    with correlated(issue.correlation_id):
        return _created_event(issue, row)


def _created_event(issue: Issue, row: dict[str, Any]) -> dict[str, Any]:
    return outbox_row(BillingCreated(
        billing_id=str(row["id"]), billing_code=row["code"], npwp=issue.npwp, kap_kjs=issue.subject.rule.kap_kjs,
        period=issue.subject.period, assessment_number=issue.subject.assessment_number,
        amount=amount_text(issue.amount), origin=issue.origin,  # type: ignore[arg-type]
        spt_id=issue.spt_id, debt_id=str(issue.debt_id) if issue.debt_id else None,
        instalment_number=issue.instalment_number, created_at=row["created_at"], expires_at=row["expires_at"],
    ), key=issue.npwp, subject=str(row["id"]), aggregate_type=AGGREGATE, sequence=1,
        causation_id=issue.causation_id)


async def expire_in(session: AsyncSession, billing: Billing, now: datetime) -> None:
    """In the caller's transaction, with `billing` locked: an active code past its expiry that the worker has not
    reached yet is marked expired and announced now (a debt's new code needs the old one out of the way)."""
    await BillingRepository(session).mark_expired(billing, now)
    await announce_expiry(session, billing, now)


async def announce_expiry(session: AsyncSession, billing: Billing, now: datetime) -> None:
    await publish(session, BillingExpired(
        billing_id=str(billing.id), billing_code=billing.code, npwp=billing.npwp, kap_kjs=billing.kap_kjs,
        period=billing.period, assessment_number=billing.assessment_number,
        amount=amount_text(billing.amount), origin=billing.origin,  # type: ignore[arg-type]
        spt_id=billing.spt_id, debt_id=str(billing.debt_id) if billing.debt_id else None,
        instalment_number=billing.instalment_number, expired_at=now,
    ), key=billing.npwp, subject=str(billing.id), aggregate_type=AGGREGATE, sequence=billing.version)
