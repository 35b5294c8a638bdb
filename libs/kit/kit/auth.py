"""Access-token verification in every service: identity signs (EdDSA/ES256), everyone verifies locally against
identity's JWKS, fetched over async httpx and cached. Algorithms, issuer and audience are pinned."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Annotated, Any

import httpx
import jwt
from fastapi import Depends, Request

from kit.app import state_of
from kit.errors import AppError, Forbidden, Unauthorized
from kit.ratelimit import client_rate_limit
from kit.settings import AuthSettings

REALM = "lontar"


def bearer_challenge(error: str | None = None, description: str | None = None) -> str:
    """`WWW-Authenticate: Bearer ...` (RFC 6750 §3): no error code when the request carried no token."""
    params = [f'realm="{REALM}"']
    if error:
        params.append(f'error="{error}"')
    if description:  # RFC 6750 §3: printable ASCII without `"` and `\`
        params.append('error_description="' + "".join(c if " " <= c <= "~" and c not in '"\\' else "?"
                                                      for c in description[:200]) + '"')
    return "Bearer " + ", ".join(params)


class MissingToken(Unauthorized):
    def __init__(self, detail: str | None = None, **details: Any) -> None:
        super().__init__(detail, **details)
        self.headers["www-authenticate"] = bearer_challenge()


class InvalidToken(Unauthorized):
    code, title = "auth.invalid_token", "Invalid access token"

    def __init__(self, detail: str | None = None, **details: Any) -> None:
        super().__init__(detail, **details)
        self.headers["www-authenticate"] = bearer_challenge("invalid_token", self.detail)


class MissingScope(Forbidden):
    code, title = "auth.missing_scope", "The token lacks a required scope"

    def __init__(self, detail: str | None = None, **details: Any) -> None:
        super().__init__(detail, **details)
        self.headers["www-authenticate"] = bearer_challenge("insufficient_scope", self.detail)


class TaxpayerForbidden(Forbidden):
    code, title = "auth.taxpayer_forbidden", "Not allowed to act for this taxpayer"


class TaxpayerNotChosen(AppError):
    code, status, title = "taxpayer.ambiguous", 400, "Say which taxpayer (npwp) you act for"


class KeysUnavailable(AppError):
    code, status, title = "auth.keys_unavailable", 503, "Token keys cannot be fetched"


@dataclass(frozen=True)
class Principal:
    subject: str
    scopes: frozenset[str]
    taxpayer_ids: frozenset[str] = frozenset()
    actor: dict[str, Any] | None = None  # RFC 8693 `act`: who is acting for the subject
    claims: dict[str, Any] = field(default_factory=dict, compare=False)

    def require(self, *scopes: str) -> None:
        missing = [s for s in scopes if s not in self.scopes]
        if missing:
            raise MissingScope(f"missing scope(s): {', '.join(missing)}")

    def ensure_taxpayer_access(self, taxpayer_id: str) -> None:
        if taxpayer_id not in self.taxpayer_ids:
            raise TaxpayerForbidden()

    @property
    def acting_person(self) -> str:
        """Who is really at the keyboard: `act.sub` of an exchanged token, else the subject."""
        actor = self.actor or {}
        return str(actor.get("sub") or self.subject)


def acting_taxpayer(principal: Principal, npwp: str | None) -> str:
    """The taxpayer a request acts for: the one it names (if the token may act for it), or the token's only one."""
    if npwp:
        principal.ensure_taxpayer_access(npwp)
        return npwp
    if len(principal.taxpayer_ids) == 1:
        return next(iter(principal.taxpayer_ids))
    if not principal.taxpayer_ids:
        raise TaxpayerForbidden("the token does not act for any taxpayer")
    raise TaxpayerNotChosen("the token acts for several taxpayers: say which (npwp)")


