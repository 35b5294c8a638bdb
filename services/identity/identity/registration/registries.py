"""Adapters to the external registries identity checks against: the population registry (Dukcapil) and the
company registry (AHU), plus the ISO country list. Development and tests use seeded data sets shipped in
`identity/data/`; a production deployment puts an HTTP client behind the same interface."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Protocol


@dataclass(frozen=True)
class Resident:
    nik: str
    full_name: str
    birth_date: date
    birth_place: str
    gender: str
    address: str


@dataclass(frozen=True)
class Officer:
    full_name: str
    position: str
    nik: str | None = None
    passport_number: str | None = None
    passport_country: str | None = None


@dataclass(frozen=True)
class CompanyRecord:
    ahu_number: str
    name: str
    legal_form: str
    address: str
    officers: tuple[Officer, ...]


class PopulationRegistry(Protocol):
    async def resident(self, nik: str) -> Resident | None: ...


class CompanyRegistry(Protocol):
    async def company(self, ahu_number: str) -> CompanyRecord | None: ...


@dataclass
class Registries:
    """What the running service checks against (provided at start-up, `identity.main`)."""

    population: PopulationRegistry
    companies: CompanyRegistry


class SeededPopulationRegistry:
    def __init__(self, residents: dict[str, Resident]) -> None:
        self._residents = residents

    async def resident(self, nik: str) -> Resident | None:
        return self._residents.get(nik)


class SeededCompanyRegistry:
    def __init__(self, companies: dict[str, CompanyRecord]) -> None:
        self._companies = companies

    async def company(self, ahu_number: str) -> CompanyRecord | None:
        return self._companies.get(ahu_number)


@lru_cache
def seeded_population_registry() -> SeededPopulationRegistry:
    raw = json.loads(resources.files("identity.data").joinpath("population_registry.json").read_text())
    return SeededPopulationRegistry({
        r["nik"]: Resident(r["nik"], r["full_name"], date.fromisoformat(r["birth_date"]), r["birth_place"],
                           r["gender"], r["address"]) for r in raw["residents"]})


@lru_cache
def seeded_company_registry() -> SeededCompanyRegistry:
    raw = json.loads(resources.files("identity.data").joinpath("company_registry.json").read_text())
    return SeededCompanyRegistry({
        c["ahu_number"]: CompanyRecord(c["ahu_number"], c["name"], c["legal_form"], c["address"],
                                       tuple(Officer(**o) for o in c["officers"])) for c in raw["companies"]})


@lru_cache
def countries() -> dict[str, str]:
    """ISO 3166-1 alpha-3 code -> name."""
    raw = json.loads(resources.files("identity.data").joinpath("countries.json").read_text())
    return dict(raw["countries"])
