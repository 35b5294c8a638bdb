"""payment's events about the billing codes a submitted kurang bayar return waits for, in the consumer's
transaction. `PaymentConfirmed` completes the return once every requested payment is in (filed at the time of the
last one, the legal payment date, with the NTPN on its receipt); `BillingExpired` sends it back to draft;
`InstalmentGranted` naming the return covers its PPh 29 by the decision's schedule (PMK-81/2024 Art 114), so the
return no longer waits for that payment. A fact seen twice (even under another event id) finds its row already moved
and changes nothing."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import Envelope
from contracts.payment import BillingExpired, InstalmentGranted, PaymentConfirmed
from filing.returns.repository import SptRow
from filing.submissions.outcomes import Filing, file_many
from filing.submissions.repository import SubmissionRepository
from kit.clock import Clock

log = logging.getLogger(__name__)


def _spt_id(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


async def record_payment(session: AsyncSession, clock: Clock, envelope: Envelope, event: PaymentConfirmed) -> None:
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
    await _file_when_settled(session, clock, envelope, spt_id, spt)


async def record_instalments_granted(session: AsyncSession, clock: Clock, envelope: Envelope,
                                     event: InstalmentGranted) -> None:
    """The PPh 29 a return waits for is now paid on the decision's schedule (payment recorded it as a debt and
    expires the return's code right after this event, so that expiry finds nothing waiting). The return is filed
    as of its submission: it was signed and complete then, and the decision stands in for the payment. Decisions
    about other debts pass by."""
    spt_id = _spt_id(event.spt_id)
    if spt_id is None:
        return
    repo = SubmissionRepository(session)
    spt = await repo.lock_spt(spt_id)
    if spt is None:
        log.warning("instalments for an unknown SPT", extra={"spt_id": event.spt_id,
                                                             "arrangement_id": event.arrangement_id})
        return
    if not await repo.cover_by_instalments(spt_id=spt_id, kap_kjs=event.kap_kjs,
                                           arrangement_id=event.arrangement_id):
        return  # already covered, or nothing waits under this KAP-KJS
    if spt.status == "awaiting_payment":
        await _file_when_settled(session, clock, envelope, spt_id, spt)


async def _file_when_settled(session: AsyncSession, clock: Clock, envelope: Envelope, spt_id: uuid.UUID,
                             spt: SptRow) -> None:
    """File the waiting return once every request is paid or covered by instalments: at the last payment (the
    legal payment date), or at its submission when no payment was made."""
    repo = SubmissionRepository(session)
    payments = await repo.payments(spt_id)
    if any(x.status not in ("paid", "instalment") for x in payments):
        return
    submission = await repo.submission(spt_id)
    if submission is None:
        raise RuntimeError(f"SPT {spt_id} awaits payment without a signed submission")
    paid = [x.paid_at for x in payments if x.paid_at is not None]
    filed_at = max(paid) if paid else submission.submitted_at
    await file_many(session, [Filing(spt, submission, payments, filed_at, clock.now())],
                    causation_id=str(envelope.id))


async def record_billing_expired(session: AsyncSession, envelope: Envelope, event: BillingExpired) -> None:
    """An expiry older than the return's latest request (it was submitted again since) changes nothing."""
    spt_id = _spt_id(event.spt_id) if event.origin == "spt" else None
    if spt_id is None:
        return
    repo = SubmissionRepository(session)
    spt = await repo.lock_spt(spt_id)
    if spt is None or not await repo.expire(spt_id=spt_id, kap_kjs=event.kap_kjs, expired_at=event.expired_at):
        return
    if spt.status == "awaiting_payment":
        await repo.set_status(spt_id, "draft")
