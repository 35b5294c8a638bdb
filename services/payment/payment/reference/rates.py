"""Which months have a KMK rate of a tier as the database holds them now: the packaged months with the months
filing's officers published over them, exactly what every process installs at its next refresh (`service._install`,
`debts.interest.use_published`). Pure: the caller reads the published months (`ReferenceRepository.published_rates`).

The interest pass asks this only when the months its process holds lack a debt's month: a month published since the
process last read is then found here and used, and a debt waits only for a month no one has published yet."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from payment.debts.interest import RateTable, packaged_table


def month_of(day: date) -> date:
    """The first day of `day`'s month: the month whose KMK sets the rate of interest starting on `day`."""
    return day.replace(day=1)


def rates_now(tier: int, published: Mapping[str, Decimal], packaged: RateTable | None = None) -> dict[date, Decimal]:
    """First day of each month -> its rate of `tier`, for the months that have one: the packaged months (`packaged`,
    default the data file's) with `published` (YYYY-MM -> that tier's rate) over them. A packaged month without a rate
    for the tier is absent unless published; a published month replaces the packaged entry of the same month."""
    table = packaged_table() if packaged is None else packaged
    months: dict[date, Decimal | None] = {first: entry.tiers.get(tier) for first, entry in table.items()}
    for month, rate in published.items():
        months[date.fromisoformat(month + "-01")] = rate.normalize()  # NUMERIC(7,4): 0.4900 is the KMK's 0.49
    return {first: rate for first, rate in sorted(months.items()) if rate is not None}
