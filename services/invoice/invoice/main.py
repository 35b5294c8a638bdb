"""`uvicorn invoice.main:app`: the invoice API."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from invoice.endpoints import router
from invoice.jobs import run_jobs
from invoice.settings import InvoiceSettings, get_settings
from kit.app import create_service_app, provided
from kit.auth import JWKSCache
from kit.replica import replica_router


def create_app(settings: InvoiceSettings | None = None, *, jwks: JWKSCache | None = None,
               identity_http: httpx.AsyncClient | None = None) -> FastAPI:
    settings = settings or get_settings()
    return create_service_app(settings, routers=[replica_router(), router],
                              startup=[provided(jwks or JWKSCache(settings.auth)), run_jobs(settings, identity_http)],
                              description="e-Faktur: invoices, uploads, signing, numbering, lists.")


app = create_app()
