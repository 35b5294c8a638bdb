"""Signing-credential use cases: issue, list, revoke, sign, and signing sessions (open, sign in one, close). Each
commits its own transaction (rows, outbox events and audit rows together); slow work (the face check over HTTP,
scrypt) happens outside any lock or transaction, except scrypt when signing or opening a session, which runs under the
credential's row lock so wrong-passphrase counting is exact.

Row locks are always taken credential first, then its sessions (signing in a session, revoking, locking out), so
these use cases never deadlock one another."""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NoReturn

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from identity.audit import service as audit
from identity.credentials import events, keystore, session_rules
from identity.credentials.authority import Holder, NoIdentifier
from identity.credentials.errors import (
    BatchTooLarge,
    CredentialExpired,
    CredentialLocked,
    CredentialNotFound,
    CredentialRevoked,
    DigestInvalid,
    FaceCheckFailed,
    NotEligible,
    PassphraseOrSession,
    PersonalTokenRequired,
    PersonChanged,
    SessionClosed,
    SessionDeviceMismatch,
    SessionInvalid,
    SessionNotFound,
    WrongPassphrase,
)
from identity.credentials.models import SigningCredential, SigningSession
from identity.credentials.passphrase import check_passphrase, normalise
from identity.credentials.repository import CredentialRepository
from identity.credentials.runtime import CredentialsRuntime
from identity.credentials.schemas import SignatureRequest, SigningCredentialCreate, SigningSessionCreate
from kit.auth import Principal
from kit.db import UnitOfWork

log = logging.getLogger(__name__)
DIGEST_SIZE = 32  # SHA-256
INLINE_SIGNATURES = 16  # up to this many (~30 µs each) are signed on the event loop; more go to a worker thread


def personal_account_id(principal: Principal) -> uuid.UUID:
    """The account behind a person's own token. Machine clients and tokens acting for someone else (`act`) are
    refused: a credential in a person's name is only ever requested by that person."""
    if principal.actor is not None or principal.claims.get("client_kind"):
        raise PersonalTokenRequired()
    try:
        return uuid.UUID(principal.subject)
    except ValueError:
        raise NotEligible("the token does not name a person's account") from None


async def issue_credential(uow: UnitOfWork, runtime: CredentialsRuntime, principal: Principal, *,
                           body: SigningCredentialCreate, ip: str | None = None) -> SigningCredential:
    account_id = personal_account_id(principal)
    passphrase = check_passphrase(body.passphrase.get_secret_value())
    settings = runtime.settings

    async with uow:
        found = await CredentialRepository(uow.session).account_with_person(account_id)
    if found is None or found[0].status != "active":
        raise NotEligible("no active account with a person for this token")
    account, person = found
    try:
        holder = Holder.of(person)
    except NoIdentifier:
        raise NotEligible("the person has neither a NIK nor a passport on record") from None

    face = await runtime.liveness.check(reference=body.liveness_reference, holder=holder)
    if not face.passed:
        async with uow:
            await audit.record(uow.session, "credential_face_check_failed", outcome="rejected", actor=str(account_id),
                               ip=ip, details={"kind": body.kind, "reason": face.reason, "check_id": face.check_id})
            await uow.commit()
        raise FaceCheckFailed(f"face validation failed: {face.reason}", reason=face.reason)

    authority = await runtime.authority()
    credential_id = uuid.uuid4()
    private_key = keystore.generate_key()
    sealed = await asyncio.to_thread(keystore.seal, private_key, passphrase, credential_id=credential_id.bytes,
                                     kdf=runtime.kdf)
    now = datetime.now(UTC).replace(microsecond=0)
    validity = timedelta(days=settings.ko_validity_days if body.kind == "kode_otorisasi"
                         else settings.certificate_validity_days)

    async with uow:
        repo = CredentialRepository(uow.session)
        locked_person = await repo.lock_person(person.id)
        # The subject is what the locked row says now, and it must be whom the face check was about.
        if locked_person is None or Holder.of(locked_person) != holder:
            raise PersonChanged()
        certificate = authority.issue(holder=holder, public_key=private_key.public_key(), kind=body.kind, now=now,
                                      validity=validity)
        previous = await repo.active_for_update(person.id, body.kind)
        if previous is not None:
            await _revoke(uow, previous, reason="superseded", now=now, key=holder.identity_number,
                          actor=str(account_id), ip=ip)
            await uow.session.flush()  # the partial unique index allows one active credential per person and kind
        credential = SigningCredential(
            id=credential_id, account_id=account.id, person_id=person.id, kind=body.kind, status="active",
            serial_number=format(certificate.serial_number, "x"), subject_name=holder.full_name,
            subject_serial=holder.subject_serial, identity_number=holder.identity_number,
            certificate_pem=_pem(certificate), key_algorithm=keystore.KEY_ALGORITHM,
            sealed_key=sealed.ciphertext, key_nonce=sealed.nonce, kdf_salt=sealed.salt, kdf_params=sealed.kdf.as_json(),
            valid_from=certificate.not_valid_before_utc, valid_until=certificate.not_valid_after_utc,
            failed_attempts=0, signature_count=0, created_at=now, updated_at=now,
        )
        repo.add(credential)
        await uow.session.flush()
        await events.credential_issued(uow.session, credential, key=holder.identity_number)
        await audit.record(uow.session, "credential_issued", actor=str(account_id), ip=ip, details={
            "credential_id": str(credential.id), "kind": credential.kind,
            "certificate_serial": credential.serial_number, "face_check_id": face.check_id})
        await uow.commit()
    log.info("signing credential issued", extra={"credential_id": str(credential.id), "kind": credential.kind})
    return credential


