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
from payment.errors import LandOfficeRequired, OfficerRequired

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


# PPh PHTB validation (issue 14 item 7). A notary (PPAT) is a machine client of kind `ppat` with `payment:phtb`: it
# requests validations for sellers and reads the ones it requested. A land office (BPN) is a machine client of kind
# `land_office` with `payment:land_office`: it reads validations by NOP and NTPN and receives them by webhook.
PHTB = "payment:phtb"
PPAT_CLIENT_KIND = "ppat"
LAND_OFFICE = "payment:land_office"
LAND_OFFICE_CLIENT_KIND = "land_office"


def client_id(principal: Principal) -> str:
    return str(principal.claims.get("client_id") or principal.subject)


def is_ppat(principal: Principal) -> bool:
    return principal.claims.get("client_kind") == PPAT_CLIENT_KIND and principal.actor is None


def land_office_client() -> Any:
    """`Depends`: a land office's token (kind `land_office`, scope `payment:land_office`), refused (403) otherwise."""

    async def dependency(principal: CurrentPrincipal) -> Principal:
        if principal.claims.get("client_kind") != LAND_OFFICE_CLIENT_KIND or principal.actor is not None:
            raise LandOfficeRequired("a token of a land office's client (kind land_office) is required")
        principal.require(LAND_OFFICE)
        return principal

    return Depends(dependency)


LandOfficeClient = Annotated[Principal, land_office_client()]
