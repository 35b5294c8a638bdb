"""Who may do what with invoices: the scopes each kind of action needs, and which invoices a token sees. The taxpayer a
request acts for comes from `kit.auth.acting_taxpayer`."""

from __future__ import annotations

from typing import Any

from kit.auth import MissingScope, Principal

READ_SCOPES = ("invoice:read", "invoice:draft", "invoice:sign")
DRAFT_SCOPES = ("invoice:draft", "invoice:sign")  # a signer may draft
SIGN_SCOPES = ("invoice:sign",)
INPUT_TAX_SCOPES = ("invoice:sign", "invoice:draft")


def authorize(principal: Principal, npwp: str, scopes: tuple[str, ...]) -> None:
    """Any of `scopes`, for this taxpayer (a person through their role, or a PJAP through its delegation: both arrive
    as a token whose `tid` holds the NPWP)."""
    if not any(s in principal.scopes for s in scopes):
        raise MissingScope(f"needs one of: {', '.join(scopes)}")
    principal.ensure_taxpayer_access(npwp)


def authorize_read(principal: Principal) -> None:
    """A read of one invoice: the scope here; whether the invoice is the caller's is `visible`."""
    if not any(s in principal.scopes for s in READ_SCOPES):
        raise MissingScope("needs invoice:read")


def visible(principal: Principal, row: dict[str, Any]) -> bool:
    """The seller's people see their invoices; the buyer's see them once signed."""
    if row["seller_npwp"] in principal.taxpayer_ids:
        return True
    return row["status"] != "draft" and row["buyer_tin"] in principal.taxpayer_ids
