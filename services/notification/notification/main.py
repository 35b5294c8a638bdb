"""`uvicorn notification.main:app`: the notification API."""

from fastapi import FastAPI

from notification.settings import NotificationSettings, get_settings
from kit.app import create_service_app
from kit.replica import replica_router


def create_app(settings: NotificationSettings | None = None) -> FastAPI:
    return create_service_app(settings or get_settings(), routers=[replica_router()],
                              description="OTP and notices over SMS, e-mail and the in-app inbox.")


app = create_app()
