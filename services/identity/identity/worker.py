"""`python -m identity.worker`: the outbox relay (identity consumes no events yet)."""

from fastapi import FastAPI

from identity.settings import IdentitySettings, get_settings
from kit.worker import create_worker_app, serve


def create_app(settings: IdentitySettings | None = None) -> FastAPI:
    return create_worker_app(settings or get_settings())


if __name__ == "__main__":
    serve(create_app(), get_settings())