async def list_credentials(uow: UnitOfWork, principal: Principal) -> list[SigningCredential]:
    account_id = personal_account_id(principal)
    async with uow:
        return await CredentialRepository(uow.session).list_for_account(account_id)


async def revoke_credential(uow: UnitOfWork, principal: Principal, *, credential_id: uuid.UUID,
                            ip: str | None = None) -> SigningCredential:
    """The holder revokes their credential. Revoking a revoked credential returns it unchanged."""
    account_id = personal_account_id(principal)
    async with uow:
        repo = CredentialRepository(uow.session)
        credential = await repo.get_for_update(credential_id)
        if credential is None or credential.account_id != account_id:
            raise CredentialNotFound()
        if credential.status == "revoked":
            return credential
        await _revoke(uow, credential, reason="holder_request", now=datetime.now(UTC),
                      key=credential.identity_number, actor=str(account_id), ip=ip)
        await uow.commit()
    return credential


async def _revoke(uow: UnitOfWork, credential: SigningCredential, *, reason: str, now: datetime, key: str,
                  actor: str, ip: str | None) -> None:
    credential.status = "revoked"
    credential.revoked_at = now
    credential.revoked_reason = reason
    await _close_sessions(uow, credential, reason="credential_revoked", now=now, actor=actor, ip=ip)
    await events.credential_revoked(uow.session, credential, key=key, revoked_at=now)
    await audit.record(uow.session, "credential_revoked", actor=actor, ip=ip, details={
        "credential_id": str(credential.id), "kind": credential.kind,
        "certificate_serial": credential.serial_number, "reason": reason})


@dataclass(frozen=True)
class SignedBatch:
    credential: SigningCredential
    signatures: list[bytes]


def decode_digests(digests: list[str]) -> list[bytes]:
    decoded = []
    for index, text in enumerate(digests):
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise DigestInvalid(f"digest {index} is not base64", index=index, reason="not_base64") from None
        if len(raw) != DIGEST_SIZE:
            raise DigestInvalid(f"digest {index} has {len(raw)} bytes, a SHA-256 digest has {DIGEST_SIZE}",
                                index=index, reason="wrong_length")
        decoded.append(raw)
    return decoded


