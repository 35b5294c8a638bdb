"""Billing codes (kode billing, tax-rules §4.1): 15 digits; the first names the issuing system (0-3 DJP, 4-6 customs,
7-9 non-tax revenue), the other 14 are random.

The 14 digits come from the operating system's CSPRNG (`secrets`), so a code cannot be guessed from another one
(about 46 bits: a code is a bearer reference to a payable amount). Randomness does not make a code unique:
never reusing one is the database's job (a unique index over every code ever issued, expired ones kept; on a
conflict draw again).
"""

from __future__ import annotations

import secrets

from payment.billing.errors import BillingCodeInvalid

LENGTH = 15
DJP_FIRST_DIGITS = frozenset("0123")
_RANDOM_DIGITS = LENGTH - 1


def new_billing_code(first_digit: str = "0") -> str:
    """A fresh DJP billing code. Which of 0-3 DJP uses for what is not public: the caller picks, 0 by default."""
    if first_digit not in DJP_FIRST_DIGITS:
        raise ValueError(f"a DJP billing code starts with 0-3, not {first_digit!r}")
    return first_digit + f"{secrets.randbelow(10**_RANDOM_DIGITS):0{_RANDOM_DIGITS}d}"


def billing_code_problem(code: str) -> str | None:
    """'length', 'digits' (anything but ASCII digits) or 'issuer' (not a DJP code); None for a valid code."""
    if len(code) != LENGTH:
        return "length"
    if not (code.isascii() and code.isdigit()):
        return "digits"
    if code[0] not in DJP_FIRST_DIGITS:
        return "issuer"
    return None


def validate_billing_code(code: str) -> str:
    """The code with surrounding blanks removed, or `BillingCodeInvalid` with the reason."""
    cleaned = code.strip()
    reason = billing_code_problem(cleaned)
    if reason:
        raise BillingCodeInvalid(f"not a DJP billing code ({reason})", reason=reason)
    return cleaned
