"""`uvicorn filing.main:app`: the filing API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from filing.assessments.endpoints import officer_router as audits_router
from filing.assessments.endpoints import router as assessments_router
from filing.calendar.endpoints import router as calendar_router
from filing.codes.endpoints import router as codes_router
from filing.corrections.endpoints import router as corrections_router
from filing.forms.endpoints import router as forms_router
from filing.kswp import signing as kswp_signing
from filing.kswp.endpoints import router as kswp_router
from filing.obligations.endpoints import router as obligations_router
from filing.reference.endpoints import officer_router as reference_router
from filing.reference.service import kept_fresh
from filing.returns.endpoints import router as returns_router
from filing.sanctions.endpoints import officer_router as sanction_runs_router
from filing.sanctions.endpoints import router as sanctions_router
from filing.settings import FilingSettings, get_settings
from filing.skb.endpoints import officer_router as skb_officer_router
from filing.skb.endpoints import router as skb_router
from filing.submissions.endpoints import router as submissions_router
from filing.warnings.endpoints import officer_router as warnings_router
from kit.app import AppState, StartupStep, create_service_app, provided
from kit.auth import JWKSCache
from kit.clock import Clock
from kit.ratelimit import shared_client_limits
from kit.replica import replica_router
from kit.signing import IdentityClient


def identity_client(settings: FilingSettings, http: httpx.AsyncClient | None = None) -> StartupStep:
    """A start-up step: the client of identity's signing endpoint (`http` reaches identity in tests)."""

    @asynccontextmanager
    async def step(state: AppState) -> AsyncIterator[None]:
        client = state.provide(IdentityClient(settings.identity, http))
        try:
            yield
        finally:
            await client.aclose()

    return step


def create_app(settings: FilingSettings | None = None, *, jwks: JWKSCache | None = None,
               clock: Clock | None = None, identity_http: httpx.AsyncClient | None = None) -> FastAPI:
    settings = settings or get_settings()
    # The KSWP keys parsed now: a key that is not an ECDSA P-256 PEM stops the start, not the first letter.
    kswp_signing.published(settings.kswp.signing_key.get_secret_value(), settings.kswp.previous_public_keys)
    return create_service_app(
        # forms_router's `/v1/returns/{form}/...` after the SPT Masa PPN's own routes, which it would shadow
        settings, routers=[calendar_router, obligations_router, returns_router, submissions_router, codes_router,
                           replica_router(), assessments_router, corrections_router, forms_router,
                           sanctions_router, kswp_router, skb_router, audits_router, sanction_runs_router, skb_officer_router,
                           warnings_router, reference_router],
        startup=[provided(jwks or JWKSCache(settings.auth), JWKSCache), provided(clock or Clock(), Clock),
                 identity_client(settings, identity_http), shared_client_limits(),
                 kept_fresh(settings.reference_refresh_s)],
        description="SPT filing, corrections, deadlines, sanctions, assessments, KSWP.")


app = create_app()
