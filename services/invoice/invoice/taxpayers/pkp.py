"""A seller's PKP status on a date, from the changes identity announced (pure)."""

from __future__ import annotations

from datetime import date


class PKPStatus:
    """The seller's PKP status on any date, from the replica (None: the seller is not in the registry)."""

    def __init__(self, known: bool, changes: list[tuple[date, bool]]) -> None:
        self.known, self.changes = known, changes

    def __call__(self, on: date) -> bool | None:
        status: bool | None = False if self.known else None
        for effective, is_pkp in self.changes:
            if effective <= on:
                status = is_pkp
        return status
