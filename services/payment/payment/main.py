"""`uvicorn payment.main:app`: the payment API."""

from fastapi import FastAPI

from kit.app import create_service_app, provided
from kit.auth import JWKSCache
from kit.clock import Clock
from kit.ratelimit import shared_client_limits
from kit.replica import replica_router
from payment.billing.endpoints import router as billing_router
from payment.confirmations.endpoints import receipts_router
from payment.confirmations.endpoints import router as confirmations_router
from payment.debts.endpoints import routers as debts_routers
from payment.deposit.endpoints import routers as deposit_routers
from payment.instalments.endpoints import routers as instalments_routers
from payment.ledger.endpoints import router as ledger_router
from payment.phtb.endpoints import routers as phtb_routers
from payment.reference.service import kept_fresh
from payment.settings import PaymentSettings, get_settings


def create_app(settings: PaymentSettings | None = None, *, jwks: JWKSCache | None = None,
               clock: Clock | None = None) -> FastAPI:
    settings = settings or get_settings()
    return create_service_app(settings, routers=[billing_router, confirmations_router, ledger_router,
                                                 *debts_routers, *instalments_routers, *deposit_routers,
                                                 receipts_router, *phtb_routers,
                                                 replica_router()],
                              startup=[provided(jwks or JWKSCache(settings.auth)), provided(clock or Clock(), Clock),
                                       shared_client_limits(), kept_fresh(settings.reference_refresh_s)],
                              description="Billing codes, bank confirmations with NTPN, the taxpayer's ledger, "
                                          "debts (STP, SKP, legacy) and what pays them.")


app = create_app()
