"""The token endpoint's answers as standard OAuth2 clients expect them (RFC 6749 §5.1-5.2, RFC 8693 §2.2): every
error carries `error` and `error_description` beside the problem+json members (`type`, `title`, `status`, `code`,
`detail`); `invalid_client` is 401 with `WWW-Authenticate: Basic`; every answer carries `Cache-Control: no-store`
and `Pragma: no-cache`. A route class, so the rest of the service keeps kit's error handling unchanged."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from identity.passwords import Passwords
from kit.app import state_of
from kit.auth import REALM
from kit.errors import AppError, problem, validation_errors

# For errors raised on the way that are not the token endpoint's own (kit's and other slices'), by code.
_BY_CODE = {"auth.invalid_token": "invalid_request"}  # a bad subject_token: RFC 8693 §2.2.2
# Statuses the token endpoint answers with instead of the error's own (the subject token of an exchange is not the
# caller's credential: 400 rather than a resource's 401).
_STATUS = {"invalid_request": 400}
NO_STORE = {"cache-control": "no-store", "pragma": "no-cache"}

# The OAuth2 errors an error answer's schema lists (OpenAPI).
ERRORS = ["invalid_request", "invalid_client", "invalid_grant", "unauthorized_client", "unsupported_grant_type",
          "invalid_scope", "invalid_target", "temporarily_unavailable", "server_error"]


def oauth_error(exc: AppError) -> str:
    known = getattr(exc, "oauth_error", None) or _BY_CODE.get(exc.code)
    if known:
        return str(known)
    if exc.status in (429, 503):
        return "temporarily_unavailable"  # RFC 6749 §4.1.2.1: overload, come back later (Retry-After says when)
    if exc.status == 401:
        return "invalid_client"
    if exc.status >= 500:
        return "server_error"
    return "invalid_request"


def description(text: str) -> str:
    """RFC 6749 §5.2: `error_description` is printable ASCII without `"` and `\\`."""
    return "".join(c if " " <= c <= "~" and c not in '"\\' else "?" for c in text)[:500]


def error_response(request: Request, exc: AppError) -> Response:
    error = oauth_error(exc)
    status = _STATUS.get(error, exc.status)
    extra: dict[str, Any] = {"details": exc.details} if exc.details else {}
    response = problem(request, status=status, code=exc.code, title=exc.title, detail=exc.detail, error=error,
                       error_description=description(exc.detail), **extra)
    if "retry_after" in exc.details:
        response.headers["retry-after"] = str(exc.details["retry_after"])
    if error == "invalid_client":
        response.status_code = 401
        response.headers["www-authenticate"] = f'Basic realm="{REALM}"'
    return response


def invalid_request(request: Request, exc: RequestValidationError) -> Response:
    code, errors = validation_errors(exc.errors())
    return problem(request, status=400, code=code, title="Invalid token request",
                   detail="the request does not match the schema", error="invalid_request",
                   error_description="missing or malformed parameter: " + ", ".join(
                       description(str(e["loc"][-1])) for e in errors), errors=errors)


HASHING_GRANTS = {"password", "client_credentials"}


class OAuthRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                await _shed_early(request)
                response = await handle(request)
            except AppError as exc:
                response = error_response(request, exc)
            except RequestValidationError as exc:
                response = invalid_request(request, exc)
            response.headers.update(NO_STORE)
            return response

        return handler


async def _shed_early(request: Request) -> None:
    """Under a surge, refuse a grant that hashes before the route resolves its dependencies: a 503 then costs a
    fraction of a millisecond, so a burst is turned away at once. The grant's own admission (Passwords.admitted)
    still decides for the requests let through."""
    passwords = state_of(request).get(Passwords)
    if passwords.full and (await request.form()).get("grant_type") in HASHING_GRANTS:  # parsed once: FastAPI reuses it
        raise passwords.overloaded()


def error_schema() -> dict[str, Any]:
    """The problem+json schema of an error answer with the OAuth2 members, for `responses=`."""
    return {"type": "object", "required": ["type", "title", "status", "code", "error"], "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "code": {"type": "string", "description": "stable machine-readable error code"},
        "detail": {"type": "string"}, "instance": {"type": "string"}, "correlation_id": {"type": "string"},
        "error": {"type": "string", "enum": ERRORS, "description": "RFC 6749 §5.2 error code"},
        "error_description": {"type": "string"}, "errors": {"type": "array", "items": {"type": "object"}},
        "details": {"type": "object"}}}


def responses(*errors: type[AppError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` of the token endpoint: each status with its errors' codes and the OAuth2 schema."""
    by_status: dict[int, list[type[AppError]]] = {400: []}
    for e in errors:
        by_status.setdefault(e.status, []).append(e)
    out: dict[int | str, dict[str, Any]] = {}
    for status, listed in sorted(by_status.items()):
        said = ", ".join([f"`{e.code}`" for e in listed] + (["`request.invalid` (schema)"] if status == 400 else []))
        out[status] = {"description": f"OAuth2 error ({said})",
                       "content": {"application/problem+json": {"schema": error_schema()}}}
    return out
