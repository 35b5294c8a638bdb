"""`uvicorn notification.main:app`: the notification API."""

from fastapi import FastAPI

from kit.app import create_service_app, provided
from kit.auth import JWKSCache
from kit.replica import replica_router
from notification.endpoints import internal, router, webhooks
from notification.settings import NotificationSettings, get_settings
from notification.templating import Catalogue


def create_app(settings: NotificationSettings | None = None, *, jwks: JWKSCache | None = None) -> FastAPI:
    settings = settings or get_settings()
    catalogue = Catalogue.load(settings.templates_dir)  # a broken template stops the start, not a request
    return create_service_app(settings, routers=[router, webhooks, internal, replica_router()],
                              startup=[provided(jwks or JWKSCache(settings.auth)), provided(catalogue)],
                              description="OTP and notices over SMS, e-mail and the in-app inbox.")


app = create_app()
