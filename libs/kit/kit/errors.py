"""Errors with stable codes, rendered as RFC 9457 problem+json; and the transient/permanent split for consumers."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
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


def problem(request: Request, *, status: int, code: str, title: str, detail: str | None = None,
            **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "code": code}
    if detail:
        body["detail"] = detail
    body["instance"] = request.url.path
    if cid := correlation_id.get():
        body["correlation_id"] = cid
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> JSONResponse:
        extra = {"details": exc.details} if exc.details else {}
        response = problem(request, status=exc.status, code=exc.code, title=exc.title, detail=exc.detail, **extra)
        if "retry_after" in exc.details:  # 429 and 503: tell clients when to come back (RFC 9110)
            response.headers["retry-after"] = str(exc.details["retry_after"])
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        return problem(request, status=422, code="request.invalid", title="Invalid request",
                       detail="the request does not match the schema", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "route.not_found", 405: "method.not_allowed"}.get(exc.status_code, f"http.{exc.status_code}")
        return problem(request, status=exc.status_code, code=code, title=str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        return problem(request, status=500, code="internal", title="Internal error")
