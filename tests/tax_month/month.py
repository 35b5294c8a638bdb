"""The month, step by step (issue 16): `run_month(stack, scale, at)` runs the steps in order on a running stack;
`at(step)` is awaited before each step and once before the checks (the faulted twin injects its faults there, from
step 1 on)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from devstack.stack import Stack
from tests.tax_month.actors import Api, Cast
from tests.tax_month.company import companies_register
from tests.tax_month.correction import Corrected, pembetulan
from tests.tax_month.dates import Dates
from tests.tax_month.kswp import Kswp, kswp_for_both
from tests.tax_month.late_filer import Late, files_late
from tests.tax_month.phtb import Land, land_is_sold
from tests.tax_month.pjap import Invoices, pjap_uploads_and_signs
from tests.tax_month.reference import Reference, publish_reference
from tests.tax_month.spt import Filed, seller_files

Hook = Callable[[str], Awaitable[None]]


@dataclass
class Month:
    scale: int
    dates: Dates
    cast: Cast = field(default_factory=Cast)
    invoices: Invoices = field(default_factory=Invoices)
    normal: Filed = field(default_factory=Filed)
    correction: Corrected = field(default_factory=Corrected)
    late: Late = field(default_factory=Late)
    kswp: Kswp = field(default_factory=Kswp)
    land: Land = field(default_factory=Land)
    reference: Reference = field(default_factory=Reference)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def ntpns(self) -> list[str]:
        """Every payment the bank sandbox made in the month."""
        return [n for n in (self.normal.ntpn, self.correction.ntpn, *self.late.ntpns, self.land.ntpn) if n]

    def report(self) -> list[str]:
        lines = [f"{name}: {s:.1f}s" for name, s in self.seconds.items()]
        lines += [f"  {name}: {s:.1f}s" for name, s in self.invoices.seconds.items()]
        if self.late.fines:
            fines = ", ".join(f"{k} {v}" for k, v in sorted(self.late.fines.items()))
            lines += [f"late filer's STPs (Art 7(1) by period, others by reason; Rp): {fines}",
                      f"  Art 9(2a): {self.late.interest_figures}"]
        return lines


async def _reference(api: Api, m: Month) -> None:
    m.reference = await publish_reference(api, m.dates)


async def _companies(api: Api, m: Month) -> None:
    await companies_register(api, m.cast, m.dates)


async def _pjap(api: Api, m: Month) -> None:
    m.invoices = await pjap_uploads_and_signs(api, m.cast, m.dates, m.scale)


async def _spt(api: Api, m: Month) -> None:
    m.normal = await seller_files(api, m.cast, m.dates, m.invoices)


async def _late(api: Api, m: Month) -> None:
    m.late = await files_late(api, m.cast, m.dates, m.reference)


async def _pembetulan(api: Api, m: Month) -> None:
    m.correction = await pembetulan(api, m.cast, m.dates, m.invoices, m.normal)


async def _kswp(api: Api, m: Month) -> None:
    m.kswp = await kswp_for_both(api, m.cast, m.dates)


async def _land(api: Api, m: Month) -> None:
    m.land = await land_is_sold(api, m.cast, m.dates)


STEPS: list[tuple[str, Callable[[Api, Month], Awaitable[None]]]] = [
    ("0 reference", _reference), ("1 companies", _companies), ("2 pjap", _pjap), ("3 spt", _spt), ("4 late filer", _late),
    ("5 pembetulan", _pembetulan), ("6 kswp", _kswp), ("6 phtb", _land)]


async def run_month(stack: Stack, scale: int, at: Hook | None = None) -> Month:
    month = Month(scale=scale, dates=Dates.now())
    async with httpx.AsyncClient(timeout=60) as http:
        api = Api(stack, http)
        for name, step in STEPS:
            if at is not None:
                await at(name)
            started = time.monotonic()
            await step(api, month)
            month.seconds[name] = time.monotonic() - started
    if at is not None:
        await at("7 checks")
    return month
