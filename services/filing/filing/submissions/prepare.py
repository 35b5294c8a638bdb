"""Step 1 of submitting (a short read, nothing written): each return asked for is checked as if submitted alone
(owed, still a draft at the revision the taxpayer reviewed, every date and rate the filing will need known, every
rule of `checks`), and the content to sign is built, for any number of returns in a handful of statements."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from filing.calendar.periods import TaxPeriod, TaxYear
from filing.corrections.errors import CorrectionWithoutNormal
from filing.corrections.rules import NORMAL, correction_interest_start, ensure_normal_allowed, next_version
from filing.obligations.deadlines import due_date
from filing.registry import service as registry
from filing.returns.errors import ReturnChanged, ReturnNotDraft
from filing.returns.repository import ReturnKey, ReturnsBatchRepository, SptRow
from filing.sanctions.rates import InterestRateTable, InterestTier
from filing.sanctions.stp import bill_due_date
from filing.submissions.checks import check, facts_of, warnings_matter
from filing.submissions.figures import Form, ensure_owed_by, figures_of, payment_due
from filing.submissions.rules import digest_of, signed_document
from kit.errors import AppError


@dataclass(frozen=True)
class Ask:
    """One return a submission asks for (`kind`: the single route's `normal` / `pembetulan`, or None), when the
    request came in (the submission time: the day the rules judge) and who signs."""

    npwp: str
    form: Form
    period: TaxPeriod | TaxYear
    expected_revision: int | None
    kind: str | None
    now: datetime
    signer: str | None

    @property
    def key(self) -> ReturnKey:
        return (self.npwp, self.form.code, str(self.period))


@dataclass(frozen=True)
class Prepared:
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

    @property
    def key(self) -> ReturnKey:
        return (self.npwp, self.form.code, str(self.period))


async def without_transaction(session: AsyncSession) -> None:
    """Step 1's statements each run on their own (autocommit: no BEGIN, no ROLLBACK, two round trips fewer). Its reads
    need no common snapshot: step 3 reads everything again under lock and refuses what moved."""
    await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


async def prepare_many(session: AsyncSession, asks: list[Ask]) -> list[Prepared | AppError]:
    """Step 1 for many returns (no two the same), each refused or prepared as if alone."""
    taxpayers = await registry.registered_many(session, [a.npwp for a in asks])
    versions = await ReturnsBatchRepository(session).versions_of([a.key for a in asks])
    outcomes: list[Prepared | AppError | None] = [None] * len(asks)
    found: list[tuple[int, SptRow | None, list[SptRow], int, int]] = []  # index, draft, filed, version, revision
    for i, ask in enumerate(asks):
        try:
            taxpayer = taxpayers.get(ask.npwp)
            if taxpayer is None:
                raise registry.not_replicated(ask.npwp)
            ensure_owed_by(taxpayer, ask.form, ask.period)
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
    figures = await figures_of(session, [(asks[i].npwp, asks[i].form, asks[i].period) for i, *_ in found])
    facts = await facts_of(session, [(asks[i].key, version, filed) for i, _, filed, version, _ in found],
                           warned={asks[i].key for i, *_ in found
                                   if warnings_matter(figures[asks[i].key], asks[i].period, asks[i].now.date())})
    for i, draft, filed, version, revision in found:
        ask = asks[i]
        form, period, today = ask.form, ask.period, ask.now.date()
        try:
            these = figures[ask.key]
            if isinstance(these, AppError):
                raise these
            correction = check(period=period, version=version, filed=filed, figures=these, today=today,
                               facts=facts[ask.key])
            # Every date and rate the filing needs, before anything is signed (`calendar.year_unknown`,
            # `interest.rate_unknown` otherwise).
            deadline = due_date(form.obligation, period)
            payment_due(form.obligation, period)
            if version == NORMAL and today > deadline.effective:
                bill_due_date(today)  # the late-filing STP's
            if correction is not None and correction.tax_raise > 0 and \
                    today > (starts := correction_interest_start(form.obligation, period)):
                bill_due_date(today)  # the interest STP's, once interest runs (as the late Normal's above)
                InterestRateTable.load().rate(InterestTier.T2, starts)
        except AppError as error:
            outcomes[i] = error
            continue
        spt_id = draft.id if draft is not None else uuid.uuid4()
        content = signed_document(these.doc, spt_id=spt_id, version=version, submitted_at=ask.now,
                                  signer_account_id=ask.signer)
        outcomes[i] = Prepared(ask.npwp, form, period, spt_id, version, revision, draft is None, ask.now, ask.signer,
                               digest_of(content), facts[ask.key].audit_started_on)
    assert all(o is not None for o in outcomes)
    return outcomes  # type: ignore[return-value]
