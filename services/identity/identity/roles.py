"""What each representative role may do, as token scopes. Roles are data; the scopes are what services check."""

from __future__ import annotations

ROLES = ("pic", "drafter", "signer", "payroll_viewer")

# Scopes a person gets for their own individual taxpayer, and a PIC for the company.
FULL = ("taxpayer:read", "taxpayer:write", "invoice:read", "invoice:draft", "invoice:sign", "filing:read",
        "filing:draft", "filing:submit", "payment:read", "payment:write", "payroll:read", "roles:manage")

ROLE_SCOPES: dict[str, tuple[str, ...]] = {
    "pic": FULL,
    "drafter": ("taxpayer:read", "invoice:read", "invoice:draft", "filing:read", "filing:draft", "payment:read"),
    "signer": ("taxpayer:read", "invoice:read", "invoice:sign", "filing:read", "filing:submit", "payment:read"),
    # Payroll-sensitive data (employee income, bupot PPh 21) only for those the company chose (seed item 19).
    "payroll_viewer": ("taxpayer:read", "payroll:read"),
}

PERSON_SCOPES = ("profile",)


def scopes_for(roles: list[str]) -> list[str]:
    return sorted({scope for role in roles for scope in ROLE_SCOPES.get(role, ())})
