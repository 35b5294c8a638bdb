"""kit.access: the service-token dependency (an internal service's own token with the scope, nothing else) and the
route declarations' consistency check, table-driven."""

from __future__ import annotations

import pytest

from kit.access import Internal, RouteAccess, ServiceTokenRequired, is_service, routes_of, service_caller
from kit.auth import MissingScope, Principal


def principal(scopes: str = "", actor: dict[str, str] | None = None, **claims: object) -> Principal:
    return Principal(subject="s", scopes=frozenset(scopes.split()), actor=actor, claims=claims)


SERVICE = {"client_kind": "internal", "client_id": "invoice-service"}


@pytest.mark.parametrize(("who", "error"), [
    (principal("registry:read", **SERVICE), None),
    (principal("registry:read identity:sign", **SERVICE), None),
    (principal("identity:sign", **SERVICE), MissingScope),  # another service's client: not its route
    (principal("registry:read"), ServiceTokenRequired),  # a person holding the scope
    (principal("registry:read", client_kind="pjap", client_id="p"), ServiceTokenRequired),
    (principal("registry:read", client_kind="officer", client_id="o"), ServiceTokenRequired),
    (principal("registry:read", actor={"sub": "invoice-service"}, **SERVICE), ServiceTokenRequired),  # acting for
])
async def test_service_caller_takes_a_service_token_with_the_scope(who: Principal, error: type | None) -> None:
    check = service_caller("registry:read").dependency
    if error is None:
        assert await check(who) is who and is_service(who)
    else:
        with pytest.raises(error):
            await check(who)


OPENAPI = {"paths": {
    "/healthz": {"get": {}},
    "/v1/things": {"get": {}, "post": {}},
    "/internal/v1/things/{id}": {"get": {}, "parameters": []},
}}


@pytest.mark.parametrize(("access", "problems"), [
    (RouteAccess.of(public={"GET /healthz"}, partner={"POST /v1/things"},
                    internal={"GET /internal/v1/things/{id}": Internal("things:read")}), []),
    (RouteAccess.of(public={"GET /healthz"}), ["GET /internal/v1/things/{id}: every /internal route, and only those, "
                                               "is declared internal"]),
    (RouteAccess.of(internal={"GET /internal/v1/things/{id}": Internal("x"), "GET /v1/things": Internal("x")}),
     ["GET /v1/things: every /internal route, and only those, is declared internal"]),
    (RouteAccess.of(public={"GET /v1/things"}, partner={"GET /v1/things"},
                    internal={"GET /internal/v1/things/{id}": Internal("x")}),
     ["GET /v1/things: declared both public and partner"]),
    (RouteAccess.of(partner={"DELETE /v1/things"}, internal={"GET /internal/v1/things/{id}": Internal("x")}),
     ["DELETE /v1/things: declared but not a route of the app"]),
    (RouteAccess.of(public={"GET /healthz"}, any_caller={"GET /healthz"},
                    internal={"GET /internal/v1/things/{id}": Internal("x")}),
     ["GET /healthz: any_caller is for token-taking routes, not public or internal ones"]),
])
def test_declarations_are_checked_against_the_app(access: RouteAccess, problems: list[str]) -> None:
    assert access.problems(OPENAPI) == problems


def test_groups_and_routes() -> None:
    access = RouteAccess.of(public={"GET /healthz"}, partner={"POST /v1/things"},
                            internal={"GET /internal/v1/things/{id}": Internal("things:read")})
    assert routes_of(OPENAPI) == ["GET /healthz", "GET /v1/things", "POST /v1/things", "GET /internal/v1/things/{id}"]
    assert [access.group(r) for r in routes_of(OPENAPI)] == ["public", "taxpayer", "partner", "internal"]
