"""`uvicorn filing.main:app`: the filing API."""

from fastapi import FastAPI

from filing.calendar.endpoints import router as calendar_router
from filing.clock import Clock
from filing.codes.endpoints import router as codes_router
from filing.obligations.endpoints import router as obligations_router
from filing.returns.endpoints import router as returns_router
from filing.settings import FilingSettings, get_settings
from kit.app import create_service_app, provided
from kit.auth import JWKSCache
from kit.replica import replica_router


def create_app(settings: FilingSettings | None = None, *, jwks: JWKSCache | None = None,
               clock: Clock | None = None) -> FastAPI:
    settings = settings or get_settings()
    return create_service_app(
        settings, routers=[calendar_router, obligations_router, returns_router, codes_router, replica_router()],
        startup=[provided(jwks or JWKSCache(settings.auth), JWKSCache), provided(clock or Clock(), Clock)],
        description="SPT filing, corrections, deadlines, sanctions, assessments, KSWP.")


app = create_app()
