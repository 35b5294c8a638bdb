"""`uvicorn invoice.main:app`: the invoice API."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from invoice.documents.endpoints import router as documents
from invoice.drafts.endpoints import router as drafts
from invoice.jobs import run_jobs
from invoice.lifecycle.endpoints import router as lifecycle
from invoice.settings import InvoiceSettings, get_settings
from invoice.signing.endpoints import router as signing
from invoice.uploads.endpoints import router as uploads
from invoice.webhooks.endpoints import router as webhooks
from kit.app import create_service_app, provided
from kit.auth import JWKSCache
from kit.ratelimit import shared_client_limits
from kit.replica import replica_router

# documents before drafts: `/v1/invoices/export` must not be read as `/v1/invoices/{invoice_id}`
ROUTERS = [documents, drafts, uploads, signing, webhooks, lifecycle]


def create_app(settings: InvoiceSettings | None = None, *, jwks: JWKSCache | None = None,
               identity_http: httpx.AsyncClient | None = None) -> FastAPI:
    settings = settings or get_settings()
    return create_service_app(settings, routers=[replica_router(), *ROUTERS],
                              startup=[provided(jwks or JWKSCache(settings.auth)), shared_client_limits(),
                                       run_jobs(settings, identity_http)],
                              description="e-Faktur: invoices, uploads, signing, numbering, lists.")


app = create_app()