async def sign_digests(uow: UnitOfWork, runtime: CredentialsRuntime, principal: Principal, *,
                       body: SignatureRequest, ip: str | None = None) -> SignedBatch:
    """Sign every digest with the credential's key, opened with the passphrase: all of them, in order, or none.

    The credential row is locked for the call, so concurrent calls with one credential take turns and each wrong
    passphrase is counted exactly; after `max_failed_passphrases` within `failure_window_s` it locks for
    `lockout_s`."""
    settings = runtime.settings
    if (body.passphrase is None) == (body.signing_session is None):
        raise PassphraseOrSession()
    if len(body.digests) > settings.max_digests_per_call:
        raise BatchTooLarge(f"at most {settings.max_digests_per_call} digests per call",
                            max_digests=settings.max_digests_per_call)
    digests = decode_digests(body.digests)
    if body.passphrase is None:
        return await _sign_in_session(uow, principal, body=body, digests=digests, ip=ip)
    passphrase = normalise(body.passphrase.get_secret_value())
    now = datetime.now(UTC)

    async with uow:
        repo = CredentialRepository(uow.session)
        credential = await repo.get_for_update(body.credential_id)
        if credential is None or (body.account_id is not None and credential.account_id != body.account_id):
            raise CredentialNotFound()

        async def refuse(outcome: str, error: Exception) -> NoReturn:
            await audit.record(uow.session, "signature_failed", outcome=outcome, actor=str(credential.account_id),
                               acting_for=body.acting_for, ip=ip,
                               details=_signature_details(credential, principal, len(digests)))
            await uow.commit()
            raise error

        await _refuse_unusable(credential, now, refuse)
        sealed, public_key = _key_material(credential)
        try:
            signatures = await asyncio.to_thread(keystore.sign_digests, sealed, passphrase,
                                                 credential_id=credential.id.bytes, public_key=public_key,
                                                 digests=digests)
        except keystore.PassphraseMismatch:
            remaining = _count_failure(credential, now, runtime)
            if remaining == 0:
                await _close_sessions(uow, credential, reason="credential_locked", now=now,
                                      actor=str(credential.account_id), ip=ip)
                await refuse("wrong_passphrase_locked", CredentialLocked(
                    locked_until=credential.locked_until.isoformat() if credential.locked_until else None))
            await refuse("wrong_passphrase", WrongPassphrase(attempts_remaining=remaining))

        credential.failed_attempts = 0
        credential.first_failed_at = None
        credential.locked_until = None
        credential.last_used_at = now
        credential.signature_count = credential.signature_count + len(digests)
        await audit.record(uow.session, "signature_created", actor=str(credential.account_id),
                           acting_for=body.acting_for, ip=ip,
                           details=_signature_details(credential, principal, len(digests)))
        await uow.commit()
    return SignedBatch(credential, signatures)


async def _sign_in_session(uow: UnitOfWork, principal: Principal, *, body: SignatureRequest,
                           digests: list[bytes], ip: str | None) -> SignedBatch:
    """Sign with a session's key: no passphrase, no scrypt. The budget is taken in one conditional UPDATE, so
    concurrent calls never sign more than `max_signatures` between them; the signing itself happens after commit."""
    use = body.signing_session
    assert use is not None
    secret = session_rules.decode_secret(use.secret.get_secret_value())
    now = datetime.now(UTC)
    count = len(digests)

    async with uow:
        repo = CredentialRepository(uow.session)
        found = await repo.session_with_credential(use.id)
        signing_session, credential = found if found else (None, None)

        async def refuse(outcome: str, error: Exception) -> NoReturn:
            await uow.session.rollback()  # nothing of this call stays but the refusal's audit row
            await audit.record(uow.session, "signature_failed", outcome=outcome, actor=actor,
                               acting_for=body.acting_for, ip=ip, details=details)
            await uow.commit()
            raise error

        actor = str(signing_session.account_id) if signing_session else None
        details: dict[str, object] = {"signing_session_id": str(use.id), "digest_count": count,
                                      "caller": principal.subject}
        if (signing_session is None or credential is None or signing_session.credential_id != body.credential_id
                or (body.account_id is not None and signing_session.account_id != body.account_id)):
            await refuse("session_invalid", SessionInvalid())
        details = {**_signature_details(credential, principal, count), "signing_session_id": str(use.id)}
        if signing_session.closed_at is not None or signing_session.sealed_key is None \
                or signing_session.key_nonce is None:  # closing erased the key: nothing left to check the secret on
            await refuse("session_closed", SessionClosed(reason=signing_session.closed_reason))
        # the secret first: without it, nothing more about the session is told
        try:
            if secret is None:
                raise keystore.SessionSecretMismatch()
            private = keystore.unseal_session(
                keystore.SessionSealedKey(signing_session.sealed_key, signing_session.key_nonce), secret,
                session_id=signing_session.id.bytes, credential_id=credential.id.bytes)
        except keystore.SessionSecretMismatch:
            await refuse("session_invalid", SessionInvalid())
        if signing_session.device != use.device:
            await refuse("session_device_mismatch", SessionDeviceMismatch())
        problem = session_rules.unusable(
            closed_at=signing_session.closed_at, closed_reason=signing_session.closed_reason,
            expires_at=signing_session.expires_at, max_signatures=signing_session.max_signatures,
            signatures_used=signing_session.signatures_used, requested=count, now=now)
        if problem is not None:
            await refuse(f"session_{problem.code.rpartition('.')[2]}", problem)
        if credential.status == "revoked":  # revoking closes the sessions; this is the belt to those braces
            await refuse("revoked", CredentialRevoked())
        if credential.valid_until <= now:
            await refuse("expired", CredentialExpired(valid_until=credential.valid_until.isoformat()))

        await audit.record(uow.session, "signature_created", actor=actor, acting_for=body.acting_for, ip=ip,
                           details=details)
        await uow.session.flush()  # before taking the row locks, which are held until commit
        await repo.count_signatures(credential.id, count, now)
        if await repo.spend(signing_session.id, count, now) is None:  # closed, expired or spent meanwhile
            await uow.session.rollback()
            fresh = await repo.signing_session(use.id)
            assert fresh is not None
            problem = session_rules.unusable(
                closed_at=fresh.closed_at, closed_reason=fresh.closed_reason, expires_at=fresh.expires_at,
                max_signatures=fresh.max_signatures, signatures_used=fresh.signatures_used, requested=count, now=now)
            problem = problem or SessionInvalid()
            await refuse(f"session_{problem.code.rpartition('.')[2]}", problem)
        await uow.commit()
    if count <= INLINE_SIGNATURES:
        signatures = keystore.sign_all(private, digests)
    else:
        signatures = await asyncio.to_thread(keystore.sign_all, private, digests)
    return SignedBatch(credential, signatures)


