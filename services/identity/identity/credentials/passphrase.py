"""Passphrase rules for signing credentials (DJP, tax-rules §3.10): at least 8 characters with an upper-case
letter, a lower-case letter, a digit and a special character; `/` and `'` are forbidden.

`%` and `+` are accepted and work (Coretax users reported trouble with them); control characters are refused.
The passphrase itself never appears in an error, a log line or a stored row.
"""

from __future__ import annotations

import unicodedata

from identity.credentials.errors import PassphraseRejected

MIN_LENGTH = 8
MAX_LENGTH = 128
FORBIDDEN = frozenset("/'")


def normalise(passphrase: str) -> str:
    """NFC, so the same passphrase typed on different keyboards derives the same key."""
    return unicodedata.normalize("NFC", passphrase)


def broken_rules(passphrase: str) -> list[str]:
    p = normalise(passphrase)
    rules = []
    if len(p) < MIN_LENGTH:
        rules.append("min_length")
    if len(p) > MAX_LENGTH:
        rules.append("max_length")
    if not any(c.isupper() for c in p):
        rules.append("uppercase")
    if not any(c.islower() for c in p):
        rules.append("lowercase")
    if not any(c.isdigit() for c in p):
        rules.append("digit")
    if not any(_is_special(c) for c in p):
        rules.append("special")
    if any(c in FORBIDDEN or unicodedata.category(c).startswith("C") for c in p):
        rules.append("forbidden_character")
    return rules


def check_passphrase(passphrase: str) -> str:
    """The normalised passphrase, or `PassphraseRejected` listing every broken rule."""
    rules = broken_rules(passphrase)
    if rules:
        raise PassphraseRejected("the passphrase breaks: " + ", ".join(rules), rules=rules)
    return normalise(passphrase)


def _is_special(c: str) -> bool:
    return not c.isalnum() and not c.isspace() and c not in FORBIDDEN and not unicodedata.category(c).startswith("C")
