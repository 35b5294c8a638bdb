"""Names as registries compare them (pure): case, accents, punctuation and repeated spaces do not matter."""

from __future__ import annotations

import unicodedata


def same_name(a: str, b: str) -> bool:
    return name_key(a) == name_key(b)


def name_key(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return " ".join("".join(c if c.isalnum() else " " for c in plain.casefold()).split())
