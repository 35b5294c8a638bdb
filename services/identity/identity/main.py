"""`uvicorn identity.main:app`: the identity API, one router per feature slice."""

from fastapi import FastAPI

from identity.audit.endpoints import router as audit_router
from identity.credentials.endpoints import routers as credential_routers
from identity.credentials.runtime import credentials_lifespan
from identity.officer.endpoints import router as officer_router
from identity.passwords import passwords_lifespan
from identity.pjap.endpoints import routers as pjap_routers
from identity.registration.endpoints import router as registration_router
from identity.registration.registries import Registries, seeded_company_registry, seeded_population_registry
from identity.sessions.endpoints import routers as session_routers
from identity.settings import IdentitySettings, get_settings
from identity.taxpayers.endpoints import routers as taxpayer_routers
from identity.tokens import TokenIssuer
from kit.app import create_service_app, provided
from kit.auth import JWKSCache
from kit.ratelimit import shared_client_limits


def create_app(settings: IdentitySettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    issuer = TokenIssuer(settings)

    startup = [
        provided(issuer),
        provided(JWKSCache(settings.auth, keys=issuer.jwks())),  # identity verifies its own tokens like any service
        passwords_lifespan(settings.login),  # Argon2id on a pool sized to the cores, with load shedding
        provided(Registries(seeded_population_registry(), seeded_company_registry())),
        credentials_lifespan(settings.credentials, settings.env),
        shared_client_limits(),  # PJAP clients' rates in PostgreSQL, shared by the replicas
    ]
    routers = [registration_router, *session_routers, *taxpayer_routers, officer_router, *pjap_routers, audit_router,
               *credential_routers]
    return create_service_app(settings, routers=routers, startup=startup,
                              description="Taxpayers, accounts, tokens, representatives, signing credentials.")


app = create_app()
