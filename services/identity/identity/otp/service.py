"""One-time codes: 6 digits from a CSPRNG, stored only as an HMAC bound to the challenge id, single use, short
expiry, bounded attempts, resend cooldown, per-destination and per-IP limits. The code leaves this service only
sealed to the notification service's key, on `notification.commands`, through the outbox.

These are steps of other slices' use cases: they work in the caller's transaction and never commit."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Mapping
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
    destination: str | None  # None only for `issue_undisclosed`: nowhere to send
    account_id: uuid.UUID | None = None
    locale: str = "id"
    ip: str | None = None


def _hmac(settings: OTPSettings, challenge_id: uuid.UUID, code: str) -> str:
    key = settings.pepper.get_secret_value().encode()
    return hmac.new(key, f"{challenge_id}:{code}".encode(), hashlib.sha256).hexdigest()


async def issue(session: AsyncSession, settings: OTPSettings, request: OTPRequest) -> OTPChallenge:
    """Create a challenge and queue its sealed delivery, in the caller's transaction."""
    if request.destination is None:
        raise ValueError("issue needs a destination; issue_undisclosed is for flows that may have none")
    repo = OTPRepository(session)
    now = datetime.now(UTC)
    await _check_limits(repo, settings, request, now)
    if await _destination_exhausted(repo, settings, request.destination, now):
        raise OTPRateLimited("too many codes sent to this destination in the last hour", retry_after=3600)
    return await _create(session, repo, settings, request, now, deliver=True)


async def issue_undisclosed(session: AsyncSession, settings: OTPSettings,
                            request: OTPRequest) -> tuple[OTPChallenge, bool]:
    """For a caller who must not learn whether the destination exists (password reset: whether the login has an
    account). The same checks, rows and answer either way; the code is sent only when there is a destination that
    has not had its hourly share. Otherwise the challenge is a decoy: its HMAC is of a random value that is not a
    6-digit code, so it is checked like any other (attempts, expiry) and never matches. Returns (challenge, sent)."""
    repo = OTPRepository(session)
    now = datetime.now(UTC)
    await _check_limits(repo, settings, request, now)
    exhausted = await _destination_exhausted(repo, settings, request.destination or "", now)
    deliver = request.destination is not None and not exhausted
    return await _create(session, repo, settings, request, now, deliver=deliver), deliver


async def _create(session: AsyncSession, repo: OTPRepository, settings: OTPSettings, request: OTPRequest,
                  now: datetime, *, deliver: bool) -> OTPChallenge:
    if settings.notification_public_key is None:
        raise RuntimeError("IDENTITY_OTP__NOTIFICATION_PUBLIC_KEY is not set: OTP codes cannot be sealed")
    await repo.supersede_live(subject_id=request.subject_id, purpose=request.purpose, channel=request.channel,
                              now=now)
    challenge_id = uuid.uuid4()
    code = f"{secrets.randbelow(1_000_000):06d}"
    sealed = seal(settings.notification_public_key, code.encode())  # sealed either way: the same work
    challenge = OTPChallenge(
        id=challenge_id, purpose=request.purpose, subject_id=request.subject_id,
        account_id=request.account_id if deliver else None, channel=request.channel,
        destination=request.destination if deliver and request.destination else "",
        code_hmac=_hmac(settings, challenge_id, code if deliver else secrets.token_urlsafe(16)),
        expires_at=now + timedelta(seconds=settings.ttl_s), requester_ip=request.ip, created_at=now,
    )
    repo.add(challenge)
    if deliver:
        await publish(
            session,
            OTPDeliveryRequested(
                request_id=str(challenge_id), account_id=str(request.account_id or request.subject_id),
                channel=request.channel,  # type: ignore[arg-type]
                destination=challenge.destination, purpose=request.purpose,  # type: ignore[arg-type]
                locale=request.locale,  # type: ignore[arg-type]
                sealed_code=sealed, expires_at=challenge.expires_at,
            ),
            key=request.subject_id, subject=str(challenge_id), aggregate_type="otp_challenge", sequence=1,  # its only event
            topic=COMMANDS_TOPIC,
        )
    await record(session, "otp_issued", actor=str(request.account_id) if request.account_id else None, ip=request.ip,
                 details={"purpose": request.purpose, "channel": request.channel, "challenge_id": str(challenge_id),
                          **({} if deliver else {"decoy": True})})
    return challenge


