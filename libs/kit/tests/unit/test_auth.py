"""Token verification against a JWKS served over HTTP: pinned algorithms, issuer, audience; key rotation."""

from __future__ import annotations

import time

import httpx
import jwt
import pytest
from fastapi import FastAPI

from kit.auth import JWKSCache, verify_access_token
from kit.errors import AppError
from kit.settings import AuthSettings
from kit.testing.tokens import TokenMaker


def jwks_server(*makers: TokenMaker) -> tuple[httpx.AsyncClient, dict[str, int]]:
    """identity's JWKS endpoint, as an ASGI app reached over httpx; `hits` counts fetches."""
    app, hits = FastAPI(), {"count": 0}
    current = list(makers)

    @app.get("/.well-known/jwks.json")
    async def jwks() -> dict[str, object]:
        hits["count"] += 1
        return {"keys": [k for m in current for k in m.jwks()["keys"]]}

    app.state.current = current
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://identity")
    client.app = app  # type: ignore[attr-defined]
    return client, hits


SETTINGS = AuthSettings(jwks_url="http://identity/.well-known/jwks.json", jwks_min_refresh_interval_s=0)


async def test_valid_token_gives_the_principal() -> None:
    maker = TokenMaker(SETTINGS)
    http, _ = jwks_server(maker)
    token = maker.make(subject="acct-1", scopes=["invoice:write"], taxpayer_ids=["0123456789012345"],
                       act={"sub": "pic-7"})
    principal = await verify_access_token(token, JWKSCache(SETTINGS, http))
    assert principal.subject == "acct-1"
    assert principal.scopes == {"invoice:write"}
    assert principal.actor == {"sub": "pic-7"}
    principal.ensure_taxpayer_access("0123456789012345")
    with pytest.raises(AppError) as denied:
        principal.ensure_taxpayer_access("9999999999999999")
    assert denied.value.code == "auth.taxpayer_forbidden"


@pytest.mark.parametrize("claims, reason", [
    ({"expires_in": -120}, "expired"),
    ({"aud": "someone-else"}, "audience"),
    ({"iss": "evil"}, "issuer"),
])
async def test_rejects_tokens_with_wrong_claims(claims: dict, reason: str) -> None:  # type: ignore[type-arg]
    maker = TokenMaker(SETTINGS)
    http, _ = jwks_server(maker)
    with pytest.raises(AppError) as info:
        await verify_access_token(maker.make(**claims), JWKSCache(SETTINGS, http))
    assert info.value.code == "auth.invalid_token", reason


async def test_rejects_symmetric_and_unsigned_tokens() -> None:
    maker = TokenMaker(SETTINGS)
    http, _ = jwks_server(maker)
    now = int(time.time())
    claims = {"iss": SETTINGS.issuer, "aud": SETTINGS.audience, "sub": "x", "iat": now, "exp": now + 60}
    forged_hs = jwt.encode(claims, "guessable", algorithm="HS256", headers={"kid": maker.kid})
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": maker.kid})
    for token in (forged_hs, unsigned, "not.a.token"):
        with pytest.raises(AppError):
            await verify_access_token(token, JWKSCache(SETTINGS, http))


async def test_keys_are_cached_and_an_unknown_kid_triggers_one_refetch() -> None:
    old, new = TokenMaker(SETTINGS), TokenMaker(SETTINGS)
    http, hits = jwks_server(old)
    cache = JWKSCache(SETTINGS, http)
    for _ in range(50):
        await verify_access_token(old.make(), cache)
    assert hits["count"] == 1

    http.app.state.current.append(new)  # type: ignore[attr-defined]  (identity rotates in a new key)
    assert (await verify_access_token(new.make(subject="after-rotation"), cache)).subject == "after-rotation"
    assert hits["count"] == 2


async def test_a_verified_token_is_served_from_cache_until_it_expires_and_only_for_the_same_bytes() -> None:
    maker = TokenMaker(SETTINGS)
    http, hits = jwks_server(maker)
    cache = JWKSCache(SETTINGS, http)
    token = maker.make(subject="cached")
    assert (await verify_access_token(token, cache)).subject == "cached"
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises(AppError):
        await verify_access_token(tampered, cache)

    expired = maker.make(subject="old", expires_in=-SETTINGS.leeway_s - 5)
    with pytest.raises(AppError):
        await verify_access_token(expired, cache)
    principal = await verify_access_token(token, cache)
    cache.verified.put(expired, principal.__class__(subject="old", scopes=frozenset(),
                                                     claims={"exp": time.time() - SETTINGS.leeway_s - 5}))
    with pytest.raises(AppError):
        await verify_access_token(expired, cache)  # a cached entry past its expiry is dropped and re-verified
