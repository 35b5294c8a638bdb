"""`uvicorn invoice.main:app`: the invoice API."""

from fastapi import FastAPI

from invoice.settings import InvoiceSettings, get_settings
from kit.app import create_service_app
from kit.replica import replica_router


def create_app(settings: InvoiceSettings | None = None) -> FastAPI:
    return create_service_app(settings or get_settings(), routers=[replica_router()],
                              description="e-Faktur: invoices, uploads, signing, numbering, lists, PDF.")


app = create_app()
