"""Which returns a taxpayer owes, from the registry facts filing keeps: the taxpayer's kind and PKP periods.

- A PKP owes an SPT Masa PPN for every month in which it was a PKP for at least one day, nil or not, from the
  month of PKP confirmation (tax-rules.md §5.2: confirmed 10 Jun 2025 -> the June SPT is due 31 Jul 2025).
- An individual owes the SPT Tahunan PPh OP and a company the SPT Tahunan PPh Badan for every tax year from the
  year of registration (UU KUP Art 3(3)(b), (c)). A government agency owes neither: it reports as a withholder.
- Not derived here (they need facts the registry does not carry): SPT Masa PPh, owed by withholders for months
  with withholding, and the exemption of individuals below PTKP or without business income from the SPT Tahunan.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from filing.calendar.periods import TaxPeriod, TaxYear, months
from filing.obligations.kinds import Obligation

TaxpayerKind = Literal["individual", "company", "government"]
_ANNUAL_RETURN: dict[str, Obligation] = {"individual": Obligation.SPT_TAHUNAN_OP,
                                         "company": Obligation.SPT_TAHUNAN_BADAN}


@dataclass(frozen=True)
class PkpSpan:
    """PKP from `start` (effective date of confirmation) until `end` (effective date of revocation: the first day
    no longer a PKP), or still a PKP when `end` is None."""

    start: date
    end: date | None = None

    def overlaps(self, period: TaxPeriod) -> bool:
        return self.start <= period.last_day and (self.end is None or self.end > period.first_day)


@dataclass(frozen=True)
class OwedReturn:
    obligation: Obligation
    period: TaxPeriod | TaxYear


def pkp_spans(changes: Iterable[tuple[date, bool]]) -> list[PkpSpan]:
    """Spans from PKP status changes (identity's PKPStatusChanged: effective date, is_pkp), taken in date order;
    changes with the same date keep the order given (pass them in the order they were published). A repeated
    status is ignored."""
    spans: list[PkpSpan] = []
    current: date | None = None
    for effective, is_pkp in sorted(changes, key=lambda change: change[0]):
        if is_pkp and current is None:
            current = effective
        elif not is_pkp and current is not None:
            if effective > current:
                spans.append(PkpSpan(current, effective))
            current = None
    if current is not None:
        spans.append(PkpSpan(current))
    return spans


def owed_returns(kind: TaxpayerKind, *, first: TaxPeriod, last: TaxPeriod, pkp: Sequence[PkpSpan] = (),
                 registered_on: date | None = None) -> list[OwedReturn]:
    """The returns owed for the months `first`..`last` (both included) and for the tax years those months touch,
    in time order."""
    owed = [OwedReturn(Obligation.SPT_MASA_PPN, period)
            for period in months(first, last) if any(span.overlaps(period) for span in pkp)]
    annual = _ANNUAL_RETURN.get(kind)
    if annual is not None and first <= last:
        since = first.year if registered_on is None else max(first.year, registered_on.year)
        owed += [OwedReturn(annual, TaxYear(year)) for year in range(since, last.year + 1)]
    return sorted(owed, key=lambda o: (o.period.last_day, o.obligation.value))
