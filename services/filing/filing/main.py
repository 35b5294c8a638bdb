"""`uvicorn filing.main:app`: the filing API."""

from fastapi import FastAPI

from filing.settings import FilingSettings, get_settings
from kit.app import create_service_app
from kit.replica import replica_router


def create_app(settings: FilingSettings | None = None) -> FastAPI:
    return create_service_app(settings or get_settings(), routers=[replica_router()],
                              description="SPT filing, corrections, deadlines, sanctions, assessments, KSWP.")


app = create_app()