@dataclass(frozen=True)
class OpenedSession:
    signing_session: SigningSession
    secret: str  # base64url; given to the holder once


async def open_session(uow: UnitOfWork, runtime: CredentialsRuntime, principal: Principal, *,
                       credential_id: uuid.UUID, body: SigningSessionCreate,
                       ip: str | None = None) -> OpenedSession:
    """One passphrase check (counted like a signing call's, under the credential's row lock) opens a session: the key
    sealed again under a random secret the holder gets once, bound to their login session (device)."""
    account_id = personal_account_id(principal)
    device = session_rules.device_of(principal.claims)
    passphrase = normalise(body.passphrase.get_secret_value())
    settings = runtime.settings
    now = datetime.now(UTC)
    lifetime, budget = session_rules.session_terms(ttl_s=body.ttl_s, max_signatures=body.max_signatures,
                                                   settings=settings)  # before any passphrase work

    async with uow:
        repo = CredentialRepository(uow.session)
        credential = await repo.get_for_update(credential_id)
        if credential is None or credential.account_id != account_id:
            raise CredentialNotFound()

        async def refuse(outcome: str, error: Exception) -> NoReturn:
            await audit.record(uow.session, "signing_session_refused", outcome=outcome, actor=str(account_id), ip=ip,
                               details={"credential_id": str(credential.id), "kind": credential.kind,
                                        "certificate_serial": credential.serial_number})
            await uow.commit()
            raise error

        await _refuse_unusable(credential, now, refuse)
        sealed, public_key = _key_material(credential)
        try:
            private = await asyncio.to_thread(keystore.unseal_checked, sealed, passphrase,
                                              credential_id=credential.id.bytes, public_key=public_key)
        except keystore.PassphraseMismatch:
            remaining = _count_failure(credential, now, runtime)
            if remaining == 0:
                await _close_sessions(uow, credential, reason="credential_locked", now=now, actor=str(account_id),
                                      ip=ip)
                await refuse("wrong_passphrase_locked", CredentialLocked(
                    locked_until=credential.locked_until.isoformat() if credential.locked_until else None))
            await refuse("wrong_passphrase", WrongPassphrase(attempts_remaining=remaining))

        credential.failed_attempts = 0
        credential.first_failed_at = None
        credential.locked_until = None
        expires_at = min(now + lifetime, credential.valid_until)
        session_id = uuid.uuid4()
        secret, session_sealed = keystore.seal_for_session(private, session_id=session_id.bytes,
                                                           credential_id=credential.id.bytes)
        signing_session = SigningSession(
            id=session_id, credential_id=credential.id, account_id=account_id, sealed_key=session_sealed.ciphertext,
            key_nonce=session_sealed.nonce, device_claim=device.claim, device=device.value, created_at=now,
            expires_at=expires_at, max_signatures=budget, signatures_used=0)
        repo.add_session(signing_session)
        await audit.record(uow.session, "signing_session_opened", actor=str(account_id), ip=ip, details={
            "credential_id": str(credential.id), "signing_session_id": str(session_id),
            "certificate_serial": credential.serial_number, "expires_at": expires_at.isoformat(),
            "max_signatures": budget, "device_claim": device.claim})
        await uow.commit()
    return OpenedSession(signing_session, session_rules.encode_secret(secret))


