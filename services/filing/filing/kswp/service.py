"""Use cases of the KSWP slice. A request is checked once, in one transaction, into a snapshot (inputs, checks,
result) stored as canonical JSON with its digest and filing's signature over it; the API answer, the letter PDF and
the public verification are rendered from that stored text, never recomputed (seed 000 item 23: Coretax's letter
differed from its screen), and the verification checks the signature against the published keys."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.filing import KSWPIssued
from filing.calendar.errors import CalendarYearUnknown
from filing.calendar.periods import TaxPeriod, TaxYear
from filing.kswp import pdf, signing
from filing.kswp.errors import AgencyRequired, KswpNotFound
from filing.kswp.repository import KswpRepository, SnapshotRow
from filing.kswp.rules import (
    ANNUAL_YEARS,
    CUSTOMS_MASA_PERIODS,
    ReturnCheck,
    canonical,
    digest,
    letter_number,
    mask_npwp,
    names_match,
    result,
    verification_code,
)
from filing.kswp.schemas import KswpCreate, KswpKeysRead, KswpRead, KswpVerificationRead, PublicJwk
from filing.obligations import service as obligations
from filing.obligations.deadlines import nominal_due_date
from filing.obligations.kinds import Obligation
from filing.obligations.owed import owed_returns
from filing.registry import service as registry
from filing.settings import KswpSettings
from kit.auth import Principal
from kit.clock import JAKARTA, Clock
from kit.db import UnitOfWork
from kit.outbox import publish
from kit.replica import TaxpayerNotReplicated

KSWP = "filing:kswp"
AGGREGATE = "kswp"
_SETTLED = timedelta(days=31)
_ANNUAL_FORM = {"individual": Obligation.SPT_TAHUNAN_OP, "company": Obligation.SPT_TAHUNAN_BADAN}


def require_agency(principal: Principal) -> str:
    """A requesting agency is a machine client (client-credentials token, acting for no one) with `filing:kswp`;
    its client id names it."""
    if not principal.claims.get("client_kind") or principal.actor is not None:
        raise AgencyRequired("a requesting agency's client token is required")
    principal.require(KSWP)
    return str(principal.claims.get("client_id") or principal.subject)


async def request_kswp(uow: UnitOfWork, principal: Principal, clock: Clock, body: KswpCreate, *,
                       public_url: str, keys: KswpSettings) -> KswpRead:
    agency_id = require_agency(principal)
    signer = signing.signer(keys.signing_key.get_secret_value())
    now = clock.now()
    today = now.astimezone(JAKARTA).date()
    kswp_id = uuid.uuid4()
    async with uow:
        session = uow.session
        repo = KswpRepository(session)
        try:
            taxpayer = await registry.registered(session, body.npwp)
        except TaxpayerNotReplicated:
            taxpayer = None
        if taxpayer is None:
            checks, reasons = result(known=False, status=None, name_matches=False, annual=[], masa=None)
        else:
            status = await obligations.registry_status(session, body.npwp)
            annual = await _annual_checks(session, repo, taxpayer, today)
            masa = await _masa_checks(session, repo, taxpayer, today) if body.variant == "customs" else None
            checks, reasons = result(known=True, status=status, name_matches=names_match(body.name, taxpayer.name),
                                     annual=annual, masa=masa)
        number = letter_number(today.year, await repo.next_serial())
        snapshot: dict[str, Any] = {
            "kswp_id": str(kswp_id), "letter_number": number, "verification_code": verification_code(),
            "npwp": body.npwp, "requested_name": body.name, "taxpayer_name": taxpayer.name if taxpayer else None,
            "agency": body.agency, "agency_client_id": agency_id, "service": body.service, "variant": body.variant,
            "checked_at": now.isoformat(), "checked_on": today.isoformat(), "checks": checks,
            "status": "invalid" if reasons else "valid", "reasons": reasons,
        }
        text = canonical(snapshot)
        snapshot_digest = digest(text)
        row = SnapshotRow(kswp_id, number, snapshot["verification_code"], body.npwp, agency_id, body.variant,
                          snapshot["status"], text, snapshot_digest, now, signer.sign(snapshot_digest),
                          signer.key_id)
        await repo.add(dict(id=row.id, letter_number=row.letter_number, verification_code=row.verification_code,
                            npwp=row.npwp, agency_client_id=row.agency_client_id, variant=row.variant,
                            status=row.status, snapshot=row.snapshot, digest=row.digest, checked_at=row.checked_at,
                            signature=row.signature, signing_key_id=row.signing_key_id))
        await publish(session, KSWPIssued(
            kswp_id=str(kswp_id), letter_number=number, npwp=body.npwp, requesting_agency=body.agency,
            service=body.service, variant=body.variant, status=snapshot["status"], reasons=reasons,
            checked_at=now, snapshot_digest=row.digest, verification_code=row.verification_code,
        ), key=body.npwp, subject=str(kswp_id), aggregate_type=AGGREGATE, sequence=1)
        await uow.commit()
    return answer(row, public_url)


async def _annual_checks(session: AsyncSession, repo: KswpRepository, taxpayer: registry.Registered,
                         today: date) -> list[ReturnCheck]:
    form = _ANNUAL_FORM.get(taxpayer.kind)
    if form is None:  # a government agency files no SPT Tahunan
        return []
    due: list[tuple[TaxYear, date]] = []
    for back in range(1, ANNUAL_YEARS + 3):
        year = TaxYear(today.year - back)
        deadline = await _passed(session, taxpayer.npwp, form, year, today)
        if deadline is not None:
            due.append((year, deadline))
        if len(due) == ANNUAL_YEARS:
            break
    filed = await repo.filed(taxpayer.npwp, [form.value], [str(y) for y, _ in due])
    return [ReturnCheck(form.value, str(year), deadline.isoformat(), year.year >= taxpayer.registered_on.year,
                        (form.value, str(year)) in filed) for year, deadline in due]


async def _masa_checks(session: AsyncSession, repo: KswpRepository, taxpayer: registry.Registered,
                       today: date) -> list[ReturnCheck]:
    form = Obligation.SPT_MASA_PPN
    due: list[tuple[TaxPeriod, date]] = []
    month = TaxPeriod.of(today)
    for back in range(1, CUSTOMS_MASA_PERIODS + 3):
        period = month.shifted(-back)
        deadline = await _passed(session, taxpayer.npwp, form, period, today)
        if deadline is not None:
            due.append((period, deadline))
        if len(due) == CUSTOMS_MASA_PERIODS:
            break
    owed = {str(o.period) for o in owed_returns(taxpayer.kind, first=due[-1][0], last=due[0][0], pkp=taxpayer.pkp,
                                                registered_on=taxpayer.registered_on)
            if o.obligation is form} if due else set()
    filed = await repo.filed(taxpayer.npwp, [form.value], [str(p) for p, _ in due])
    return [ReturnCheck(form.value, str(period), deadline.isoformat(), str(period) in owed,
                        (form.value, str(period)) in filed) for period, deadline in due]


async def _passed(session: AsyncSession, npwp: str, obligation: Obligation, period: TaxPeriod | TaxYear,
                  today: date) -> date | None:
    """The effective due date when it has passed on `today`, else None. A nominal date on or after today needs no
    calendar (the effective date is never before it); one more than `_SETTLED` days ago has passed whatever the days
    off (no run of them is that long), so a year without a holiday list (2024 and before) gives its nominal date."""
    nominal = nominal_due_date(obligation, period)
    if today <= nominal:
        return None
    try:
        effective = await obligations.effective_due_date(session, npwp, obligation, period)
    except CalendarYearUnknown:
        if today - nominal > _SETTLED:
            return nominal
        raise
    return effective if today > effective else None


def answer(row: SnapshotRow, public_url: str) -> KswpRead:
    """The API answer: the stored snapshot as it is, its digest, signature and links."""
    return KswpRead(**json.loads(row.snapshot), snapshot_digest=row.digest, signature=row.signature,
                    signing_key_id=row.signing_key_id, signature_algorithm=signing.SIGNATURE_FORMAT,
                    letter_url=f"/v1/kswp/{row.id}/letter", verification_url=pdf.verification_url(public_url,
                                                                                                  row.verification_code))


async def _own(uow: UnitOfWork, principal: Principal, kswp_id: uuid.UUID) -> SnapshotRow:
    agency_id = require_agency(principal)
    async with uow:
        row = await KswpRepository(uow.session).get(kswp_id)
    if row is None or row.agency_client_id != agency_id:
        raise KswpNotFound(f"no KSWP {kswp_id} of this agency")
    return row


async def get_kswp(uow: UnitOfWork, principal: Principal, kswp_id: uuid.UUID, *, public_url: str) -> KswpRead:
    return answer(await _own(uow, principal, kswp_id), public_url)


async def kswp_letter(uow: UnitOfWork, principal: Principal, kswp_id: uuid.UUID, *,
                      public_url: str) -> tuple[str, bytes]:
    row = await _own(uow, principal, kswp_id)
    return row.letter_number, pdf.render(answer(row, public_url))


def _published(keys: KswpSettings) -> dict[str, signing.PublishedKey]:
    return signing.published(keys.signing_key.get_secret_value(), keys.previous_public_keys)


def public_keys(keys: KswpSettings) -> KswpKeysRead:
    """The JWKS of the keys letters verify against."""
    return KswpKeysRead.model_validate(signing.jwks(_published(keys)))


async def verify(uow: UnitOfWork, code: str, *, keys: KswpSettings) -> KswpVerificationRead:
    """Anyone holding the letter: valid only when the stored snapshot still hashes to its digest and the signature
    verifies with the published key it names (a snapshot rewritten with a recomputed digest fails here)."""
    async with uow:
        row = await KswpRepository(uow.session).by_code(code)
    if row is None:
        raise KswpNotFound("no KSWP letter with this verification code")
    snapshot = json.loads(row.snapshot)
    verdict = signing.verify(row.snapshot, row.digest, row.signature, row.signing_key_id, _published(keys))
    return KswpVerificationRead(letter_number=row.letter_number, npwp=mask_npwp(row.npwp), agency=snapshot["agency"],
                                service=snapshot["service"], variant=row.variant, status=row.status,
                                checked_at=row.checked_at, snapshot_digest=row.digest, signature=row.signature,
                                signing_key_id=row.signing_key_id, signature_algorithm=signing.SIGNATURE_FORMAT,
                                public_key=PublicJwk(**verdict.key.jwk()) if verdict.key else None,
                                valid=verdict.valid, reason=verdict.reason, authentic=verdict.valid)
