"""Step 0: an officer publishes the reference data the month needs and the stack does not ship: the 2027 days off
(every STP issued from 1 December 2026 falls due in January 2027) and the KMK interest rates after February 2026
(the late filer's Art 9(2a) interest), through filing's officer routes (`PUT /internal/v1/calendar/{year}`,
`PUT /internal/v1/interest-rates/{month}`, scope `filing:reference`); payment keeps its copy from filing.events.

THESE ARE SYNTHETIC TEST DATA, NOT REAL DECREES: the SKB and KMK numbers say so, the 2027 list holds 1 January only
(weekends are days off without being listed), and every month's rates repeat the last real KMK (2/MK/EF/2026,
February 2026). A real publication replaces them in no test: each stack's database is its own.

Staleness (filing README "Reference data"): the process that published uses the data at once, every other process
(filing's worker, payment's API and worker) within its refresh interval (`*_REFERENCE_REFRESH_S` of its environment, 30 s by default;
payment after its consumer applied the event). `Reference.in_force` waits that long from the publication before a
step whose events a worker must handle with the new data: there is no route that says what a worker holds."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from devstack.stack import Stack
from filing.settings import FilingSettings
from payment.settings import PaymentSettings
from tests.tax_month.actors import Api
from tests.tax_month.dates import Dates, month_of

REFERENCE = ("filing:reference",)
CALENDAR_BASIS = "SKB-TEST-2027 (synthetic, tests only)"
# the last real KMK (2/MK/EF/2026, February 2026), repeated for every synthetic month
RATES = {"tier_1": "0.51", "tier_2": "0.92", "tier_3": "1.34", "tier_4": "1.76", "tier_5": "2.17",
         "imbalan_bunga": "0.51"}
FIRST_SYNTHETIC_MONTH = date(2026, 3, 1)  # the packaged table ends in February 2026
MARGIN_S = 5.0


def refresh_interval(stack: Stack) -> float:
    """The longest interval a filing or payment process of `stack` takes to read a publication, from the
    environment each was started with."""
    defaults = {"FILING_REFERENCE_REFRESH_S": FilingSettings.model_fields["reference_refresh_s"].default,
                "PAYMENT_REFERENCE_REFRESH_S": PaymentSettings.model_fields["reference_refresh_s"].default}
    return max((float(child.env.get(name, default)) for child in stack.children
                for name, default in defaults.items() if child.name.startswith(name.split("_")[0].lower())),
               default=max(defaults.values()))


@dataclass
class Reference:
    year: int = 0
    months: list[str] = field(default_factory=list)
    rates: dict[str, Decimal] = field(default_factory=dict)  # tier -> percent per month
    published_at: float = 0.0  # time.monotonic()
    refresh_s: float = 0.0  # refresh_interval of the stack

    def tier_2(self, month: str) -> Decimal:
        """The Art 8(2a) / 9(2a) rate of a synthetic month (all of them are the same)."""
        assert month in self.months, (month, self.months)
        return self.rates["tier_2"]

    async def in_force(self) -> None:
        """Every process of the stack holds the publication (its refresh interval passed since, plus a margin)."""
        left = self.published_at + self.refresh_s + MARGIN_S - time.monotonic()
        if left > 0:
            await asyncio.sleep(left)


async def publish_reference(api: Api, dates: Dates) -> Reference:
    officer = api.officer(*REFERENCE)
    out = Reference(year=dates.next_year, rates={k: Decimal(v) for k, v in RATES.items()})

    # -- the year an STP issued today falls due in: 1 January only (not a real SKB) ------------------------------
    year = out.year
    days = [{"date": f"{year}-01-01", "kind": "national_holiday", "name": f"Tahun Baru {year} Masehi (synthetic)"}]
    published = await api.call("PUT", "filing", f"/internal/v1/calendar/{year}", headers=officer, expect=(200, 201),
                               json={"basis": {"number": CALENDAR_BASIS, "signed_on": str(dates.today)},
                                     "days": days})
    assert (published["outcome"] in ("published", "unchanged"), published["basis"]["number"]) == (
        True, CALENDAR_BASIS), published
    listed = await api.call("GET", "filing", f"/v1/working-calendar/{year}")
    assert [d["date"] for d in listed["days_off"]] == [f"{year}-01-01"], listed

    # -- the KMK rates from March 2026 to this month (not real KMKs) ---------------------------------------------
    month = FIRST_SYNTHETIC_MONTH
    while month <= month_of(dates.today, 0):
        name = f"{month:%Y-%m}"
        signed = min(dates.today, month)  # a KMK is signed before its month starts, never after today
        answer = await api.call("PUT", "filing", f"/internal/v1/interest-rates/{name}", headers=officer,
                                expect=(200, 201), json={"kmk": {"number": f"KMK-TEST-{name} (synthetic, tests only)",
                                                                 "signed_on": str(signed)}, "rates": RATES})
        assert answer["outcome"] in ("published", "unchanged") and answer["rates"] == RATES, answer
        out.months.append(name)
        month = month_of(month, 1)
    out.published_at, out.refresh_s = time.monotonic(), refresh_interval(api.stack)
    return out

