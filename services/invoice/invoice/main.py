"""`uvicorn invoice.main:app`: the invoice API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI

from invoice.endpoints import router
from invoice.jobs import job_runner_extra
from invoice.settings import InvoiceSettings, get_settings
from kit.app import AppState, create_service_app
from kit.auth import JWKSCache
from kit.replica import replica_router


def jwks_extra(settings: InvoiceSettings, jwks: JWKSCache | None):  # type: ignore[no-untyped-def]
    @asynccontextmanager
    async def extra(state: AppState) -> AsyncIterator[None]:
        state.extras["jwks"] = jwks or JWKSCache(settings.auth)
        yield

    return extra


def create_app(settings: InvoiceSettings | None = None, *, jwks: JWKSCache | None = None,
               identity_http: httpx.AsyncClient | None = None) -> FastAPI:
    settings = settings or get_settings()
    extras: list[Any] = [jwks_extra(settings, jwks), job_runner_extra(settings, identity_http)]
    return create_service_app(settings, routers=[replica_router(), router], lifespan_extras=extras,
                              description="e-Faktur: invoices, uploads, signing, numbering, lists.")


app = create_app()
