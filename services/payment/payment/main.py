"""`uvicorn payment.main:app`: the payment API."""

from fastapi import FastAPI

from kit.app import create_service_app
from kit.replica import replica_router
from payment.settings import PaymentSettings, get_settings


def create_app(settings: PaymentSettings | None = None) -> FastAPI:
    return create_service_app(settings or get_settings(), routers=[replica_router()],
                              description="Billing codes, payments and NTPN, liabilities, ledger, instalments, deposit.")


app = create_app()
