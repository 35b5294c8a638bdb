"""The authorization matrix (issue 15 item 4): every route of every service's OpenAPI is called with every wrong
token, and no route answers without a token unless its service declares it public (`<service>/access.py`,
kit.access). Internal routes also answer their own caller (the declared scope, from an internal service's or an
officer console's client), so the declarations are the routes' real requirements.

The wrong tokens: none; expired; for another audience; from another issuer; signed by a stranger's key; another
taxpayer's (on every route that names a taxpayer); a PJAP's own token without a delegation; each service's own client
(with the scopes `make run` and the deploy README give it) on every route that is not its to call; a person holding
an internal route's scope. What they get:
- a token that is no token (the first five): 401 or 403 on every route that is not public;
- on internal routes, and on reads that name the taxpayer in the path: 401 or 403 (checked before the input);
- elsewhere the taxpayer's authority may be checked after the input is validated, and the walk's input is made up,
  so the answer may be a 404 or 422: it must be a 4xx, never a 2xx (nor a 5xx);
- routes declared `any_caller` (a client's own webhook key, a payee's SKBs) only take the first five.
Each service's API runs in-process (httpx.ASGITransport) on the session's database, one app per service for the
module; a refused request touches no table, so the walk takes seconds.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import SecretStr

import filing.main
import identity.main
import invoice.main
import notification.main
import payment.main
from devstack.clients import SERVICE_CLIENT_SCOPES
from devstack.testing.infra import Infra
from filing.access import ACCESS as FILING
from filing.settings import FilingSettings
from identity.access import ACCESS as IDENTITY
from identity.roles import FULL, PERSON_SCOPES
from identity.settings import IdentitySettings, OTPSettings, TokenSettings
from invoice.access import ACCESS as INVOICE
from invoice.settings import InvoiceSettings
from kit.access import REGISTRY_WRITE, RouteAccess, routes_of
from kit.auth import JWKSCache
from kit.sealing import generate_keypair
from kit.settings import BaseServiceSettings
from kit.testing.events import random_npwp
from kit.testing.service import api_client, service_settings
from kit.testing.tokens import TokenMaker
from notification.access import ACCESS as NOTIFICATION
from notification.settings import NotificationSettings
from payment.access import ACCESS as PAYMENT
from payment.settings import PaymentSettings

MAKER = TokenMaker()  # identity's signing key here: every service trusts it
STRANGER = TokenMaker()  # a key nobody trusts
TAXPAYER_SCOPES = sorted({*FULL, *PERSON_SCOPES, "payment:read", "payment:write", "filing:read", "filing:submit"})
REFUSED = (401, 403)
TOKEN_FAULTS = {"none", "expired", "wrong audience", "wrong issuer", "untrusted key"}


@dataclass(frozen=True)
class Service:
    name: str
    access: RouteAccess
    app: Callable[[Infra], Any]


def _settings(infra: Infra, cls: type[BaseServiceSettings], package: str) -> Any:
    return service_settings(infra, cls, package)


def _identity(infra: Infra) -> Any:
    base = _settings(infra, IdentitySettings, "identity")
    login = base.login.model_copy(update={"argon2_memory_kib": 1024, "argon2_time_cost": 1})
    return identity.main.create_app(base.model_copy(update={
        "login": login, "otp": OTPSettings(notification_public_key=generate_keypair()[1]),
        "tokens": TokenSettings(signing_key=SecretStr(MAKER.private_pem()))}))


def _with_jwks(create: Callable[..., Any], cls: type[BaseServiceSettings], package: str) -> Callable[[Infra], Any]:
    def make(infra: Infra) -> Any:
        settings = _settings(infra, cls, package)
        return create(settings, jwks=JWKSCache(settings.auth, keys=MAKER.jwks()))

    return make


SERVICES = [
    Service("identity", IDENTITY, _identity),
    Service("invoice", INVOICE, _with_jwks(invoice.main.create_app, InvoiceSettings, "invoice")),
    Service("filing", FILING, _with_jwks(filing.main.create_app, FilingSettings, "filing")),
    Service("payment", PAYMENT, _with_jwks(payment.main.create_app, PaymentSettings, "payment")),
    Service("notification", NOTIFICATION,
            _with_jwks(notification.main.create_app, NotificationSettings, "notification")),
]
# Each service's own client and what it may do elsewhere; a service that calls nobody has a client with no scope.
CLIENTS = {s.name: SERVICE_CLIENT_SCOPES.get(s.name, []) for s in SERVICES}


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def wrong_tokens(target: str) -> dict[str, dict[str, str]]:
    """What a caller without the right to a route may hold. `target`: the taxpayer the request names."""
    other = random_npwp()
    person = {"subject": str(uuid.uuid4()), "scopes": TAXPAYER_SCOPES, "taxpayer_ids": [other]}
    past = int(time.time()) - 3600
    return {
        "none": {},
        "expired": bearer(MAKER.make(**person, iat=past - 300, exp=past)),
        "wrong audience": bearer(MAKER.make(**person, aud="another-system")),
        "wrong issuer": bearer(MAKER.make(**person, iss="https://issuer.example")),
        "untrusted key": bearer(STRANGER.make(**{**person, "taxpayer_ids": [target]})),
        "another taxpayer's": bearer(MAKER.make(**person)),
        "PJAP without delegation": bearer(MAKER.make(
            subject="pjap-0a1b2c3d4e5f", scopes=TAXPAYER_SCOPES, client_kind="pjap", client_id="pjap-0a1b2c3d4e5f",
            rpm=1_000_000)),
    }


def request_for(openapi: dict[str, Any], route: str, npwp: str) -> dict[str, Any]:
    method, path = route.split(" ", 1)
    op = openapi["paths"][path][method.lower()]
    params = {p["name"]: p for p in op.get("parameters", [])}

    def value(name: str) -> str:
        if name == "npwp":
            return npwp
        schema = params.get(name, {}).get("schema", {})
        return str(uuid.uuid4()) if schema.get("format") == "uuid" else "1"

    url = re.sub(r"\{(\w+)\}", lambda m: value(m.group(1)), path)
    query = {n: value(n) for n, p in params.items() if p["in"] == "query" and (p.get("required") or n == "npwp")}
    request: dict[str, Any] = {"method": method, "url": url, "params": query}
    content = (op.get("requestBody") or {}).get("content", {})
    if "application/json" in content:
        request["json"] = {}
    elif content:
        request["content"], request["headers"] = b"", {"content-type": next(iter(content))}
    return request


def names_a_taxpayer(openapi: dict[str, Any], route: str) -> bool:
    method, path = route.split(" ", 1)
    return any(p["name"] == "npwp" for p in openapi["paths"][path][method.lower()].get("parameters", []))


@pytest.fixture(scope="module")
def apps(infra: Infra) -> dict[str, Any]:
    """One app per service for the module (each test runs its lifespan in its own event loop)."""
    return {service.name: service.app(infra) for service in SERVICES}


@pytest.mark.parametrize("service", SERVICES, ids=[s.name for s in SERVICES])
def test_routes_are_declared_in_three_groups(apps: dict[str, Any], service: Service) -> None:
    """Every /internal route (and only those) is internal, no route is in two groups, nothing declared is stale."""
    openapi = apps[service.name].openapi()
    assert service.access.problems(openapi) == [], f"fix {service.name}/access.py"


@pytest.mark.parametrize("service", SERVICES, ids=[s.name for s in SERVICES])
async def test_no_route_answers_without_the_right_token(apps: dict[str, Any], service: Service) -> None:
    app = apps[service.name]
    openapi = app.openapi()
    access = service.access
    target = random_npwp()
    wrong: list[str] = []
    async with api_client(app) as http:
        if service.name == "identity":  # the taxpayer the requests name exists: a refusal is not a 404
            created = await http.post("/internal/v1/taxpayers", json={"npwp": target, "name": "PT Sasaran"},
                                      headers=MAKER.service_headers(REGISTRY_WRITE))
            assert created.status_code == 201, created.text

        async def call(route: str, who: str, headers: dict[str, str], expect: str) -> None:
            request = request_for(openapi, route, target)
            request["headers"] = {**request.get("headers", {}), **headers}
            status = (await http.request(**request)).status_code
            ok = {"refused": status in REFUSED, "answered": status not in REFUSED and status < 500,
                  "not served": 400 <= status < 500}[expect]
            if not ok:
                wrong.append(f"{route} with {who}: {status}, expected {expect}")

        for route in routes_of(openapi):
            group = access.group(route)
            if group == "public":
                continue
            required = access.internal.get(route)
            method, path = route.split(" ", 1)
            # Identity, scope and taxpayer checked before the input: refused, whatever the input. Elsewhere a check
            # of the taxpayer's authority may come after the input's validation, so with input made up for the walk
            # a request may be refused for its input first (404, 422): then it must still not be served.
            strict = required is not None or ("{npwp}" in path and method in ("GET", "DELETE"))
            authority = "refused" if strict else "not served"
            for who, headers in wrong_tokens(target).items():
                if who == "another taxpayer's" and group != "internal" and not names_a_taxpayer(openapi, route):
                    continue  # the token acts for its own taxpayer there, as it may
                if who not in TOKEN_FAULTS and route in access.any_caller:
                    continue  # any valid token may call it (declared, with the reason, in <service>/access.py)
                await call(route, who, headers, "refused" if who in TOKEN_FAULTS else authority)
            for client, scopes in CLIENTS.items():
                if route in access.any_caller:
                    break
                allowed = required is not None and required.caller != "officer" and required.scope in scopes
                await call(route, f"{client}'s service client", MAKER.service_headers(
                    *scopes, client_id=f"{client}-service"), "answered" if allowed else authority)
            if required is None:
                continue
            await call(route, "a person holding the scope", bearer(MAKER.make(
                subject=str(uuid.uuid4()), scopes=[*TAXPAYER_SCOPES, required.scope], taxpayer_ids=[target])),
                "refused")
            # the declared caller with the declared scope gets past authorization (a 404 or 422 for made-up input)
            if required.caller in ("service", "service or officer"):
                await call(route, "its service client", MAKER.service_headers(required.scope), "answered")
                everything_else = [s for c in CLIENTS.values() for s in c if s != required.scope]
                await call(route, "a service client without the scope", MAKER.service_headers(*everything_else),
                           "refused")
            if required.caller in ("officer", "service or officer"):
                officer = bearer(MAKER.make(subject="officer-console", scopes=[required.scope],
                                            client_kind="officer", client_id="officer-console"))
                await call(route, "an officer console", officer, "answered")
            if required.caller == "officer":
                await call(route, "a service client with the officer scope", MAKER.service_headers(required.scope),
                           "refused")
    assert wrong == [], "\n".join(wrong)