class JWKSCache:
    """Keys by `kid`; refetched after `ttl`, or sooner (rate-limited) when a token names an unknown `kid`."""

    def __init__(self, settings: AuthSettings, http: httpx.AsyncClient | None = None,
                 keys: dict[str, Any] | None = None) -> None:
        self.settings = settings
        self._http = http
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()
        self.verified = VerifiedTokens()
        if keys is not None:  # a static key set (tests, or an operator who pins keys)
            self._load(keys)
            self._fetched_at = float("inf")

    async def key(self, kid: str) -> jwt.PyJWK:
        now = time.monotonic()
        if kid not in self._keys or now - self._fetched_at > self.settings.jwks_cache_ttl_s:
            async with self._lock:
                stale = time.monotonic() - self._fetched_at
                if (kid not in self._keys and stale > self.settings.jwks_min_refresh_interval_s) or \
                        stale > self.settings.jwks_cache_ttl_s:
                    await self._refresh()
        try:
            return self._keys[kid]
        except KeyError:
            raise InvalidToken("unknown signing key") from None

    async def _refresh(self) -> None:
        client = self._http or httpx.AsyncClient(timeout=httpx.Timeout(3.0))
        try:
            response = await client.get(self.settings.jwks_url)
            response.raise_for_status()
            self._load(response.json())
            self._fetched_at = time.monotonic()
        except (httpx.HTTPError, ValueError) as exc:
            if not self._keys:
                raise KeysUnavailable(str(exc)) from None
        finally:
            if self._http is None:
                await client.aclose()

    def _load(self, jwks: dict[str, Any]) -> None:
        keys = jwt.PyJWKSet.from_dict(jwks).keys
        self._keys = {k.key_id: k for k in keys if k.key_id}


class VerifiedTokens:
    """Tokens already verified, by their exact bytes, until they expire. A client reuses its access token for every
    request of its lifetime, so after the first request the signature need not be checked again: the same bytes
    verify the same way. Bounded; the oldest entries go first."""

    def __init__(self, max_entries: int = 50_000) -> None:
        self._entries: dict[str, tuple[Principal, float]] = {}
        self._max = max_entries

    def get(self, token: str, leeway: int) -> Principal | None:
        hit = self._entries.get(token)
        if hit is None:
            return None
        if hit[1] + leeway < time.time():
            del self._entries[token]
            return None
        return hit[0]

    def put(self, token: str, principal: Principal) -> None:
        if len(self._entries) >= self._max:
            for stale in list(self._entries)[: self._max // 10]:
                del self._entries[stale]
        self._entries[token] = (principal, float(principal.claims["exp"]))


async def verify_access_token(token: str, cache: JWKSCache) -> Principal:
    known = cache.verified.get(token, cache.settings.leeway_s)
    if known is not None:
        return known
    principal = await _verify(token, cache)
    cache.verified.put(token, principal)
    return principal


async def _verify(token: str, cache: JWKSCache) -> Principal:
    settings = cache.settings
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise InvalidToken("malformed token") from None
    if header.get("alg") not in settings.algorithms or not header.get("kid"):
        raise InvalidToken("token algorithm or key id not accepted")
    key = await cache.key(header["kid"])
    try:
        claims = jwt.decode(
            token, key, algorithms=settings.algorithms, audience=settings.audience, issuer=settings.issuer,
            leeway=settings.leeway_s, options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidToken("token expired") from None
    except jwt.PyJWTError as exc:
        raise InvalidToken(f"token rejected: {exc}") from None
    tid = claims.get("tid") or []
    return Principal(
        subject=str(claims["sub"]),
        scopes=frozenset(str(claims.get("scope", "")).split()),
        taxpayer_ids=frozenset([tid] if isinstance(tid, str) else tid),
        actor=claims.get("act"),
        claims=claims,
    )


async def authenticate(request: Request) -> Principal:
    """The caller's principal, from its bearer token (the process's JWKS cache: looked up here rather than as a
    dependency of its own, which FastAPI would solve on every request)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise MissingToken("send an access token as `Authorization: Bearer <token>`")
    principal = await verify_access_token(token, state_of(request).get(JWKSCache))
    await client_rate_limit(request, principal)  # PJAP clients: their rate, shared by the replicas (kit.ratelimit)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(authenticate)]


def require_scopes(*scopes: str) -> Any:
    async def dependency(principal: CurrentPrincipal) -> Principal:
        principal.require(*scopes)
        return principal

    return Depends(dependency)
