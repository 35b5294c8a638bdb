"""KSWP rules (tax-rules.md §7.1), pure: which returns the check looks at, how a name matches, the result, and the
snapshot's canonical form and digest.

- Valid only when (1) the NPWP is known and active and the name matches the registry, and (2) the SPT Tahunan of the
  last 2 tax years is filed; the customs (CEISA) variant also needs (3) the SPT Masa PPN of the last 3 periods.
- "The last 2 tax years" / "the last 3 periods" are read as the most recent ones whose deadline (effective, moved by
  an annual extension) has passed on the day of the check: a return not yet due cannot be missing. A period the
  taxpayer did not owe (before registration, or a month it was not a PKP) counts as satisfied and says so.
- A return counts when its Normal is filed (late or not: late filing is sanctioned by an STP, not by KSWP).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

ANNUAL_YEARS = 2
CUSTOMS_MASA_PERIODS = 3
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_NOT_WORD = re.compile(r"[^0-9a-z]+")

# the failed checks, as KSWPIssued.reasons
NPWP_NOT_FOUND = "npwp_not_found"
NPWP_INACTIVE = "npwp_inactive"
NAME_MISMATCH = "name_mismatch"
SPT_TAHUNAN_NOT_FILED = "spt_tahunan_not_filed"
SPT_MASA_PPN_NOT_FILED = "spt_masa_ppn_not_filed"


def normalise_name(name: str) -> str:
    """Case, accents, punctuation and spacing do not count: "PT. Contoh  Lontar" matches "pt contoh lontar"."""
    folded = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)).casefold()
    return " ".join(_NOT_WORD.sub(" ", folded).split())


def names_match(requested: str, on_record: str) -> bool:
    return normalise_name(requested) == normalise_name(on_record) != ""


@dataclass(frozen=True)
class ReturnCheck:
    form: str
    period: str
    due_date: str  # ISO date
    owed: bool
    filed: bool

    @property
    def satisfied(self) -> bool:
        return self.filed or not self.owed


def result(*, known: bool, status: str | None, name_matches: bool, annual: Sequence[ReturnCheck],
           masa: Sequence[ReturnCheck] | None) -> tuple[list[dict[str, Any]], list[str]]:
    """The checks (in the order the letter prints them) and the codes of those that failed."""
    if not known:
        return [{"code": "npwp_active", "passed": False, "detail": NPWP_NOT_FOUND}], [NPWP_NOT_FOUND]
    checks: list[dict[str, Any]] = [
        {"code": "npwp_active", "passed": status == "active", "detail": status},
        {"code": "name_matches", "passed": name_matches},
        {"code": "spt_tahunan_filed", "passed": all(r.satisfied for r in annual),
         "returns": [_return(r) for r in annual]},
    ]
    if masa is not None:
        checks.append({"code": "spt_masa_ppn_filed", "passed": all(r.satisfied for r in masa),
                       "returns": [_return(r) for r in masa]})
    failed = {"npwp_active": NPWP_INACTIVE, "name_matches": NAME_MISMATCH, "spt_tahunan_filed": SPT_TAHUNAN_NOT_FILED,
              "spt_masa_ppn_filed": SPT_MASA_PPN_NOT_FILED}
    return checks, [failed[c["code"]] for c in checks if not c["passed"]]


def _return(r: ReturnCheck) -> dict[str, Any]:
    return {"form": r.form, "period": r.period, "due_date": r.due_date, "owed": r.owed, "filed": r.filed}


def canonical(snapshot: Mapping[str, Any]) -> str:
    """The stored text of a snapshot: sorted keys, no spaces, UTF-8 characters as they are."""
    return json.dumps(snapshot, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def verification_code() -> str:
    """20 Crockford base32 characters (100 random bits): the public verification takes the code alone, so it is not
    enumerable."""
    return "".join(secrets.choice(_CROCKFORD) for _ in range(20))


def letter_number(year: int, serial: int) -> str:
    return f"KSWP-{year}-{serial:09d}"


def mask_npwp(npwp: str) -> str:
    return "*" * (len(npwp) - 4) + npwp[-4:]