async def _check_limits(repo: OTPRepository, settings: OTPSettings, request: OTPRequest, now: datetime) -> None:
    last = await repo.last_issued_at(subject_id=request.subject_id, purpose=request.purpose, channel=request.channel)
    if last is not None and (wait := settings.resend_cooldown_s - (now - last).total_seconds()) > 0:
        raise OTPCooldown(f"wait {int(wait) + 1} s before asking for another code", retry_after=int(wait) + 1)
    # decoys count too: the same limit for a login that has an account and one that has not
    if request.ip and await repo.count_from_ip_since(request.ip, now - timedelta(hours=1)) >= settings.per_ip_per_hour:
        raise OTPRateLimited("too many codes requested from this address in the last hour", retry_after=3600)


async def _destination_exhausted(repo: OTPRepository, settings: OTPSettings, destination: str, now: datetime) -> bool:
    count = await repo.count_to_destination_since(destination, now - timedelta(hours=1))
    return bool(destination) and count >= settings.per_destination_per_hour


async def check(session: AsyncSession, settings: OTPSettings, *, subject_id: str, purpose: str, channel: str,
                code: str) -> OTPChallenge | Exception:
    """Check `code` against the live challenge for (subject, purpose, channel).

    Returns the challenge (now marked verified) or the error to raise *after* the caller commits: a wrong code must
    still count as an attempt, so the attempt is written even though the request fails.
    """
    outcome = await check_all(session, settings, subject_id=subject_id, purpose=purpose, codes={channel: code})
    return outcome if isinstance(outcome, Exception) else outcome[0]


async def check_all(session: AsyncSession, settings: OTPSettings, *, subject_id: str, purpose: str,
                    codes: Mapping[str, str]) -> list[OTPChallenge] | Exception:
    """Check one code per channel, all or nothing: when every code is right, every challenge is marked verified;
    otherwise nothing is consumed but the attempts of the channels that were wrong, so a typo in one code never
    burns the other, right one. Returns the challenges, or the error (of the first wrong channel, named in
    `details.channel`) to raise after the caller commits."""
    repo = OTPRepository(session)
    now = datetime.now(UTC)
    checked: list[OTPChallenge] = []
    errors: list[Exception] = []
    for channel, code in codes.items():
        challenge = await repo.live_for_update(subject_id=subject_id, purpose=purpose, channel=channel)
        error = await _judge(session, settings, challenge, purpose=purpose, channel=channel, code=code, now=now)
        if error is not None:
            errors.append(error)
        elif challenge is not None:
            checked.append(challenge)
    if errors:
        return errors[0]
    for challenge in checked:
        challenge.verified_at = now
        await record(session, "otp_verified", actor=_actor(challenge),
                     details={"purpose": purpose, "channel": challenge.channel, "challenge_id": str(challenge.id)})
    return checked


async def _judge(session: AsyncSession, settings: OTPSettings, challenge: OTPChallenge | None, *, purpose: str,
                 channel: str, code: str, now: datetime) -> Exception | None:
    """None if `code` is right; else the error, after counting the attempt when there was one to count."""
    if challenge is None:
        return OTPInvalid(f"no live {channel} code: ask for a new one", channel=channel)
    if challenge.expires_at <= now:
        return OTPExpired(channel=channel)
    if challenge.attempts >= settings.max_attempts:
        return OTPLocked(channel=channel)
    if hmac.compare_digest(challenge.code_hmac, _hmac(settings, challenge.id, code.strip())):
        return None
    challenge.attempts += 1
    await record(session, "otp_verify_failed", outcome="failure", actor=_actor(challenge),
                 details={"purpose": purpose, "channel": channel, "attempt": challenge.attempts,
                          "challenge_id": str(challenge.id)})
    if challenge.attempts >= settings.max_attempts:
        return OTPLocked(channel=channel)
    left = settings.max_attempts - challenge.attempts
    return OTPInvalid(f"wrong {channel} code ({left} attempts left)", channel=channel, attempts_left=left)


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
