"""`uvicorn identity.main:app`: the identity API."""

from fastapi import FastAPI

from identity.endpoints import router
from identity.settings import IdentitySettings, get_settings
from kit.app import create_service_app


def create_app(settings: IdentitySettings | None = None) -> FastAPI:
    return create_service_app(settings or get_settings(), routers=[router],
                              description="Taxpayers, accounts, tokens, representatives, signing credentials.")


app = create_app()
