"""`uvicorn identity.main:app`: the identity API, one router per feature slice."""

from fastapi import FastAPI

from identity.audit.endpoints import router as audit_router
from identity.credentials.endpoints import routers as credential_routers
from identity.credentials.runtime import credentials_lifespan
from identity.officer.endpoints import router as officer_router
from identity.passwords import Passwords
from identity.pjap.endpoints import routers as pjap_routers
from identity.registration.endpoints import router as registration_router
from identity.registration.registries import Registries, seeded_company_registry, seeded_population_registry
from identity.sessions.endpoints import router as sessions_router
from identity.settings import IdentitySettings, get_settings
from identity.taxpayers.endpoints import routers as taxpayer_routers
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
    routers = [registration_router, sessions_router, *taxpayer_routers, officer_router, *pjap_routers, audit_router,
               *credential_routers]
    return create_service_app(settings, routers=routers, startup=startup,
                              description="Taxpayers, accounts, tokens, representatives, signing credentials.")


app = create_app()
