"""`uvicorn identity.main:app`: the identity API."""

from typing import Any

from fastapi import FastAPI

from identity import endpoints, officer_endpoints, taxpayer_endpoints
from identity.credentials.endpoints import routers as credential_routers
from identity.credentials.runtime import credentials_lifespan
from identity.passwords import Passwords
from identity.registration import Registries
from identity.registries import seeded_company_registry, seeded_population_registry
from identity.settings import IdentitySettings, get_settings
from identity.tokens import TokenIssuer
from kit.app import create_service_app, provided
from kit.auth import JWKSCache


def create_app(settings: IdentitySettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    issuer = TokenIssuer(settings)

    startup = [
        provided(issuer),
        provided(JWKSCache(settings.auth, keys=issuer.jwks())),  # identity verifies its own tokens like any service
        provided(Passwords(settings.login)),
        provided(Registries(seeded_population_registry(), seeded_company_registry())),
        credentials_lifespan(settings.credentials, settings.env),
    ]
    app = create_service_app(settings, routers=[endpoints.router, taxpayer_endpoints.router, officer_endpoints.router,
                                                      *credential_routers],
                             startup=startup,
                             description="Taxpayers, accounts, tokens, representatives, signing credentials.")

    @app.get("/.well-known/jwks.json", tags=["tokens"], summary="Public keys that verify identity's access tokens")
    async def jwks() -> dict[str, Any]:
        return issuer.jwks()

    return app


app = create_app()
