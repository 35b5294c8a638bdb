"""filing's and payment's facts turned into notices: one table entry per event.

An entry names the notice (its template), the fact's own id (the source key: one notice per fact however often the
event is redelivered or republished under a new envelope id), the template's parameters, and, where an event
repeats what another notice already said, when it makes no notice. Parameters are raw values (decimal strings, ISO
dates, codes); the template formats them for the recipient's language (`notification.formatting`). Each entry is a
batch handler: a sanction run's 100,000 STPs arrive as a few set-based statements per fetch, not 100,000.

Statutory (the template's `statutory`, cannot be switched off): what the taxpayer must be able to rely on or act
on — receipts (BPE of a return or a correction, a payment's NTPN), letters and decisions (STP, SKP, KSWP, SKB
approved or rejected, a written warning, PHTB validation, instalments granted) and a debt nobody else told them of.
Optional: a billing code they created themselves, a deposit credit, and reminders of an approaching deadline, a code
about to expire or an instalment about to fall due (the deadline is the law's, not the notice's: a taxpayer may
switch reminders off).

Events on these topics without an entry (SPTPaymentRequested, AuditStarted, BillingExpired, ...) and event types
this build does not know are skipped by the consumer (counted `ignored` / `unknown`), never dead-lettered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import Envelope
from contracts.filing import (
    DeadlineApproaching,
    KSWPIssued,
    SKBIssued,
    SKBRejected,
    SKPIssued,
    SPTCorrected,
    SPTSubmitted,
    STPIssued,
    WrittenWarningIssued,
)
from contracts.payment import (
    BillingCreated,
    BillingExpiryApproaching,
    DebtRecorded,
    DepositCredited,
    InstalmentDueApproaching,
    InstalmentGranted,
    PaymentConfirmed,
    PHTBValidated,
)
from contracts.registry import Contract
from kit.consumer import BatchHandler, Handlers
from notification.notices import Notice, create_notices
from notification.otp import Context

E = TypeVar("E", bound=Contract)


@dataclass(frozen=True)
class NoticeRule(Generic[E]):
    """`contract` -> notice `notice` for the taxpayer `event.npwp`, once per `fact_id(event)`."""

    contract: type[E]
    notice: str
    fact_id: Callable[[E], str]
    params: Callable[[E], dict[str, Any]]
    applies: Callable[[E], bool] = lambda _event: True

    def source_key(self, event: E) -> str:
        return f"{self.notice}:{self.fact_id(event)}"


def _outcome_amount(event: SPTSubmitted | SPTCorrected) -> str:
    """What the outcome is about: the tax still to pay, the overpayment, or nothing."""
    return {"kurang_bayar": event.amount_payable, "lebih_bayar": event.overpayment}.get(event.outcome, "0")


def _spt_submitted(e: SPTSubmitted) -> dict[str, Any]:
    return {"npwp": e.npwp, "receipt_number": e.receipt_number, "form": e.form, "period": e.period,
            "filed_at": e.filed_at.isoformat(), "outcome": e.outcome, "amount": _outcome_amount(e), "ntpn": e.ntpn,
            "digest": e.content_digest}


def _spt_corrected(e: SPTCorrected) -> dict[str, Any]:
    return {"npwp": e.npwp, "receipt_number": e.receipt_number, "form": e.form, "period": e.period,
            "spt_version": e.spt_version, "filed_at": e.filed_at.isoformat(), "outcome": e.outcome,
            "amount": _outcome_amount(e), "tax_raise": e.tax_raise, "ntpn": e.ntpn, "digest": e.content_digest}


def _stp_issued(e: STPIssued) -> dict[str, Any]:
    return {"npwp": e.npwp, "stp_number": e.stp_number, "reason": e.reason, "basis": e.basis, "kap_kjs": e.kap_kjs,
            "amount": e.amount, "form": e.form, "period": e.period, "issued_on": e.issued_on.isoformat(),
            "due_date": e.due_date.isoformat()}


def _skp_issued(e: SKPIssued) -> dict[str, Any]:
    return {"npwp": e.npwp, "skp_number": e.skp_number, "kind": e.kind, "form": e.form, "period": e.period,
            "principal": e.principal, "interest": e.interest, "increase": e.increase, "total": e.total,
            "kap_kjs": e.kap_kjs, "issued_on": e.issued_on.isoformat(),
            "due_date": e.due_date.isoformat() if e.due_date else None, "reasoning": e.reasoning}


def _kswp_issued(e: KSWPIssued) -> dict[str, Any]:
    return {"npwp": e.npwp, "letter_number": e.letter_number, "agency": e.requesting_agency, "service": e.service,
            "variant": e.variant, "status": e.status, "reasons": list(e.reasons),
            "checked_at": e.checked_at.isoformat(), "verification_code": e.verification_code}


def _skb_issued(e: SKBIssued) -> dict[str, Any]:
    return {"npwp": e.npwp, "skb_number": e.skb_number, "tax": e.tax, "ground": e.ground, "tax_year": e.tax_year,
            "valid_from": e.valid_from.isoformat(), "valid_until": e.valid_until.isoformat(),
            "decided_at": e.decided_at.isoformat()}


def _skb_rejected(e: SKBRejected) -> dict[str, Any]:
    return {"npwp": e.npwp, "tax": e.tax, "ground": e.ground, "tax_year": e.tax_year, "reason": e.reason,
            "received_on": e.received_on.isoformat(), "decided_at": e.decided_at.isoformat()}


def _warning_issued(e: WrittenWarningIssued) -> dict[str, Any]:
    return {"npwp": e.npwp, "letter_number": e.letter_number, "form": e.form, "period": e.period,
            "issued_on": e.issued_on.isoformat(), "overpayment_filing_limit": e.overpayment_filing_limit.isoformat()}


def _deadline_approaching(e: DeadlineApproaching) -> dict[str, Any]:
    return {"npwp": e.npwp, "form": e.form, "period": e.period, "due_date": e.due_date.isoformat(),
            "days_left": e.days_left}


def _billing_created(e: BillingCreated) -> dict[str, Any]:
    return {"npwp": e.npwp, "billing_code": e.billing_code, "amount": e.amount, "kap_kjs": e.kap_kjs,
            "period": e.period, "assessment_number": e.assessment_number, "origin": e.origin,
            "expires_at": e.expires_at.isoformat()}


def _payment_confirmed(e: PaymentConfirmed) -> dict[str, Any]:
    return {"npwp": e.npwp, "ntpn": e.ntpn, "amount": e.amount, "billing_code": e.billing_code,
            "kap_kjs": e.kap_kjs, "period": e.period, "assessment_number": e.assessment_number,
            "paid_at": e.paid_at.isoformat(), "bank_code": e.bank_code, "settles": e.settles}


def _debt_recorded(e: DebtRecorded) -> dict[str, Any]:
    return {"npwp": e.npwp, "kind": e.kind, "kap_kjs": e.kap_kjs, "assessment_number": e.assessment_number,
            "period": e.period, "amount": e.amount, "issued_on": e.issued_on.isoformat(),
            "due_date": e.due_date.isoformat()}


def _instalment_granted(e: InstalmentGranted) -> dict[str, Any]:
    return {"npwp": e.npwp, "kind": e.kind, "kap_kjs": e.kap_kjs, "principal": e.principal,
            "monthly_rate_percent": e.monthly_rate_percent, "payments": len(e.schedule),
            "schedule": [{"number": p.number, "due_date": p.due_date.isoformat(), "total": p.total}
                         for p in e.schedule],
            "granted_at": e.granted_at.isoformat()}


def _phtb_validated(e: PHTBValidated) -> dict[str, Any]:
    return {"npwp": e.npwp, "number": e.number, "nop": e.nop, "ntpn": e.ntpn, "gross_value": e.gross_value,
            "category": e.category, "rate_percent": e.rate_percent, "tax_amount": e.tax_amount,
            "validated_at": e.validated_at.isoformat(), "verification_url": e.verification_url}


def _billing_expiring(e: BillingExpiryApproaching) -> dict[str, Any]:
    return {"npwp": e.npwp, "billing_code": e.billing_code, "amount": e.amount, "kap_kjs": e.kap_kjs,
            "period": e.period, "assessment_number": e.assessment_number, "origin": e.origin,
            "expires_at": e.expires_at.isoformat()}


def _instalment_due(e: InstalmentDueApproaching) -> dict[str, Any]:
    return {"npwp": e.npwp, "kap_kjs": e.kap_kjs, "number": e.number, "instalments": e.instalments,
            "due_date": e.due_date.isoformat(), "total": e.total, "days_left": e.days_left,
            "billing_code": e.billing_code}


def _deposit_credited(e: DepositCredited) -> dict[str, Any]:
    return {"npwp": e.npwp, "amount": e.amount, "route": e.route, "ntpn": e.ntpn,
            "deposited_at": e.deposited_at.isoformat(), "balance_after": e.balance_after}


FILING_RULES: tuple[NoticeRule[Any], ...] = (
    NoticeRule(SPTSubmitted, "spt.submitted", lambda e: e.spt_id, _spt_submitted),
    NoticeRule(SPTCorrected, "spt.corrected", lambda e: e.spt_id, _spt_corrected),
    NoticeRule(STPIssued, "stp.issued", lambda e: e.stp_id, _stp_issued),
    NoticeRule(SKPIssued, "skp.issued", lambda e: e.skp_id, _skp_issued),
    NoticeRule(KSWPIssued, "kswp.issued", lambda e: e.kswp_id, _kswp_issued),
    # an application is decided once: approved or rejected, each the applicant's notice of the decision
    NoticeRule(SKBIssued, "skb.issued", lambda e: e.application_id, _skb_issued),
    NoticeRule(SKBRejected, "skb.rejected", lambda e: e.application_id, _skb_rejected),
    # a Surat Teguran has legal effect (UU KUP Art 3(7)(c)) only if the taxpayer learns of it: one per letter
    NoticeRule(WrittenWarningIssued, "warning.issued", lambda e: e.warning_id, _warning_issued),
    # one per return and reminder (d7, d1): filing sends each once, under its own reminder_id
    NoticeRule(DeadlineApproaching, "deadline.approaching", lambda e: e.reminder_id, _deadline_approaching),
)

PAYMENT_RULES: tuple[NoticeRule[Any], ...] = (
    NoticeRule(BillingCreated, "billing.created", lambda e: e.billing_id, _billing_created),
    NoticeRule(PaymentConfirmed, "payment.confirmed", lambda e: e.payment_id, _payment_confirmed),
    # A debt from an STP or SKP was already announced by that letter's notice (the same fact, seen by payment);
    # a legacy debt or an SPT's underpayment has no other notice.
    NoticeRule(DebtRecorded, "debt.recorded", lambda e: e.debt_id, _debt_recorded,
               applies=lambda e: e.legacy or e.kind == "spt_underpayment"),
    NoticeRule(InstalmentGranted, "instalment.granted", lambda e: e.arrangement_id, _instalment_granted),
    NoticeRule(PHTBValidated, "phtb.validated", lambda e: e.validation_id, _phtb_validated),
    # A payment into the deposit already has its payment receipt (payment.confirmed).
    NoticeRule(DepositCredited, "deposit.credited", lambda e: e.credit_id, _deposit_credited,
               applies=lambda e: e.route != "payment"),
    # reminders, one per code or instalment: payment sends each once, under its own reminder_id
    NoticeRule(BillingExpiryApproaching, "billing.expiring", lambda e: e.reminder_id, _billing_expiring),
    NoticeRule(InstalmentDueApproaching, "instalment.due", lambda e: e.reminder_id, _instalment_due),
)


# filing's and payment's events that make no notice, and why. A test checks every contract either has a rule above
# or is listed here, so a new event is a decision rather than an accident.
WITHOUT_NOTICE = {
    "SPTPaymentRequested": "payment answers it with BillingCreated (origin spt), which carries the code to pay",
    "AuditStarted": "an audit is announced by the officer's letter, outside this service",
    "AuditClosed": "its outcome reaches the taxpayer as SKPIssued",
    "BillingExpired": "the taxpayer can create a new code; BillingExpiryApproaching reminded them a day before",
    "DebtSettled": "the payment that settled it has its receipt (PaymentConfirmed)",
    "DebtInterestAccrued": "filing bills the interest with an STP, which has its notice",
    "DepositAllocated": "the taxpayer's own instruction; the ledger shows it",
    "DepositDebited": "the taxpayer's own transfer or refund request; the receiving taxpayer gets DepositCredited",
    "WorkingCalendarPublished": "reference data for the services (a year's days off), no taxpayer's fact",
    "InterestRatesPublished": "reference data for the services (a month's KMK rates), no taxpayer's fact",
}


def notices_for(rule: NoticeRule[Any], events: Sequence[tuple[Envelope, Any]]) -> list[Notice]:
    return [Notice(event.npwp, envelope.id, rule.params(event), dedupe_key=rule.source_key(event))
            for envelope, event in events if rule.applies(event)]


def rule_handler(rule: NoticeRule[Any], ctx: Context) -> BatchHandler:
    async def handle(session: AsyncSession, events: list[tuple[Envelope, Any]]) -> None:
        notices = notices_for(rule, events)
        if notices:
            await create_notices(session, ctx, rule.notice, notices)

    handle.__name__ = f"notify_{rule.notice.replace('.', '_')}"
    return handle


def handlers_for(rules: Sequence[NoticeRule[Any]], ctx: Context) -> Handlers:
    handlers = Handlers()
    for rule in rules:
        handlers.on_many(rule.contract)(rule_handler(rule, ctx))
    return handlers


def filing_handlers(ctx: Context) -> Handlers:
    """`filing.events`: receipts, corrections, STP, SKP and KSWP letters, SKB decisions, written warnings, deadline
    reminders."""
    return handlers_for(FILING_RULES, ctx)


def payment_handlers(ctx: Context) -> Handlers:
    """`payment.events`: billing codes, payment receipts, debts, instalments, PHTB validations, deposit credits, and
    reminders of a code about to expire or an instalment about to fall due."""
    return handlers_for(PAYMENT_RULES, ctx)
