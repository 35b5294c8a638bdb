"""Who calls payment. Taxpayers (and those acting for them) carry their NPWPs in the token's `tid` and the scopes
`payment:read` / `payment:write` from identity's roles; the service checks both. Collecting banks are machine clients
(client-credentials tokens of client kind `bank` with the scope `payment:bank`); the client id is the bank's id in
payments and in the ledger. Officer tools (the legacy debt import) take a client-credentials token of an officer
console or an internal service (client kind `officer` or `internal`) with the scope `payment:officer`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends

from kit.auth import CurrentPrincipal, Principal
from payment.confirmations.errors import BankClientRequired
from payment.errors import OfficerRequired

READ = "payment:read"
WRITE = "payment:write"
BANK = "payment:bank"
BANK_CLIENT_KIND = "bank"
OFFICER = "payment:officer"
OFFICER_CLIENT_KINDS = frozenset({"officer", "internal"})


def bank_id(principal: Principal) -> str:
    return str(principal.claims.get("client_id") or principal.subject)


def bank_client() -> Any:
    """`Depends`: a collecting bank's token, refused (403) for anyone else."""

    async def dependency(principal: CurrentPrincipal) -> Principal:
        if principal.claims.get("client_kind") != BANK_CLIENT_KIND or principal.actor is not None:
            raise BankClientRequired("a token of a collecting bank's client (kind bank) is required")
        principal.require(BANK)
        return principal

    return Depends(dependency)


BankClient = Annotated[Principal, bank_client()]


def officer_client() -> Any:
    """`Depends`: an officer console's or an internal service's token with `payment:officer`, refused (403) for
    anyone else (a taxpayer, a bank, a PJAP, a token acting for someone)."""

    async def dependency(principal: CurrentPrincipal) -> Principal:
        if principal.claims.get("client_kind") not in OFFICER_CLIENT_KINDS or principal.actor is not None:
            raise OfficerRequired("a token of an officer's or internal service's client is required")
        principal.require(OFFICER)
        return principal

    return Depends(dependency)


OfficerClient = Annotated[Principal, officer_client()]
