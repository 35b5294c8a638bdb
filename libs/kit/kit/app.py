"""The app factory every service process uses: errors, correlation ids, metrics, health, offline docs."""

from __future__ import annotations

import asyncio
import gc
import importlib.util
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated, TypeVar

from fastapi import APIRouter, FastAPI, Query, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from kit.db import create_engine, create_sessionmaker
from kit.errors import install_error_handlers
from kit.health import BrokerProbe, check_database, refresh_outbox_gauges
from kit.logging import configure_logging, correlation_id
from kit.metrics import HTTP_LATENCY, HTTP_REQUESTS
from kit.settings import BaseServiceSettings

log = logging.getLogger(__name__)

T = TypeVar("T")

# One step of a process's start-up: entered in order once the database pool is up, left in reverse on shutdown.
# A step builds what it owns (a JWKS cache, a job runner, a dispatcher) and hands it to the state with `provide`.
StartupStep = Callable[["AppState"], AbstractAsyncContextManager[None]]


@dataclass
class AppState:
    """What a running process holds: the common plumbing as fields, and each service's own runtime objects looked up
    by their type (`state.get(JobRunner)`), so a typo is an import error rather than a KeyError at request time."""

    settings: BaseServiceSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    broker: BrokerProbe
    process: str
    _provided: dict[type, object] = field(default_factory=dict)

    def provide(self, value: T, as_type: type[T] | None = None) -> T:
        self._provided[as_type or type(value)] = value
        return value

    def get_or_provide(self, kind: type[T], make: Callable[[], T]) -> T:
        """What the process holds of `kind`, made on first use (state shared by requests, like rate-limit buckets)."""
        if kind not in self._provided:
            self._provided[kind] = make()
        return self.get(kind)

    def get(self, kind: type[T]) -> T:
        try:
            value = self._provided[kind]
        except KeyError:
            raise LookupError(f"{kind.__name__} was not provided by this process's start-up steps") from None
        assert isinstance(value, kind)
        return value


def provided(value: T, as_type: type[T] | None = None) -> StartupStep:
    """A start-up step that only hands an object already built to the state."""

    @asynccontextmanager
    async def step(state: AppState) -> AsyncIterator[None]:
        state.provide(value, as_type)
        yield

    return step


def freeze_startup_heap() -> None:
    """Take what is alive once the process has started (modules, the app, pools, templates, code lists) out of the
    cyclic garbage collector's reach. A full collection otherwise scans all of it and holds the event loop meanwhile:
    60-97 ms pauses in the event-bus bench, each one a latency spike for every event in flight. Objects made later
    are collected as before; frozen ones are still freed by reference counting."""
    gc.collect()
    gc.freeze()


def create_service_app(
    settings: BaseServiceSettings,
    *,
    process: str = "api",
    routers: Sequence[APIRouter] = (),
    startup: Sequence[StartupStep] = (),
    title: str | None = None,
    description: str = "",
) -> FastAPI:
    configure_logging(f"{settings.service_name}.{process}", settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.database, application_name=f"{settings.service_name}.{process}")
        state = AppState(settings, engine, create_sessionmaker(engine),
                         BrokerProbe(settings.kafka, f"{settings.service_name}.{process}"), process)
        app.state.lontar = state
        async with AsyncExitStack() as stack:
            stack.push_async_callback(engine.dispose)
            stack.push_async_callback(state.broker.close)
            for step in startup:
                await stack.enter_async_context(step(state))
            freeze_startup_heap()
            yield

    app = FastAPI(
        title=title or f"Lontar {settings.service_name}",
        description=description,
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    install_error_handlers(app)
    _install_middleware(app, settings)
    app.include_router(_ops_router(settings))
    _install_offline_docs(app)
    for router in routers:
        app.include_router(router)
    return app


def state_of(request: Request) -> AppState:
    state: AppState = request.app.state.lontar
    return state


def _install_middleware(app: FastAPI, settings: BaseServiceSettings) -> None:
    service = settings.service_name

    @app.middleware("http")
    async def observe(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        cid = request.headers.get("x-correlation-id") or str(uuid.uuid4())
        token = correlation_id.set(cid[:100])
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            response.headers["x-correlation-id"] = cid[:100]
            return response
        finally:
            route = request.scope.get("route")
            path = getattr(route, "path", "<unmatched>")
            HTTP_REQUESTS.labels(service, request.method, path, str(status)).inc()
            HTTP_LATENCY.labels(service, request.method, path).observe(time.perf_counter() - started)
            correlation_id.reset(token)

    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["*"],
                           allow_headers=["*"], expose_headers=["x-correlation-id"])


def _ops_router(settings: BaseServiceSettings) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": settings.service_name}

    @router.get("/readyz", summary="Ready when the database and the broker answer",
                responses={503: {"description": "a dependency does not answer"}})
    async def readyz(
        request: Request,
        check: Annotated[list[str] | None, Query(description="limit to these checks (database, broker)")] = None,
    ) -> JSONResponse:
        state = state_of(request)
        probes = {"database": lambda: check_database(state.engine), "broker": state.broker.check}
        wanted = [name for name in probes if not check or name in check]
        results = await asyncio.gather(*(probes[n]() for n in wanted), return_exceptions=True)
        checks = {n: ({"status": "up"} if r is None else {"status": "down", "error": _short(r)})
                  for n, r in zip(wanted, results, strict=True)}
        ready = all(c["status"] == "up" for c in checks.values())
        body = {"status": "ready" if ready else "not_ready", "service": settings.service_name,
                "process": state.process, "checks": checks}
        return JSONResponse(body, status_code=200 if ready else 503)

    @router.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def metrics(request: Request) -> Response:
        try:
            await refresh_outbox_gauges(state_of(request).engine, settings.service_name)
        except Exception as exc:  # the scrape still answers with what the process knows
            log.warning("outbox gauges not refreshed", extra={"error": repr(exc)})
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:300]


def _install_offline_docs(app: FastAPI) -> None:
    """Swagger UI 5 (renders OpenAPI 3.1) served from the installed `swagger-ui-py` package: no CDN, works offline."""
    spec = importlib.util.find_spec("swagger_ui")
    assert spec is not None and spec.submodule_search_locations, "swagger-ui-py is not installed"
    static = f"{spec.submodule_search_locations[0]}/static"
    app.mount("/docs/static", StaticFiles(directory=static), name="swagger-static")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} API",
            swagger_js_url="/docs/static/swagger-ui-bundle.js",
            swagger_css_url="/docs/static/swagger-ui.css",
            swagger_favicon_url="/docs/static/favicon-32x32.png",
        )
