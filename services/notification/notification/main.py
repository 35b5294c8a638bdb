"""`uvicorn notification.main:app`: the notification API."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from kit.app import AppState, create_service_app
from kit.auth import JWKSCache
from kit.replica import replica_router
from notification.endpoints import internal, router, webhooks
from notification.settings import NotificationSettings, get_settings
from notification.templating import Catalogue


def create_app(settings: NotificationSettings | None = None, *, jwks: JWKSCache | None = None) -> FastAPI:
    settings = settings or get_settings()
    catalogue = Catalogue.load(settings.templates_dir)  # a broken template stops the start, not a request

    @asynccontextmanager
    async def extras(state: AppState) -> AsyncIterator[None]:
        state.extras["jwks"] = jwks or JWKSCache(settings.auth)
        state.extras["catalogue"] = catalogue
        yield

    return create_service_app(settings, routers=[router, webhooks, internal, replica_router()],
                              lifespan_extras=[extras],
                              description="OTP and notices over SMS, e-mail and the in-app inbox.")


app = create_app()
