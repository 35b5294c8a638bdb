"""Officer access (as payment's `auth.py`): a client-credentials token of an officer console or an internal service
(client kind `officer` or `internal`, acting for no one) with the scope `filing:officer`. Used by the sanction run
the SKB decision and the audits. `OfficerClient` checks it before the body is read, as every `/internal` route
does."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends

from filing.sanctions.errors import OfficerRequired
from kit.auth import CurrentPrincipal, Principal

OFFICER = "filing:officer"
OFFICER_CLIENT_KINDS = frozenset({"officer", "internal"})


def require_officer(principal: Principal) -> str:
    """The officer's account (the client, or the person the console names in `officer_account_id`)."""
    if principal.claims.get("client_kind") not in OFFICER_CLIENT_KINDS or principal.actor is not None:
        raise OfficerRequired("a token of an officer's or internal service's client is required")
    principal.require(OFFICER)
    return str(principal.claims.get("officer_account_id") or principal.claims.get("client_id") or principal.subject)


def officer_client() -> Any:
    """`Depends`: an officer's token, refused (403 `auth.officer_required`) for anyone else before anything else."""

    async def dependency(principal: CurrentPrincipal) -> Principal:
        require_officer(principal)
        return principal

    return Depends(dependency)


OfficerClient = Annotated[Principal, officer_client()]
