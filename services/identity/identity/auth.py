"""Who is calling: identity verifies its own tokens with the same kit code every other service uses."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from identity.tokens import TokenIssuer
from kit.auth import CurrentPrincipal, MissingScope, Principal
from kit.dependencies import Uow, runtime


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


Issuer = Annotated[TokenIssuer, runtime(TokenIssuer)]
UoW = Uow
ClientIP = Annotated[str, Depends(client_ip)]


def internal_service(scope: str):  # type: ignore[no-untyped-def]
    """A token from the client-credentials grant of an internal service client, with `scope`."""

    async def dependency(principal: CurrentPrincipal) -> Principal:
        if principal.claims.get("client_kind") != "internal":
            raise MissingScope("only internal services may call this endpoint")
        principal.require(scope)
        return principal

    return Depends(dependency)


def officer(scope: str = "identity:officer"):  # type: ignore[no-untyped-def]
    """An officer console's token: client credentials of a client registered with `identity:officer`
    (bootstrap the first with `python -m identity.clients create --kind officer ...`)."""

    async def dependency(principal: CurrentPrincipal) -> Principal:
        principal.require(scope)
        return principal

    return Depends(dependency)
