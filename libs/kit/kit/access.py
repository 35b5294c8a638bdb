"""Who may call which route. Each service declares its routes once, in `<service>/access.py`, as three groups:

- `public`: answers without a token (registration, the token endpoint and JWKS, public verification, reference data,
  health). Nothing else may answer without one.
- `partner`: what a PJAP client may call for a taxpayer that delegated to it (its token's subject is the taxpayer,
  `act` names the client), besides the taxpayer's own people. A PJAP token is limited to its client's rate
  (`kit.ratelimit`).
- `internal`: `/internal/*`. The public ingress does not route them and the NetworkPolicies keep strangers out, but
  neither is trusted alone: each one takes a service token (the client-credentials token of an internal service's
  client, kind `internal`, one client per calling service) or an officer console's token, with the route's scope.

Every other route is a taxpayer route: a person's token acting for the taxpayer (their own, or one that granted them
a role through token exchange). `any_caller` marks the few routes of the partner and taxpayer groups that answer any
valid token whoever it acts for (a client's own webhook key; a payee's SKBs, which every withholder may check). `tests/test_authorization_matrix.py` walks every route of every service's OpenAPI
against these declarations.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from fastapi import Depends

from kit.auth import CurrentPrincipal, Principal
from kit.errors import Forbidden

SERVICE_CLIENT_KIND = "internal"  # identity's machine-client kind of Lontar's own services
INTERNAL_PREFIX = "/internal/"
REGISTRY_READ = "registry:read"  # GET /internal/v1/taxpayers/{npwp}: identity's records and each service's replica
REGISTRY_WRITE = "registry:write"  # POST /internal/v1/taxpayers: create a taxpayer record in identity


class ServiceTokenRequired(Forbidden):
    code, title = "auth.service_token_required", "Only an internal service's token may call this route"


def is_service(principal: Principal) -> bool:
    """The token is an internal service's own (client credentials), not one acting for anybody."""
    return principal.claims.get("client_kind") == SERVICE_CLIENT_KIND and principal.actor is None


def service_caller(*scopes: str) -> Any:
    """`Depends`: the caller is an internal service (its client-credentials token) holding every scope in `scopes`."""

    async def dependency(principal: CurrentPrincipal) -> Principal:
        if not is_service(principal):
            raise ServiceTokenRequired("send the calling service's client-credentials token")
        principal.require(*scopes)
        return principal

    return Depends(dependency)


Caller = Literal["service", "officer", "service or officer"]


@dataclass(frozen=True)
class Internal:
    """An internal route's requirement: who may call it and with which scope."""

    scope: str
    caller: Caller = "service"


@dataclass(frozen=True)
class RouteAccess:
    """A service's routes in three groups, by `"METHOD /path"` as the OpenAPI document names them."""

    public: frozenset[str] = frozenset()
    partner: frozenset[str] = frozenset()
    internal: Mapping[str, Internal] = field(default_factory=dict)
    any_caller: frozenset[str] = frozenset()

    @classmethod
    def of(cls, *, public: Iterable[str] = (), partner: Iterable[str] = (),
           internal: Mapping[str, Internal] | None = None, any_caller: Iterable[str] = ()) -> RouteAccess:
        return cls(frozenset(public), frozenset(partner), dict(internal or {}), frozenset(any_caller))

    def group(self, route: str) -> str:
        if route in self.public:
            return "public"
        if route in self.partner:
            return "partner"
        if route in self.internal:
            return "internal"
        return "taxpayer"

    def problems(self, openapi: dict[str, Any]) -> list[str]:
        """What the declaration gets wrong about the app: an `/internal` route not declared internal (or the other way
        round), a route in two groups, a declared route the app does not have."""
        routes = set(routes_of(openapi))
        out = []
        for route in sorted(routes):
            path = route.split(" ", 1)[1]
            if path.startswith(INTERNAL_PREFIX) != (route in self.internal):
                out.append(f"{route}: every /internal route, and only those, is declared internal")
        for a, b in (("public", "partner"), ("public", "internal"), ("partner", "internal")):
            for route in sorted(set(getattr(self, a)) & set(getattr(self, b))):
                out.append(f"{route}: declared both {a} and {b}")
        out += [f"{route}: any_caller is for token-taking routes, not public or internal ones"
                for route in sorted(self.any_caller & (set(self.public) | set(self.internal)))]
        declared = set(self.public) | set(self.partner) | set(self.internal) | set(self.any_caller)
        out += [f"{route}: declared but not a route of the app" for route in sorted(declared - routes)]
        return out


def routes_of(openapi: dict[str, Any]) -> list[str]:
    methods = {"get", "put", "post", "delete", "patch", "head", "options"}
    return [f"{method.upper()} {path}" for path, ops in openapi.get("paths", {}).items()
            for method in ops if method in methods]
