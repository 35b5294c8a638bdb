"""Who publishes reference data: an officer console's client-credentials token (client kind `officer`, acting for
no one) with the scope `filing:reference`. Not an internal service's token, and not `filing:officer` alone: the days
off and the rates move every due date and every interest charge, so publishing them is a right of its own. Checked
before the body is read."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from filing.sanctions.errors import OfficerRequired
from kit.auth import CurrentPrincipal, Principal

REFERENCE = "filing:reference"


def require_reference_officer(principal: Principal) -> str:
    """The officer's account (the person the console names in `officer_account_id`, else the client)."""
    if principal.claims.get("client_kind") != "officer" or principal.actor is not None:
        raise OfficerRequired("an officer console's token is required to publish reference data")
    principal.require(REFERENCE)
    return str(principal.claims.get("officer_account_id") or principal.claims.get("client_id") or principal.subject)


async def _reference_officer(principal: CurrentPrincipal) -> Principal:
    require_reference_officer(principal)
    return principal


ReferenceOfficer = Annotated[Principal, Depends(_reference_officer)]
