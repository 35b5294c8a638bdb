"""How long a billing code stays payable, as data keyed by the moment it was created (tax-rules §4.1): 7 days under
PER-10/PJ/2024, 14 days for codes created from 17 Dec 2025 00:00 WIB (PENG-4/PJ/2025). The rules live in
`data/billing_validity.json`; a change of policy is a new row, so old codes keep the validity they were issued with.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from importlib.resources import files


@dataclass(frozen=True)
class ValidityRule:
    created_from: datetime
    validity: timedelta
    source: str


@cache
def validity_rules() -> tuple[ValidityRule, ...]:
    """The packaged rules, oldest first."""
    raw = json.loads((files("payment.billing") / "data" / "billing_validity.json").read_text(encoding="utf-8"))
    return parse_validity_rules(raw["rules"])


def parse_validity_rules(rows: list[dict[str, object]]) -> tuple[ValidityRule, ...]:
    rules = []
    for row in rows:
        created_from = datetime.fromisoformat(str(row["created_from"]))
        _require_aware(created_from, "created_from")
        hours = row["hours"]
        if not isinstance(hours, int) or isinstance(hours, bool) or hours <= 0:
            raise ValueError(f"validity hours must be a positive integer, not {hours!r}")
        rules.append(ValidityRule(created_from, timedelta(hours=hours), str(row.get("source", ""))))
    return tuple(sorted(rules, key=lambda r: r.created_from))


def validity_for(created_at: datetime, rules: tuple[ValidityRule, ...] | None = None) -> timedelta:
    """The validity of a code created at `created_at` (timezone-aware): the latest rule in force at that moment."""
    _require_aware(created_at, "created_at")
    in_force = [r for r in (rules or validity_rules()) if r.created_from <= created_at]
    if not in_force:
        raise ValueError(f"no billing validity rule covers a code created at {created_at.isoformat()}")
    return in_force[-1].validity


def expires_at(created_at: datetime, rules: tuple[ValidityRule, ...] | None = None) -> datetime:
    """The moment the code stops being payable (in `created_at`'s timezone)."""
    return created_at + validity_for(created_at, rules)


def is_expired(created_at: datetime, now: datetime, rules: tuple[ValidityRule, ...] | None = None) -> bool:
    """True from `expires_at` on: a payment at that very instant is refused."""
    _require_aware(now, "now")
    return now >= expires_at(created_at, rules)


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


def status_at(status: str, expires_at: datetime, now: datetime) -> str:
    """The status a reader sees: an active code past `expires_at` is expired even before the worker has marked it."""
    _require_aware(now, "now")
    return "expired" if status == "active" and now >= expires_at else status
