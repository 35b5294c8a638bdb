"""Errors with stable codes, rendered as RFC 9457 problem+json; and the transient/permanent split for consumers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any, ClassVar, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from kit.logging import correlation_id

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"


class AppError(Exception):
    """A business or request error with a stable `code`. Subclass with fixed `code`, `status` and `title`."""

    code: ClassVar[str] = "error"
    status: ClassVar[int] = 400
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str | None = None, **details: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.details = details
        self.headers: dict[str, str] = {}  # set by a subclass that must answer with one (WWW-Authenticate)

    @classmethod
    def openapi(cls) -> dict[str, Any]:
        """For `responses={cls.status: cls.openapi()}` on a route."""
        return {"description": f"{cls.title} (`{cls.code}`)", "content": {PROBLEM_JSON: {"schema": _PROBLEM_SCHEMA}}}


class NotFound(AppError):
    code, status, title = "not_found", 404, "Not found"


class Conflict(AppError):
    code, status, title = "conflict", 409, "Conflict"


class Forbidden(AppError):
    code, status, title = "forbidden", 403, "Forbidden"


class Unauthorized(AppError):
    code, status, title = "unauthorized", 401, "Authentication required"


class RateLimited(AppError):
    code, status, title = "rate_limited", 429, "Too many requests"


class ValidationFailed(AppError):
    code, status, title = "validation_failed", 422, "Validation failed"


M = TypeVar("M", bound=BaseModel)


def validated(model: type[M], data: Any) -> M:
    """`data` validated as `model` by the code rather than by the route (a PATCH merged onto what is stored): its
    errors answer the same 422 as the request's own validation, under `body`, never a 500."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from None


class Retryable(Exception):
    """Raise from a consumer handler when the failure is temporary and the event itself is fine."""


_TRANSIENT_SQLSTATES = {"40001", "40P01", "55P03", "57P01", "57P02", "57P03", "53300"}


def is_transient(exc: BaseException) -> bool:
    """Infrastructure trouble that retrying can fix (as opposed to a bad event or a bug)."""
    from sqlalchemy import exc as sa_exc

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (Retryable, ConnectionError, TimeoutError, asyncio.TimeoutError, OSError)):
            return True
        if isinstance(current, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)):
            return True
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        if getattr(current, "sqlstate", None) in _TRANSIENT_SQLSTATES:
            return True
        if type(current).__module__.startswith("asyncpg") and "ConnectionDoesNotExist" in type(current).__name__:
            return True
        current = current.__cause__ or current.__context__ or getattr(current, "orig", None)
    return False


_PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string", "description": "stable machine-readable error code"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "correlation_id": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
}


EXCERPT = 100  # characters of a client's input (a field name, a dict key) an error answer repeats
MAX_TEXT = 1000  # characters of any one string in an error answer
MAX_ERRORS = 50  # validation errors listed; the count says how many there were


def excerpt(value: str, limit: int = EXCERPT) -> str:
    """`value` cut to `limit` characters and made encodable (a lone surrogate is shown as `\\ud800`): what an error
    answer may repeat of the input."""
    if len(value) > limit:
        value = value[:limit] + "…"
    return value.encode("utf-8", "backslashreplace").decode("utf-8")


def _bounded(value: Any, limit: int = MAX_TEXT) -> Any:
    if isinstance(value, str):
        return excerpt(value, limit)
    if isinstance(value, dict):
        return {excerpt(str(k), EXCERPT): _bounded(v, limit) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_bounded(v, limit) for v in value]
    return value


class PayloadTooLarge(StarletteHTTPException):
    """The request body went over its limit while it was read (kit.app's body limit). An HTTPException rather than
    an AppError: FastAPI lets those through when they interrupt its reading of the body."""

    def __init__(self, limit: int, *, code: str = "request.too_large",
                 title: str = "Request body too large") -> None:
        super().__init__(413, f"the limit is {limit} bytes")
        self.code, self.title = code, title


