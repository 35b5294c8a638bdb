"""One-time codes: 6 digits from a CSPRNG, stored only as an HMAC bound to the challenge id, single use, short
expiry, bounded attempts, resend cooldown, per-destination and per-IP limits. The code leaves this service only
sealed to the notification service's key, on `notification.commands`, through the outbox.

These are steps of other slices' use cases: they work in the caller's transaction and never commit."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.notification import COMMANDS_TOPIC, OTPDeliveryRequested
from identity.audit.service import record
from identity.models import OTPChallenge
from identity.otp.errors import OTPCooldown, OTPExpired, OTPInvalid, OTPLocked, OTPRateLimited
from identity.otp.repository import OTPRepository
from identity.settings import OTPSettings
from kit.outbox import publish
from kit.sealing import seal


@dataclass(frozen=True)
class OTPRequest:
    purpose: str
    subject_id: str
    channel: str  # sms | email
    destination: str
    account_id: uuid.UUID | None = None
    locale: str = "id"
    ip: str | None = None


def _hmac(settings: OTPSettings, challenge_id: uuid.UUID, code: str) -> str:
    key = settings.pepper.get_secret_value().encode()
    return hmac.new(key, f"{challenge_id}:{code}".encode(), hashlib.sha256).hexdigest()


async def issue(session: AsyncSession, settings: OTPSettings, request: OTPRequest) -> OTPChallenge:
    """Create a challenge and queue its sealed delivery, in the caller's transaction."""
    if settings.notification_public_key is None:
        raise RuntimeError("IDENTITY_OTP__NOTIFICATION_PUBLIC_KEY is not set: OTP codes cannot be sealed")
    repo = OTPRepository(session)
    now = datetime.now(UTC)
    await _check_limits(repo, settings, request, now)
    await repo.supersede_live(subject_id=request.subject_id, purpose=request.purpose, channel=request.channel,
                              now=now)
    challenge_id = uuid.uuid4()
    code = f"{secrets.randbelow(1_000_000):06d}"
    challenge = OTPChallenge(
        id=challenge_id, purpose=request.purpose, subject_id=request.subject_id, account_id=request.account_id,
        channel=request.channel, destination=request.destination, code_hmac=_hmac(settings, challenge_id, code),
        expires_at=now + timedelta(seconds=settings.ttl_s), requester_ip=request.ip, created_at=now,
    )
    repo.add(challenge)
    await publish(
        session,
        OTPDeliveryRequested(
            request_id=str(challenge_id), account_id=str(request.account_id or request.subject_id),
            channel=request.channel,  # type: ignore[arg-type]
            destination=request.destination, purpose=request.purpose,  # type: ignore[arg-type]
            locale=request.locale,  # type: ignore[arg-type]
            sealed_code=seal(settings.notification_public_key, code.encode()), expires_at=challenge.expires_at,
        ),
        key=request.subject_id, subject=str(challenge_id), aggregate_type="otp_challenge", sequence=1,  # its only event
        topic=COMMANDS_TOPIC,
    )
    await record(session, "otp_issued", actor=str(request.account_id) if request.account_id else None, ip=request.ip,
                 details={"purpose": request.purpose, "channel": request.channel, "challenge_id": str(challenge_id)})
    return challenge


async def _check_limits(repo: OTPRepository, settings: OTPSettings, request: OTPRequest, now: datetime) -> None:
    last = await repo.last_issued_at(subject_id=request.subject_id, purpose=request.purpose, channel=request.channel)
    if last is not None and (wait := settings.resend_cooldown_s - (now - last).total_seconds()) > 0:
        raise OTPCooldown(f"wait {int(wait) + 1} s before asking for another code", retry_after=int(wait) + 1)
    hour_ago = now - timedelta(hours=1)
    if await repo.count_to_destination_since(request.destination, hour_ago) >= settings.per_destination_per_hour:
        raise OTPRateLimited("too many codes sent to this destination in the last hour", retry_after=3600)
    if request.ip and await repo.count_from_ip_since(request.ip, hour_ago) >= settings.per_ip_per_hour:
        raise OTPRateLimited("too many codes requested from this address in the last hour", retry_after=3600)


async def check(session: AsyncSession, settings: OTPSettings, *, subject_id: str, purpose: str, channel: str,
                code: str) -> OTPChallenge | Exception:
    """Check `code` against the live challenge for (subject, purpose, channel).

    Returns the challenge (now marked verified) or the error to raise *after* the caller commits: a wrong code must
    still count as an attempt, so the attempt is written even though the request fails.
    """
    challenge = await OTPRepository(session).live_for_update(subject_id=subject_id, purpose=purpose, channel=channel)
    if challenge is None:
        return OTPInvalid(f"no live {channel} code: ask for a new one")
    now = datetime.now(UTC)
    if challenge.expires_at <= now:
        return OTPExpired()
    if challenge.attempts >= settings.max_attempts:
        return OTPLocked()
    challenge.attempts += 1
    if not hmac.compare_digest(challenge.code_hmac, _hmac(settings, challenge.id, code.strip())):
        await record(session, "otp_verify_failed", outcome="failure", actor=_actor(challenge),
                     details={"purpose": purpose, "channel": channel, "attempt": challenge.attempts})
        if challenge.attempts >= settings.max_attempts:
            return OTPLocked()
        return OTPInvalid(f"wrong code ({settings.max_attempts - challenge.attempts} attempts left)",
                          attempts_left=settings.max_attempts - challenge.attempts)
    challenge.verified_at = now
    await record(session, "otp_verified", actor=_actor(challenge), details={"purpose": purpose, "channel": channel})
    return challenge


def _actor(challenge: OTPChallenge) -> str | None:
    return str(challenge.account_id) if challenge.account_id else None


async def challenges(session: AsyncSession, subject_id: str) -> list[OTPChallenge]:
    """The live (not superseded) challenges of a subject, oldest first: what its status page shows."""
    return await OTPRepository(session).not_superseded(subject_id)


async def latest_channel(session: AsyncSession, subject_id: str) -> str | None:
    return await OTPRepository(session).latest_channel(subject_id)


async def record_delivery(session: AsyncSession, *, challenge_id: str, state: str, error: str | None) -> None:
    """Delivery outcome reported by the notification service; a failure stays visible to the user."""
    try:
        cid = uuid.UUID(challenge_id)
    except ValueError:
        return
    await OTPRepository(session).set_delivery(cid, state=state, error=error)
