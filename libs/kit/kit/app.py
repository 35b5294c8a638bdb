"""The app factory every service process uses: errors, correlation ids, metrics, health, offline docs."""

from __future__ import annotations

import asyncio
import gc
import importlib.util
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, FastAPI, Query, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kit.db import create_engine, create_sessionmaker
from kit.errors import (
    AppError,
    PayloadTooLarge,
    install_error_handlers,
    problem_responses_in_openapi,
    unexpected_problem,
)
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
        # FastAPI's native OpenTelemetry: off. Lontar's metrics are Prometheus (kit.metrics) and its logs JSON lines;
        # left on, FastAPI looks for OpenTelemetry providers on every request (3 µs each, for nothing).
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    install_error_handlers(app)
    _install_middleware(app, settings)
    for router in routers:  # before the probes and docs: FastAPI tries every route before the one that matches
        app.include_router(router)
    app.include_router(_ops_router(settings))
    _install_offline_docs(app)
    problem_responses_in_openapi(app)
    return app


def state_of(request: Request) -> AppState:
    state: AppState = request.app.state.lontar
    return state


def _install_middleware(app: FastAPI, settings: BaseServiceSettings) -> None:
    app.add_middleware(BodyLimit, settings=settings)  # innermost of the three: its 413 carries the correlation id
    app.add_middleware(RequestContext, service=settings.service_name)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["*"],
                           allow_headers=["*"], expose_headers=["x-correlation-id"])


_CORRELATION_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


class RequestContext:
    """Per request: the correlation id (the caller's `x-correlation-id` if it is one, else a new one) on every log
    line and on the answer, the HTTP metrics, and the answer to an unhandled error (`kit.errors.unexpected_problem`:
    503 with Retry-After for transient trouble, else 500), logged under the same id. Pure ASGI, so the id is still
    set when the error is rendered."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app, self.service = app, service
        self._metrics = _RouteMetrics(service)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = header_value(scope, b"x-correlation-id")
        cid = given if _CORRELATION_ID.fullmatch(given) else str(uuid.uuid4())
        header = (b"x-correlation-id", cid.encode())
        token = correlation_id.set(cid)
        started = time.perf_counter()
        status = 500
        responded = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, responded
            if message["type"] == "http.response.start":
                responded, status = True, message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-correlation-id"]
                message = {**message, "headers": [*headers, header]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            if responded:  # too late for a problem answer: the server ends the broken response
                log.exception("unhandled error", extra={"method": scope.get("method"), "path": scope.get("path"),
                                                        "correlation_id": cid})
                raise
            await unexpected_problem(Request(scope), exc)(scope, receive, send_with_id)
        finally:
            self._metrics.observe(scope.get("method", ""), getattr(scope.get("route"), "path", "<unmatched>"),
                                  status, time.perf_counter() - started)
            correlation_id.reset(token)


def header_value(scope: Scope, name: bytes) -> str:
    """The first value of the request header `name` (lower case, as ASGI gives names), "" if absent: what
    `Headers(scope=scope).get(...)` answers, without building `Headers` for one look-up on every request."""
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return ""


class _RouteMetrics:
    """`HTTP_REQUESTS` and `HTTP_LATENCY` by method, route and status, their labelled children kept: `labels()`
    validates and locks on every call, a third of the metrics' cost per request. Bounded, since the method is the
    client's; a child dropped here is still counted (Prometheus keeps it, `labels()` finds it again)."""

    MAX = 10_000

    def __init__(self, service: str) -> None:
        self.service = service
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            if len(self._children) >= self.MAX:
                self._children.clear()
            children = self._children[key] = (HTTP_REQUESTS.labels(self.service, method, route, str(status)),
                                              HTTP_LATENCY.labels(self.service, method, route))
        children[0].inc()
        children[1].observe(seconds)


_BODY_LIMIT = "_kit_body_limit"
E = TypeVar("E", bound=Callable[..., Any])


def body_limit(limit: int | Callable[[Any], int], *, error: type[AppError] | None = None) -> Callable[[E], E]:
    """A route's own body limit instead of `settings.http.max_body_bytes`: `limit` bytes, or a function of the
    service's settings (an upload limit that is a setting). `error`: the AppError whose code and title the 413 takes.
    Put it under the route decorator:

        @router.post("/v1/invoice-uploads")
        @body_limit(lambda settings: settings.uploads.max_bytes, error=UploadTooLarge)
        async def create_upload(...): ..."""

    def mark(endpoint: E) -> E:
        setattr(endpoint, _BODY_LIMIT, (limit, error))
        return endpoint

    return mark


class BodyLimit:
    """Request bodies are counted while they are read, so one over its limit costs no more memory than the limit:
    the declared Content-Length is checked before the first byte is read, then every chunk. The limit is the
    route's own (`body_limit`) or the default; it is looked up at the first read, when the route is known."""

    def __init__(self, app: ASGIApp, settings: BaseServiceSettings) -> None:
        self.app, self.settings = app, settings

    def _limit_of(self, scope: Scope) -> tuple[int, type[AppError] | None]:
        limit, error = getattr(getattr(scope.get("route"), "endpoint", None), _BODY_LIMIT, (None, None))
        if callable(limit):
            limit = limit(self.settings)
        return (self.settings.http.max_body_bytes if limit is None else int(limit)), error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        read = 0
        limit: int | None = None
        error: type[AppError] | None = None

        def too_large() -> PayloadTooLarge:
            assert limit is not None
            if error is None:
                return PayloadTooLarge(limit)
            return PayloadTooLarge(limit, code=error.code, title=error.title)

        async def limited() -> Message:
            nonlocal read, limit, error
            if limit is None:
                limit, error = self._limit_of(scope)
                declared = header_value(scope, b"content-length")
                if declared.isascii() and declared.isdigit() and int(declared) > limit:
                    raise too_large()
            message = await receive()
            if message["type"] == "http.request":
                read += len(message.get("body", b""))
                if read > limit:
                    raise too_large()
            return message

        await self.app(scope, limited, send)


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
