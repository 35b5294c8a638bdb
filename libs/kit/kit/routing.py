"""`LeanRoute`: FastAPI's request handling for a hot route, without its general machinery.

FastAPI's handler reads the body, parses its content type with `email.message`, opens exit stacks and walks the
dependency tree with `solve_dependencies`, general enough for every kind of parameter: for payment's
`POST /v1/bank/payments`, about a third of the request's own CPU in process (some 55 of 150 µs, the confirmation's
batch aside). A router made with `APIRouter(route_class=LeanRoute)` answers its simple routes with a direct handler
instead:

- simple means: the endpoint and every dependency are plain `async def` (no `yield`, no thread pool), taking only
  dependencies, `Request` and at most one JSON body model; no path, query, header or cookie parameters, no security
  scopes, no `Response`/`BackgroundTasks` parameters; and the endpoint is annotated to return a `Response`. Any other
  route of the router keeps FastAPI's handler, unchanged.
- the direct handler takes only the happy path: a body sent as `content-type: application/json` that validates (the
  same `ModelField.validate` FastAPI calls). Anything else (no body, another content type, JSON that does not parse, a body
  that does not validate, dependency overrides set, FastAPI telemetry on) goes to FastAPI's own handler for the same
  request (the body is cached on the `Request`), so errors are FastAPI's to the byte. Validating the body before the
  dependencies run (FastAPI validates after) is unobservable: validation is pure, and a body that fails is handed
  over before any dependency ran, so dependencies run once per request either way.
- dependencies are called as FastAPI calls them: sub-dependencies first, once per request per callable
  (`use_cache`); what they raise reaches the app's exception handlers exactly as from FastAPI's handler.
"""

from __future__ import annotations

import inspect
import json
import typing
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import params
from fastapi import routing as fastapi_routing
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.telemetry import get_telemetry_data
from starlette.exceptions import HTTPException
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from starlette.requests import Request
from starlette.responses import Response

Handler = Callable[[Request], Awaitable[Response]]
# How FastAPI hands an included route its effective settings (prefix, include-level dependencies) while it builds
# the route's handler. Private to FastAPI: without it, every route keeps FastAPI's handler.
_EFFECTIVE = getattr(fastapi_routing, "_effective_route_context_var", None)


class LeanRoute(APIRoute):
    """An APIRoute whose simple requests skip FastAPI's general handler (see the module's docstring)."""

    lean: bool = False  # whether the last handler built for this route is the direct one (tests read it)

    def get_route_handler(self) -> Handler:
        stock: Handler = super().get_route_handler()
        if _EFFECTIVE is None:
            return stock
        context = _EFFECTIVE.get()
        route = context if context is not None and context.original_route is self else self
        direct = _direct_handler(route, stock)
        self.lean = direct is not None
        return direct or stock


def _direct_handler(route: Any, stock: Handler) -> Handler | None:
    dependant: Dependant = route.dependant
    body_field = route.body_field
    if not (_returns_response(dependant.call) and _simple(dependant, endpoint=True)):
        return None
    if body_field is not None and (getattr(route, "_embed_body_fields", True) or len(dependant.body_params) != 1
                                   or isinstance(body_field.field_info, params.Form)):
        return None
    body_name = dependant.body_params[0].name if body_field is not None else None
    overrides = route.dependency_overrides_provider
    endpoint = dependant.call
    assert endpoint is not None

    async def handler(request: Request) -> Response:
        if (getattr(overrides, "dependency_overrides", None) or get_telemetry_data() is not None
                or MAX_BODY_SIZE_SCOPE_KEY in request.scope):
            return await stock(request)
        values: dict[str, Any] = {}
        if body_field is not None:
            try:
                raw = await request.body()
            except HTTPException:
                raise
            except Exception as exc:  # as FastAPI's handler answers a body it could not read
                raise HTTPException(status_code=400, detail="There was an error parsing the body") from exc
            if not raw or request.headers.get("content-type") != "application/json":
                return await stock(request)
            try:
                body, errors = body_field.validate(json.loads(raw), {}, loc=("body",))
            except Exception:  # JSON that does not parse (or nests too deep): FastAPI's answer
                return await stock(request)
            if errors:
                return await stock(request)
            values[body_name] = body  # type: ignore[index]
        values.update(await _solve(request, dependant, {}))
        response = await endpoint(**values)
        if not isinstance(response, Response):
            raise TypeError(f"{endpoint.__qualname__} is annotated to return a Response and returned "
                            f"{type(response).__name__}")
        return response

    return handler


def _returns_response(call: Callable[..., Any] | None) -> bool:
    try:
        returns = typing.get_type_hints(call).get("return")
    except Exception:  # an annotation that does not resolve: leave the route to FastAPI
        return False
    return isinstance(returns, type) and issubclass(returns, Response)


def _simple(dependant: Dependant, *, endpoint: bool) -> bool:
    d = dependant
    if (d.path_params or d.query_params or d.header_params or d.cookie_params or d.websocket_param_name
            or d.http_connection_param_name or d.response_param_name or d.background_tasks_param_name
            or d.security_scopes_param_name or d.own_oauth_scopes or d.parent_oauth_scopes
            or d.concurrency is not None or (d.body_params and not endpoint)):
        return False
    if not inspect.iscoroutinefunction(d.call):  # also refuses async generators (dependencies with yield)
        return False
    return all(_simple(sub, endpoint=False) for sub in d.dependencies)


async def _solve(request: Request, dependant: Dependant, solved: dict[Any, Any]) -> dict[str, Any]:
    """The arguments of `dependant.call`, its dependencies called first (each callable once per request)."""
    values: dict[str, Any] = {}
    for sub in dependant.dependencies:
        assert sub.call is not None
        if sub.use_cache and sub.call in solved:
            value = solved[sub.call]
        else:
            value = await sub.call(**await _solve(request, sub, solved))
            solved.setdefault(sub.call, value)
        if sub.name is not None:  # a route's `dependencies=[...]` run for their effect only
            values[sub.name] = value
    if dependant.request_param_name:
        values[dependant.request_param_name] = request
    return values