async def close_session(uow: UnitOfWork, principal: Principal, *, credential_id: uuid.UUID,
                        session_id: uuid.UUID, ip: str | None = None) -> None:
    """The holder closes one of their sessions (from any of their logins). Closing a closed session does nothing."""
    account_id = personal_account_id(principal)
    async with uow:
        repo = CredentialRepository(uow.session)
        signing_session = await repo.signing_session(session_id)
        if signing_session is None or signing_session.credential_id != credential_id \
                or signing_session.account_id != account_id:
            raise SessionNotFound()
        closed = await repo.close_sessions(credential_id=credential_id, session_id=session_id,
                                           reason="holder_request", now=datetime.now(UTC))
        if closed:
            await audit.record(uow.session, "signing_session_closed", actor=str(account_id), ip=ip, details={
                "credential_id": str(credential_id), "signing_session_ids": [str(session_id)],
                "reason": "holder_request"})
        await uow.commit()


async def _close_sessions(uow: UnitOfWork, credential: SigningCredential, *, reason: str, now: datetime,
                          actor: str, ip: str | None) -> None:
    closed = await CredentialRepository(uow.session).close_sessions(credential_id=credential.id, reason=reason,
                                                                    now=now)
    if closed:
        await audit.record(uow.session, "signing_session_closed", actor=actor, ip=ip, details={
            "credential_id": str(credential.id), "signing_session_ids": [str(i) for i in closed], "reason": reason})


def _count_failure(credential: SigningCredential, now: datetime, runtime: CredentialsRuntime) -> int:
    """Count a wrong passphrase; returns the attempts left (0: now locked)."""
    settings = runtime.settings
    window_open = credential.first_failed_at is not None and \
        now - credential.first_failed_at < timedelta(seconds=settings.failure_window_s)
    if window_open:
        credential.failed_attempts += 1
    else:
        credential.failed_attempts, credential.first_failed_at = 1, now
    remaining = max(settings.max_failed_passphrases - credential.failed_attempts, 0)
    if remaining == 0:
        credential.locked_until = now + timedelta(seconds=settings.lockout_s)
        credential.failed_attempts, credential.first_failed_at = 0, None
    return remaining


def _signature_details(credential: SigningCredential, principal: Principal, count: int) -> dict[str, object]:
    return {"credential_id": str(credential.id), "certificate_serial": credential.serial_number,
            "kind": credential.kind, "digest_count": count, "caller": principal.subject}


def _pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


async def _refuse_unusable(credential: SigningCredential, now: datetime,
                           refuse: Callable[[str, Exception], Awaitable[NoReturn]]) -> None:
    """A revoked, expired or locked credential opens for nothing: refused through `refuse` (which audits it)."""
    if credential.status == "revoked":
        await refuse("revoked", CredentialRevoked())
    if credential.valid_until <= now:
        await refuse("expired", CredentialExpired(valid_until=credential.valid_until.isoformat()))
    if credential.locked_until is not None and credential.locked_until > now:
        await refuse("locked", CredentialLocked(locked_until=credential.locked_until.isoformat()))


def _key_material(credential: SigningCredential) -> tuple[keystore.SealedKey, ec.EllipticCurvePublicKey]:
    """The sealed private key and the certificate's public key (to check what the passphrase opens)."""
    sealed = keystore.SealedKey(credential.sealed_key, credential.key_nonce, credential.kdf_salt,
                                keystore.KdfParams.from_json(credential.kdf_params))
    public_key = x509.load_pem_x509_certificate(credential.certificate_pem.encode()).public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    return sealed, public_key
