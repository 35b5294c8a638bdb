"""DJP code lists, copied into `invoice/data/` (never read from outside the package at runtime)."""

from __future__ import annotations

import csv
from functools import lru_cache
from importlib import resources


def _rows(name: str) -> list[list[str]]:
    with resources.files("invoice.data").joinpath(name).open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


TRX_CODES = frozenset(f"{i:02d}" for i in range(1, 11))
BUYER_DOCUMENTS = frozenset({"TIN", "National ID", "Passport", "Other ID"})
OPTS = frozenset({"A", "B"})


@lru_cache
def units() -> frozenset[str]:
    """UM.0001..UM.0039 (v1.6.1 REF-General, including the 'Update' rows 0034..0039)."""
    return frozenset(r[0] for r in _rows("ref_general.csv") if r and r[0].startswith("UM."))


@lru_cache
def countries() -> frozenset[str]:
    return frozenset(r[0] for r in _rows("country_codes.csv")[2:] if r and r[0])


@lru_cache
def goods_services_codes() -> frozenset[str]:
    return frozenset(r[1] for r in _rows("goods_services_codes.csv")[1:] if len(r) > 1 and r[1].isdigit()) | {"000000"}


def _facility(name: str) -> dict[str, frozenset[str]]:
    """{'07': codes, '08': codes} from the v1.6.1 sheet: column 2 labels the code for 07, column 3 for 08."""
    by_trx: dict[str, set[str]] = {"07": set(), "08": set()}
    for r in _rows(name):
        if r and r[0].startswith("TD."):
            if len(r) > 1 and r[1].strip():
                by_trx["07"].add(r[0])
            if len(r) > 2 and r[2].strip():
                by_trx["08"].add(r[0])
    return {k: frozenset(v) for k, v in by_trx.items()}


@lru_cache
def add_info_codes() -> dict[str, frozenset[str]]:
    return _facility("ref_ket_tambahan.csv")


@lru_cache
def facility_stamp_codes() -> dict[str, frozenset[str]]:
    return _facility("ref_cap_fasilitas.csv")
