"""A stand-in for identity's token and signing endpoints, served by uvicorn on loopback (a real HTTP server in a
thread, reached by filing's real identity client): the same protocol as identity's `POST /v1/oauth/token`
(client credentials) and `POST /internal/v1/signatures`, with real ECDSA P-256 keys and self-signed certificates,
so the signatures filing stores verify. Wrong passphrases are counted per credential as identity does (5, then
locked). The cross-service test (`tests/test_filing_submission_e2e.py`) runs the real identity instead."""

from __future__ import annotations

import base64
import datetime as dt
import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.x509.oid import NameOID
from fastapi import FastAPI, Form, Header, Request
from fastapi.responses import JSONResponse

from devstack.testing.serving import serving

MAX_FAILURES = 5


@dataclass
class Credential:
    id: str
    account_id: str
    passphrase: str
    key: ec.EllipticCurvePrivateKey
    certificate_pem: str
    serial: str
    failures: int = 0


@dataclass
class SigningSession:
    id: str
    credential_id: str
    secret: str
    device: str
    expires_at: float  # time.time()
    max_signatures: int
    used: int = 0


@dataclass
class StandIn:
    url: str = ""
    client_id: str = "filing-test"
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    credentials: dict[str, Credential] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)
    sessions: dict[str, SigningSession] = field(default_factory=dict)
    signing_calls: int = 0
    digests_signed: int = 0
    before_signing: Callable[[], None] | None = None  # a test's hook: runs once, while the caller waits on identity

    def open_session(self, credential: Credential, *, device: str, ttl_s: int = 900,
                     max_signatures: int = 10_000) -> SigningSession:
        """A session as the holder opens it with their passphrase (the HTTP route does the same)."""
        opened = SigningSession(str(uuid.uuid4()), credential.id, secrets.token_urlsafe(32), device,
                                time.time() + ttl_s, max_signatures)
        self.sessions[opened.id] = opened
        return opened

    def credential(self, account_id: str, *, name: str = "Ani Penandatangan", passphrase: str = "Rahasia#2026"
                   ) -> Credential:
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = dt.datetime.now(dt.UTC)
        cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
                .not_valid_after(now + dt.timedelta(days=365)).sign(key, hashes.SHA256()))
        credential = Credential(str(uuid.uuid4()), account_id, passphrase, key,
                                cert.public_bytes(serialization.Encoding.PEM).decode(), format(cert.serial_number, "x"))
        self.credentials[credential.id] = credential
        return credential


def _problem(status: int, code: str, detail: str, **details: Any) -> JSONResponse:
    return JSONResponse({"type": "about:blank", "title": detail, "status": status, "code": code, "detail": detail,
                         "details": details}, status_code=status, media_type="application/problem+json")


def create_app(state: StandIn) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/oauth/token")
    async def token(grant_type: Annotated[str, Form()], client_id: Annotated[str, Form()],
                    client_secret: Annotated[str, Form()]) -> Any:
        if grant_type != "client_credentials" or (client_id, client_secret) != (state.client_id,
                                                                                  state.client_secret):
            return _problem(401, "oauth.invalid_client", "unknown client")
        issued = secrets.token_urlsafe(24)
        state.tokens.add(issued)
        return {"access_token": issued, "token_type": "Bearer", "expires_in": 900, "scope": "identity:sign"}

    @app.post("/v1/signing-credentials/{credential_id}/sessions")
    async def open_session(credential_id: str, request: Request, authorization: Annotated[str, Header()] = "") -> Any:
        try:  # the holder's own token (not verified here: filing's tests make them with kit's TokenMaker)
            claims = jwt.decode(authorization.removeprefix("Bearer "), options={"verify_signature": False})
        except jwt.PyJWTError:
            return _problem(401, "unauthorized", "no valid token")
        body = await request.json()
        credential = state.credentials.get(credential_id)
        if credential is None or claims.get("sub") != credential.account_id:
            return _problem(404, "credential.not_found", "Signing credential not found")
        if credential.failures >= MAX_FAILURES:
            return _problem(423, "credential.locked", "locked", locked_until=None)
        if not secrets.compare_digest(str(body.get("passphrase", "")), credential.passphrase):
            credential.failures += 1
            return _problem(403, "credential.passphrase_wrong", "Wrong passphrase",
                            attempts_remaining=MAX_FAILURES - credential.failures)
        credential.failures = 0
        opened = state.open_session(credential, device=str(claims.get("sid") or claims["jti"]),
                                    ttl_s=int(body.get("ttl_s") or 900),
                                    max_signatures=int(body.get("max_signatures") or 10_000))
        return JSONResponse({"session_id": opened.id, "credential_id": credential.id, "session_secret": opened.secret,
                             "expires_at": dt.datetime.fromtimestamp(opened.expires_at, dt.UTC).isoformat(),
                             "max_signatures": opened.max_signatures}, status_code=201)

    @app.post("/internal/v1/signatures")
    async def signatures(request: Request, authorization: Annotated[str, Header()] = "") -> Any:
        if authorization.removeprefix("Bearer ") not in state.tokens:
            return _problem(401, "unauthorized", "no valid token")
        state.signing_calls += 1
        body = await request.json()
        credential = state.credentials.get(body["credential_id"])
        if credential is None or (body.get("account_id") and body["account_id"] != credential.account_id):
            return _problem(404, "credential.not_found", "Signing credential not found")
        if ("passphrase" in body) == ("signing_session" in body):
            return _problem(422, "signature.passphrase_or_session", "exactly one of passphrase and signing_session")
        digests = [base64.b64decode(d, validate=True) for d in body["digests"]]
        if any(len(d) != 32 for d in digests):
            return _problem(422, "credential.digest_invalid", "not a SHA-256 digest")
        if "signing_session" in body:
            use = body["signing_session"]
            opened = state.sessions.get(str(use.get("id")))
            if opened is None or opened.credential_id != credential.id or \
                    not secrets.compare_digest(str(use.get("secret")), opened.secret):
                return _problem(403, "signing_session.invalid", "The signing session or its secret is not valid")
            if use.get("device") != opened.device:
                return _problem(403, "signing_session.device_mismatch", "opened from another login session")
            if opened.expires_at <= time.time():
                return _problem(409, "signing_session.expired", "expired", expired_at=str(opened.expires_at))
            if opened.used + len(digests) > opened.max_signatures:
                return _problem(409, "signing_session.exhausted", "budget exceeded",
                                max_signatures=opened.max_signatures, signatures_used=opened.used,
                                requested=len(digests))
            opened.used += len(digests)
        else:
            if credential.failures >= MAX_FAILURES:
                return _problem(423, "credential.locked", "locked", locked_until=None)
            if not secrets.compare_digest(body["passphrase"], credential.passphrase):
                credential.failures += 1
                return _problem(403, "credential.passphrase_wrong", "Wrong passphrase",
                                attempts_remaining=MAX_FAILURES - credential.failures)
            credential.failures = 0
        state.digests_signed += len(digests)
        if state.before_signing is not None:
            hook, state.before_signing = state.before_signing, None
            hook()
        signed = [base64.b64encode(credential.key.sign(d, ec.ECDSA(Prehashed(hashes.SHA256())))).decode()
                  for d in digests]
        return {"credential_id": credential.id, "certificate_serial": credential.serial,
                "certificate_pem": credential.certificate_pem, "algorithm": "ecdsa-p256-sha256",
                "signature_encoding": "der-base64", "signatures": signed}

    return app


def running() -> Iterator[StandIn]:
    state = StandIn()
    with serving(create_app(state), name="identity-standin") as state.url:
        yield state