def problem(request: Request, *, status: int, code: str, title: str, detail: str | None = None,
            **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": excerpt(title, MAX_TEXT), "status": status, "code": code}
    if detail:
        body["detail"] = excerpt(detail, MAX_TEXT)
    body["instance"] = excerpt(request.url.path, MAX_TEXT)
    if cid := correlation_id.get():
        body["correlation_id"] = cid
    body.update(_bounded(extra))
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def validation_errors(errors: Sequence[Any]) -> tuple[str, list[dict[str, Any]]]:
    """The problem's code and its `errors`: where (`loc`), what (`msg`, `type`), never the input itself, at most
    MAX_ERRORS of them. The code is the errors' own when they all have the same one of ours (`text.invalid_character`:
    a dotted type), else `request.invalid`."""
    listed = [{"loc": [excerpt(p) if isinstance(p, str) else p for p in e["loc"]],
               "msg": excerpt(str(e["msg"]), 300), "type": excerpt(str(e["type"]))} for e in errors[:MAX_ERRORS]]
    types = {str(e["type"]) for e in errors}
    code = types.pop() if len(types) == 1 and "." in next(iter(types)) else "request.invalid"
    return code, listed


def problem_responses_in_openapi(app: FastAPI) -> None:
    """The OpenAPI document as the answers are: FastAPI documents its request-validation 422 as `{"detail": [...]}`
    in application/json; ours is problem+json (`validation_errors`)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                invalid = operation.get("responses", {}).get("422", {})
                if "HTTPValidationError" in str(invalid.get("content", {})):
                    invalid.update(description="Invalid request (`request.invalid`, or the errors' own code such as "
                                               "`text.invalid_character`)",
                                   content={PROBLEM_JSON: {"schema": _PROBLEM_SCHEMA}})
        for unused in ("HTTPValidationError", "ValidationError"):
            schema.get("components", {}).get("schemas", {}).pop(unused, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> JSONResponse:
        extra = {"details": exc.details} if exc.details else {}
        response = problem(request, status=exc.status, code=exc.code, title=exc.title, detail=exc.detail, **extra)
        if "retry_after" in exc.details:  # 429 and 503: tell clients when to come back (RFC 9110)
            response.headers["retry-after"] = str(exc.details["retry_after"])
        response.headers.update(exc.headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        found = exc.errors()
        code, errors = validation_errors(found)
        extra: dict[str, Any] = {"errors": errors}
        if len(found) > len(errors):
            extra["error_count"] = len(found)
        return problem(request, status=422, code=code, title="Invalid request",
                       detail="the request does not match the schema", **extra)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if isinstance(exc, PayloadTooLarge):
            return problem(request, status=413, code=exc.code, title=exc.title, detail=str(exc.detail))
        code = _HTTP_CODES.get(exc.status_code, f"http.{exc.status_code}")
        return problem(request, status=exc.status_code, code=code, title=str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        return unexpected_problem(request, exc)


def unexpected_problem(request: Request, exc: BaseException) -> JSONResponse:
    """The answer to an exception nothing handled: 503 `service.unavailable` with `Retry-After` when it is
    infrastructure trouble a retry can fix (the database pool exhausted under a surge, a connection lost), so clients
    back off instead of seeing a bug; 500 `internal` otherwise."""
    extra = {"path": request.url.path, "correlation_id": correlation_id.get()}
    if is_transient(exc):
        log.warning("dependency unavailable", extra={**extra, "error": f"{type(exc).__name__}: {exc}"})
        response = problem(request, status=503, code="service.unavailable", title="Temporarily unavailable",
                           detail="a dependency did not answer in time; retry after the delay given")
        response.headers["retry-after"] = "1"
        return response
    log.exception("unhandled error", extra=extra)
    return problem(request, status=500, code="internal", title="Internal error")


_HTTP_CODES = {400: "request.malformed", 404: "route.not_found", 405: "method.not_allowed",
               413: "request.too_large"}
