"""Identity's signing endpoint (`POST /internal/v1/signatures`), as invoice (faktur) and filing (returns) call it:
with the calling service's own client-credentials token (scope `identity:sign`, cached until near expiry), never
inside an open database transaction, always with timeouts. The signer's passphrase, or the signing session it opened,
is passed through, never kept."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
from cryptography import x509
from cryptography.x509.oid import NameOID
from pydantic import SecretStr

from kit.auth import Principal


class IdentityClientSettings(Protocol):
    """What the client needs of a service's `identity` settings section (each service declares its own, with its
    own development client id, so the production check names the service's variables)."""

    base_url: str
    client_id: str
    client_secret: SecretStr
    timeout_s: float
    attempts: int


class SigningRefused(Exception):
    """Identity answered with a problem (wrong passphrase, locked, revoked, expired, unknown credential)."""

    def __init__(self, status: int, code: str, detail: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status, self.code, self.detail, self.details = status, code, detail, details or {}

    def reason(self) -> str:
        """What the person needs to know, in words (the passphrase itself is never repeated)."""
        d = self.details
        if self.code == "credential.passphrase_wrong":
            left = d.get("attempts_remaining")
            more = f"; {left} attempt(s) left before the credential locks" if left is not None else ""
            return f"wrong passphrase{more}; nothing was signed"
        if self.code == "credential.locked":
            until = d.get("locked_until")
            return "the credential is locked after too many wrong passphrases" + (f" until {until}" if until else "")
        if self.code == "credential.revoked":
            return "the credential is revoked"
        if self.code == "credential.expired":
            return "the credential has expired" + (f" ({d['valid_until']})" if d.get("valid_until") else "")
        if self.code == "credential.not_found":
            return "no such credential for this signer"
        return f"identity refused: {self.code} ({self.detail})"


class IdentityUnavailable(Exception):
    pass


@dataclass(frozen=True)
class Signatures:
    signatures: list[str]  # base64 DER, one per digest, in order
    certificate_pem: str
    certificate_serial: str


@dataclass(frozen=True)
class SigningSession:
    """A session the signer opened at identity with their passphrase; `device`: the login session (the signer's
    token's `sid`, else its `jti`) it is bound to."""

    id: str
    secret: str
    device: str


class IdentityClient:
    def __init__(self, settings: IdentityClientSettings, http: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self._http = http or httpx.AsyncClient(base_url=settings.base_url, timeout=httpx.Timeout(settings.timeout_s))
        self._owns_http = http is None
        self._token: str | None = None
        self._token_expires = 0.0
        self._lock = asyncio.Lock()

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def _service_token(self) -> str:
        async with self._lock:
            if self._token is None or time.monotonic() > self._token_expires - 60:
                response = await self._http.post("/v1/oauth/token", data={
                    "grant_type": "client_credentials", "client_id": self.settings.client_id,
                    "client_secret": self.settings.client_secret.get_secret_value()})
                if response.status_code != 200:
                    raise IdentityUnavailable(f"service token refused: {response.status_code} {response.text[:200]}")
                body = response.json()
                self._token = str(body["access_token"])
                self._token_expires = time.monotonic() + float(body.get("expires_in", 300))
            return self._token

    async def sign(self, *, credential_id: str, passphrase: str | None = None, digests: list[str],
                   account_id: str | None, acting_for: str | None, signing_session: SigningSession | None = None
                   ) -> Signatures:
        """`digests`: base64 SHA-256 digests; the credential opened by exactly one of `passphrase` and
        `signing_session`. Raises `SigningRefused` (identity's answer, not retried: a wrong passphrase counts once)
        or `IdentityUnavailable` (after `attempts` tries on transport errors and 5xx)."""
        body: dict[str, Any] = {"credential_id": credential_id, "digests": digests}
        if acting_for:  # a batch for several taxpayers names none
            body["acting_for"] = acting_for
        if signing_session is not None:
            body["signing_session"] = {"id": signing_session.id, "secret": signing_session.secret,
                                       "device": signing_session.device}
        else:
            body["passphrase"] = passphrase
        if account_id:
            body["account_id"] = account_id
        last: Exception | None = None
        for attempt in range(self.settings.attempts):
            try:
                token = await self._service_token()
                response = await self._http.post("/internal/v1/signatures", json=body,
                                                 headers={"authorization": f"Bearer {token}"})
            except httpx.HTTPError as exc:
                last = exc
                await asyncio.sleep(0.2 * (attempt + 1))
                continue
            if response.status_code == 401:  # our token expired early or keys rotated: fetch a new one
                self._token = None
                last = IdentityUnavailable("service token rejected")
                continue
            if response.status_code >= 500 or response.status_code == 429:
                last = IdentityUnavailable(f"identity answered {response.status_code}")
                await asyncio.sleep(0.2 * (attempt + 1))
                continue
            if response.status_code != 200:
                problem = _json(response)
                details = problem.get("details")
                raise SigningRefused(response.status_code, str(problem.get("code", "unknown")),
                                     str(problem.get("detail") or problem.get("title", "")),
                                     details if isinstance(details, dict) else None)
            data = response.json()
            return Signatures(list(data["signatures"]), str(data["certificate_pem"]), str(data["certificate_serial"]))
        raise IdentityUnavailable(str(last))


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        value = response.json()
        return value if isinstance(value, dict) else {}
    except ValueError:
        return {}


def subject_name(certificate_pem: str) -> str:
    """The holder's name (the certificate subject's common name): the signer printed on a faktur or a receipt."""
    cert = x509.load_pem_x509_certificate(certificate_pem.encode())
    full = cert.subject.get_attributes_for_oid(x509.ObjectIdentifier("2.5.4.41"))  # id-at-name: when CN is cut
    names = full or cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.subject.rfc4514_string()


def signer_account(principal: Principal) -> str | None:
    """The person who signs, sent to identity so the credential must be theirs: the `act` person of a token acting
    for a taxpayer, or the account of a person's own token. None only for machine clients (a PJAP), for which
    identity checks the passphrase alone."""
    actor = principal.actor or {}
    if actor:
        return str(actor["sub"]) if actor.get("sub") and actor.get("client_kind") is None else None
    if principal.claims.get("client_kind"):
        return None
    try:
        return str(uuid.UUID(principal.subject))
    except ValueError:
        return None
