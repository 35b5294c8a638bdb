"""Who is calling, and the dependencies the slices' endpoints share. identity verifies its own tokens with the same
kit code every other service uses."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from identity.passwords import Passwords
from identity.registration.registries import Registries
from identity.settings import IdentitySettings
from identity.tokens import TokenIssuer
from kit import clientip
from kit.access import service_caller
from kit.auth import CurrentPrincipal, MissingScope, Principal, authenticate
from kit.dependencies import Uow, runtime, settings_of


async def optional_principal(request: Request) -> Principal | None:
    """The caller's principal if the request carries a token (a company is registered by its logged-in PIC)."""
    if not request.headers.get("authorization"):
        return None
    return await authenticate(request)


def internal_service(scope: str):  # type: ignore[no-untyped-def]
    """A token from the client-credentials grant of an internal service client, with `scope` (kit.access)."""
    return service_caller(scope)


def officer(scope: str = "identity:officer"):  # type: ignore[no-untyped-def]
    """An officer console's token: client credentials of a client registered with `identity:officer`
    (bootstrap the first with `python -m identity.clients create --kind officer ...`)."""

    async def dependency(principal: CurrentPrincipal) -> Principal:
        if principal.claims.get("client_kind") != "officer" or principal.actor is not None:
            raise MissingScope("only an officer console's token may call this endpoint")
        principal.require(scope)
        return principal

    return Depends(dependency)


UoW = Uow
ClientIP = clientip.ClientIP  # the TCP peer, or what a configured proxy (`http.trusted_proxies`) says it saw
Settings = Annotated[IdentitySettings, settings_of(IdentitySettings)]
Issuer = Annotated[TokenIssuer, runtime(TokenIssuer)]
PasswordsDep = Annotated[Passwords, runtime(Passwords)]
RegistriesDep = Annotated[Registries, runtime(Registries)]
MaybePrincipal = Annotated[Principal | None, Depends(optional_principal)]
Officer = Annotated[Principal, officer()]
NPWP = Annotated[str, Path(pattern=r"^[0-9]{16}$")]
