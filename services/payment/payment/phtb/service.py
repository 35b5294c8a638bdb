"""Use cases of the PPh PHTB validation slice (PP 34/2016; seed 000 item 22: validation letters used to reach the land
office only after up to 2 working days).

A request (the seller, or a notary's client for them) names the transfer and the payment's NTPN. In one
transaction: the payment row locked (requests naming one NTPN run one at a time), the pure check
(`rules.check_phtb_payment`), and either the letter at once (number, `PHTBValidated`, a signed webhook to each land
office that subscribed to the NOP's region) or a pending request for an officer with the reasons. An officer's
approval does the same; a rejection ends it. The webhook rows are written in the deciding transaction
(`kit.webhooks`), and the worker sends them within `phtb.webhook_interval_s`."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.payment import PHTBValidated
from kit import webhooks
from kit.auth import Principal, acting_taxpayer
from kit.db import UnitOfWork
from kit.outbox import publish
from kit.pagination import CursorParams, encode_cursor
from payment.auth import (
    LAND_OFFICE,
    LAND_OFFICE_CLIENT_KIND,
    OFFICER,
    OFFICER_CLIENT_KINDS,
    PHTB,
    READ,
    WRITE,
    client_id,
    is_ppat,
)
from payment.billing.amount import amount_text, check_amount
from payment.confirmations.ntpn import validate_ntpn
from payment.confirmations.pdf import mask_npwp
from payment.models import PHTBValidation
from payment.phtb.errors import (
    AlreadyDecided,
    LookupKeyRequired,
    NOPPrefixInvalid,
    NotValidated,
    NTPNAlreadyValidated,
    NTPNRequired,
    RejectionNoteRequired,
    SellerRequired,
    SubscriptionNotFound,
    ValidationExists,
    ValidationNotFound,
)
from payment.phtb.letter import letter_number, render_letter
from payment.phtb.repository import PHTBRepository
from payment.phtb.rules import (
    PHTBPayment,
    ValidationRequest,
    check_phtb_payment,
    format_nop,
    phtb_kap_kjs,
    rate_percent,
    tax_due,
    validate_nop,
)
from payment.phtb.schemas import (
    Decision,
    SubscriptionPut,
    SubscriptionRead,
    ValidationCreate,
    ValidationPage,
    ValidationRead,
    ValidationVerification,
    WebhookSecretRead,
    percent_text,
    verification_url,
)
from payment.settings import PaymentSettings

AGGREGATE = "phtb_validation"
WEBHOOK_EVENT = "phtb.validated"


async def request_validation(uow: UnitOfWork, principal: Principal, body: ValidationCreate,
                             public_url: str) -> ValidationRead:
    if is_ppat(principal):
        principal.require(PHTB)
        if body.seller_npwp is None:
            raise SellerRequired("a notary's client names the seller it acts for (seller_npwp)")
        seller, kind, by = body.seller_npwp, "ppat", client_id(principal)
    else:
        principal.require(WRITE)
        seller, kind, by = acting_taxpayer(principal, body.seller_npwp), "taxpayer", principal.acting_person
    nop = validate_nop(body.nop)
    value = check_amount(body.gross_value)
    rate = rate_percent(body.category)
    ntpn = validate_ntpn(body.ntpn) if body.ntpn is not None else None
    if ntpn is None and rate != 0:
        raise NTPNRequired(f"a {rate}% transfer is validated against its payment: give the NTPN")
    request = ValidationRequest(nop=nop, seller_npwp=seller, buyer_id=body.buyer_id, gross_value=value,
                                category=body.category)
    now = datetime.now(UTC)
    async with uow:
        repo = PHTBRepository(uow.session)
        payment, billing_code, used = None, None, False
        if ntpn is not None:
            found = await repo.payment_for_update(ntpn)
            existing = await repo.open_for(ntpn, nop)
            if existing is not None:
                raise ValidationExists(f"payment {ntpn} and NOP {nop} already have a {existing.status} validation",
                                       validation_id=str(existing.id), status=existing.status)
            if found is not None:
                paid, billing = found
                billing_code = billing.code
                value_named = billing.transfer_value
                payment = PHTBPayment(ntpn=paid.ntpn, kap_kjs=billing.kap_kjs, amount=whole(paid.amount),
                                      payer_npwp=billing.npwp, nop=billing.nop, buyer_id=billing.buyer_id,
                                      gross_value=whole(value_named) if value_named is not None else None)
                used = await repo.ntpn_used(ntpn) is not None
        check = check_phtb_payment(request, payment, ntpn_already_used=used)
        validation = PHTBValidation(
            id=uuid.uuid4(), status="pending", nop=nop, seller_npwp=seller, buyer_id=body.buyer_id,
            gross_value=value, category=body.category, rate_percent=check.rate_percent,
            tax_amount=tax_due(value, body.category), ntpn=ntpn, billing_code=billing_code,
            reasons=[{k: v for k, v in asdict(r).items() if v is not None} for r in check.reasons],
            requester_kind=kind, requested_by=by, requested_at=now, version=1)
        await repo.add(validation)
        if check.valid:
            await _validate(uow.session, validation, decided_by="rules", officer=None, note=None, now=now,
                            public_url=public_url)
        read = ValidationRead.of(validation, public_url)
        await uow.commit()
    return read


def whole(value: Decimal) -> Decimal:
    """A stored whole-rupiah amount without its NUMERIC(18, 2) sen digits, as the reasons show it."""
    return value.quantize(Decimal(1))


async def _validate(session: AsyncSession, v: PHTBValidation, *, decided_by: str, officer: str | None,
                    note: str | None, now: datetime, public_url: str) -> None:
    """In the caller's transaction: the letter's number, `PHTBValidated`, and a webhook to each land office whose
    region the NOP is in."""
    repo = PHTBRepository(session)
    v.number = letter_number(await repo.next_serial(), now)
    v.status, v.decided_by, v.officer_id, v.decision_note, v.decided_at = "validated", decided_by, officer, note, now
    v.version += 1
    await session.flush()
    url = verification_url(public_url, v.id)
    event = PHTBValidated(
        validation_id=str(v.id), number=v.number, npwp=v.seller_npwp, buyer_id=v.buyer_id, nop=v.nop, ntpn=v.ntpn,
        kap_kjs=phtb_kap_kjs(), gross_value=amount_text(v.gross_value), category=v.category,  # type: ignore[arg-type]
        rate_percent=percent_text(v.rate_percent), tax_amount=amount_text(v.tax_amount),
        decided_by=decided_by, officer_account_id=officer, verification_url=url,  # type: ignore[arg-type]
        validated_at=now)
    await publish(session, event, key=v.seller_npwp, subject=str(v.id), aggregate_type=AGGREGATE,
                  sequence=v.version)
    payload = {"type": WEBHOOK_EVENT, **event.model_dump(mode="json"),
               "letter_path": f"/v1/phtb/validations/{v.id}/letter"}
    for subscription in await repo.subscribers_for(v.nop):
        await webhooks.enqueue(session, event_type=WEBHOOK_EVENT, subject_id=v.id, url=subscription.url,
                               client_id=subscription.client_id, payload=payload)


def _may_read(principal: Principal, v: PHTBValidation) -> bool:
    """The seller's people (`payment:read`), the notary's client that asked, officers, any land office (validated
    only)."""
    kind = principal.claims.get("client_kind")
    if principal.actor is None and kind == LAND_OFFICE_CLIENT_KIND:
        return LAND_OFFICE in principal.scopes and v.status == "validated"
    if principal.actor is None and kind in OFFICER_CLIENT_KINDS:
        return OFFICER in principal.scopes
    if is_ppat(principal):
        return PHTB in principal.scopes and v.requester_kind == "ppat" and v.requested_by == client_id(principal)
    return READ in principal.scopes and v.seller_npwp in principal.taxpayer_ids


async def _readable(uow: UnitOfWork, principal: Principal, validation_id: uuid.UUID) -> PHTBValidation:
    async with uow:
        v = await PHTBRepository(uow.session).get(validation_id)
    if v is None or not _may_read(principal, v):
        raise ValidationNotFound(f"no validation {validation_id} for this caller")
    return v


async def get_validation(uow: UnitOfWork, principal: Principal, validation_id: uuid.UUID,
                         public_url: str) -> ValidationRead:
    return ValidationRead.of(await _readable(uow, principal, validation_id), public_url)


async def letter_pdf(uow: UnitOfWork, principal: Principal, validation_id: uuid.UUID,
                     public_url: str) -> tuple[str, bytes]:
    v = await _readable(uow, principal, validation_id)
    if v.status != "validated":
        raise NotValidated(f"validation {validation_id} is {v.status}", status=v.status)
    assert v.number is not None
    return f"{v.number.replace('/', '-')}.pdf", render_letter(v, url=verification_url(public_url, v.id))


async def officer_queue(uow: UnitOfWork, page: CursorParams, public_url: str) -> ValidationPage:
    async with uow:
        rows = await PHTBRepository(uow.session).queue(
            page.limit + 1, (page.after.created_at, page.after.id) if page.after else None)
    more = len(rows) > page.limit
    rows = rows[:page.limit]
    return ValidationPage(items=[ValidationRead.of(v, public_url) for v in rows],
                          next_cursor=encode_cursor(rows[-1].requested_at, rows[-1].id) if more else None)


async def decide(uow: UnitOfWork, principal: Principal, validation_id: uuid.UUID, body: Decision, *, approve: bool,
                 public_url: str) -> ValidationRead:
    """An officer's decision on a pending request: approved (the letter, as the rules would have issued it) or
    rejected (`note` required: the reason the requester reads)."""
    if not approve and not body.note:
        raise RejectionNoteRequired("a rejection says why (note)")
    now = datetime.now(UTC)
    async with uow:
        repo = PHTBRepository(uow.session)
        v = await repo.get(validation_id, lock=True)
        if v is None:
            raise ValidationNotFound(f"no validation {validation_id}")
        if v.status != "pending":
            raise AlreadyDecided(f"validation {validation_id} is already {v.status}", status=v.status)
        if approve:
            if v.ntpn is not None:
                await repo.payment_for_update(v.ntpn)
                other = await repo.ntpn_used(v.ntpn, other_than=v.id)
                if other is not None:
                    raise NTPNAlreadyValidated(f"payment {v.ntpn} already validated {other.number}",
                                               validation_id=str(other.id))
            await _validate(uow.session, v, decided_by="officer", officer=principal.subject, note=body.note,
                            now=now, public_url=public_url)
        else:
            v.status, v.decided_by, v.officer_id, v.decision_note, v.decided_at = (
                "rejected", "officer", principal.subject, body.note, now)
            v.version += 1
            await uow.session.flush()
        read = ValidationRead.of(v, public_url)
        await uow.commit()
    return read


async def land_office_lookup(uow: UnitOfWork, nop: str, *, ntpn: str | None, number: str | None,
                             public_url: str) -> ValidationRead:
    """A validated transfer of this NOP with this NTPN (or letter number): what the land office registers."""
    nop = validate_nop(nop)
    ntpn = validate_ntpn(ntpn) if ntpn is not None else None
    if ntpn is None and number is None:
        raise LookupKeyRequired("give the payment's ntpn or the letter's number")
    async with uow:
        v = await PHTBRepository(uow.session).validated_by_nop(nop, ntpn=ntpn, number=number)
    if v is None:
        raise ValidationNotFound(f"no validated transfer of NOP {nop} with this payment")
    return ValidationRead.of(v, public_url)


async def put_subscription(uow: UnitOfWork, principal: Principal, body: SubscriptionPut,
                           settings: PaymentSettings) -> SubscriptionRead:
    url = webhooks.check_url(body.url, settings.webhooks, settings.env)
    prefixes = sorted(set(body.nop_prefixes))
    bad = [p for p in prefixes if not (p.isascii() and p.isdigit() and 1 <= len(p) <= 18)]
    if bad:
        raise NOPPrefixInvalid("NOP prefixes are 1 to 18 digits", invalid=bad[:10])
    async with uow:
        row = await PHTBRepository(uow.session).upsert_subscription(dict(
            client_id=client_id(principal), url=url, nop_prefixes=prefixes, updated_at=datetime.now(UTC)))
        read = SubscriptionRead.of(row)
        await uow.commit()
    return read


async def get_subscription(uow: UnitOfWork, principal: Principal) -> SubscriptionRead:
    async with uow:
        row = await PHTBRepository(uow.session).subscription(client_id(principal))
    if row is None:
        raise SubscriptionNotFound("this land office has no webhook yet (PUT one)")
    return SubscriptionRead.of(row)


def webhook_secret(principal: Principal, settings: PaymentSettings) -> WebhookSecretRead:
    client = client_id(principal)
    return WebhookSecretRead(client_id=client, algorithm="HMAC-SHA256",
                             key=webhooks.client_key(settings.webhooks.secret.get_secret_value(), client))


async def public_verification(uow: UnitOfWork, validation_id: uuid.UUID) -> ValidationVerification:
    async with uow:
        v = await PHTBRepository(uow.session).get(validation_id)
    if v is None or v.status != "validated":
        raise ValidationNotFound(f"no validated transfer {validation_id}")
    assert v.number is not None and v.decided_at is not None
    return ValidationVerification(valid=True, number=v.number, nop_formatted=format_nop(v.nop),
                                  seller_npwp_masked=mask_npwp(v.seller_npwp), buyer_id_masked=mask_npwp(v.buyer_id),
                                  tax_amount=amount_text(v.tax_amount), ntpn=v.ntpn, validated_at=v.decided_at)
