"""Every rule a submission must pass, run before signing and again in the filing transaction: the form's required
fields, UU KUP Art 8 for a pembetulan, Art 3(7) (attachments, an overpayment more than 3 years late after a written
warning, an audit started or an assessment issued). What the rules read besides the figures is loaded for many
returns at once (`facts_of`)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from filing.assessments import service as assessments
from filing.calendar.periods import TaxPeriod, TaxYear
from filing.corrections.rules import NORMAL, CorrectionRequest, ensure_correction_allowed
from filing.forms.errors import FieldRequired
from filing.returns.repository import ReturnKey, SptRow
from filing.returns.rules import Submission, ensure_considered_filed, overpayment_filing_limit
from filing.submissions.figures import Figures
from filing.submissions.repository import SubmissionRepository, SubmissionRow
from filing.submissions.rules import PaymentPart, raised_parts
from filing.warnings import service as warnings
from filing.warnings.rules import warning_in_force
from kit.errors import AppError


@dataclass(frozen=True)
class Facts:
    """What the rules of one return read besides its figures."""

    audit_started_on: date | None
    assessment_issued_on: date | None
    earlier: SubmissionRow | None  # a pembetulan: the submission of the version it corrects
    warned_on: list[date] = field(default_factory=list)  # the written warnings about the return (Art 3(7)(c))


@dataclass(frozen=True)
class Correction:
    previous: SptRow
    parts: list[PaymentPart]  # what it raises, per KAP-KJS
    tax_raise: Decimal
    overpayment_or_loss: bool


def warnings_matter(figures: Figures | AppError, period: TaxPeriod | TaxYear, today: date) -> bool:
    """Whether a written warning could refuse the return (Art 3(7)(c)): it shows an overpayment and its 3 years are
    over. Warnings are read only for such returns."""
    return (isinstance(figures, Figures) and figures.overpayment > 0
            and today > overpayment_filing_limit(period))


async def facts_of(session: AsyncSession, wanted: list[tuple[ReturnKey, int, list[SptRow]]], *,
                   warned: Collection[ReturnKey] = ()) -> dict[ReturnKey, Facts]:
    """(return, version, filed versions) -> its audit and assessment dates, its written warnings (for the returns
    in `warned`: `warnings_matter`) and, for a pembetulan, the earlier submission: at most three statements for any
    number."""
    keys = [k for k, _, _ in wanted]
    dates = await assessments.audits_and_assessments_of(session, keys)
    warned_on = await warnings.warned_on_of(session, [k for k in keys if k in warned]) if warned else {}
    previous = [filed[-1].id for _, version, filed in wanted if version != NORMAL]
    earlier = await SubmissionRepository(session).submissions(previous) if previous else {}
    return {key: Facts(*dates[key], earlier.get(filed[-1].id) if version != NORMAL else None,
                       warned_on.get(key, []))
            for key, version, filed in wanted}


def check(*, period: TaxPeriod | TaxYear, version: int, filed: list[SptRow], figures: Figures, today: date,
          facts: Facts) -> Correction | None:
    """Raises the first rule the submission breaks; returns the pembetulan's figures (None for a Normal)."""
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
        correction = Correction(previous, parts, sum((x.amount for x in parts), Decimal(0)),
                                figures.overpayment_or_loss or lowers)
        ensure_correction_allowed(CorrectionRequest(
            period, today, frozenset(v.version for v in filed), audit_started_on=audit,
            shows_overpayment_or_loss=correction.overpayment_or_loss))
    ensure_considered_filed(Submission(
        period=period, submitted_on=today, signed=True, required_attachments=figures.required_attachments,
        attachments=figures.attachments, shows_overpayment=figures.overpayment > 0,
        written_warning_on=warning_in_force(facts.warned_on, today), audit_started_on=audit,
        assessment_issued_on=facts.assessment_issued_on))
    return correction
