"""NTPN (Nomor Transaksi Penerimaan Negara, tax-rules §4.2): 16 alphanumeric characters, one per payment, printed on
the BPN receipt. Ours are drawn from the CSPRNG over A-Z and 0-9 (about 82 bits); uniqueness is the database's job
(a unique index; on a conflict draw again). Validation accepts lower case and answers upper case, as banks and people
type them either way.
"""

from __future__ import annotations

import secrets
import string

from payment.confirmations.errors import NTPNInvalid

LENGTH = 16
ALPHABET = string.ascii_uppercase + string.digits
_ALLOWED = frozenset(ALPHABET)
_SPACE = len(ALPHABET) ** LENGTH


def new_ntpn() -> str:
    """One CSPRNG draw below 36**16, written in base 36 over ALPHABET: uniform, as 16 draws of a character are."""
    n = secrets.randbelow(_SPACE)
    chars = []
    for _ in range(LENGTH):
        n, digit = divmod(n, 36)
        chars.append(ALPHABET[digit])
    return "".join(chars)


def ntpn_problem(ntpn: str) -> str | None:
    """'length' or 'characters'; None for a valid (upper-case) NTPN."""
    if len(ntpn) != LENGTH:
        return "length"
    if not set(ntpn) <= _ALLOWED:
        return "characters"
    return None


def validate_ntpn(ntpn: str) -> str:
    """The NTPN upper-cased with surrounding blanks removed, or `NTPNInvalid` with the reason."""
    cleaned = ntpn.strip()
    # Upper-case only ASCII: 'ß'.upper() is 'SS', which would turn a wrong length into a valid-looking NTPN.
    cleaned = cleaned.upper() if cleaned.isascii() else cleaned
    reason = ntpn_problem(cleaned)
    if reason:
        raise NTPNInvalid(f"not an NTPN ({reason})", reason=reason)
    return cleaned
