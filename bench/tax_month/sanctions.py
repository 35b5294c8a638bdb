"""The late ones: an officer runs the sanctions of the month whose deadline has passed (`POST
/internal/v1/sanction-runs`), filing issues an Art 7(1) STP to every taxpayer that owed it and did not file, and
payment records each as a debt. Done when every late taxpayer sees its STP at filing and its debt at payment.

The STP is due a month after its issue; from the first days of December that month is in the next year. When filing
does not know that year's days off (`GET /v1/working-calendar/{year}` answers `calendar.year_unknown`), an officer
first publishes a SYNTHETIC list for it (`PUT /internal/v1/calendar/{year}`, scope `filing:reference`: 1 January
only, basis "SKB-TEST-<year> (synthetic, benchmark only)"; not a real SKB), as tests/tax_month/reference.py does.
The stack's filing API is one process, the one that publishes and runs the sanctions, so it uses the list at once;
payment records the debts from the STPs' own due dates. A run still refused is reported instead of figures."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bench.tax_month.client import UnexpectedAnswer
from bench.tax_month.months import Plan
from bench.tax_month.taxpayers import People, Taxpayer


@dataclass
class SanctionFigures:
    seconds: float = 0.0
    run_s: float = 0.0
    refused: str = ""  # the problem's code and detail when the run was refused
    issued_by_run: int = 0
    stps: int = 0  # seen by the late taxpayers at filing
    debts: int = 0  # seen by the late taxpayers at payment
    late_taxpayers: int = 0
    answer: dict[str, Any] = field(default_factory=dict)
    published_calendar: int | None = None  # the year a synthetic list of days off was published for, if any


async def run_sanctions(people: People, plan: Plan, concurrency: int) -> SanctionFigures:
    http, stack = people.http, people.stack
    late = [t for t in people.taxpayers if t.late]
    figures = SanctionFigures(late_taxpayers=len(late))
    figures.published_calendar = await publish_synthetic_calendar(people, _month_after(plan.today).year, plan.today)
    started = time.monotonic()
    try:
        answer = await http.call("POST", f"{stack.api('filing')}/internal/v1/sanction-runs", what="sanction run",
                                 headers=stack.officer("filing:officer"),
                                 json={"obligation": "spt_masa_ppn", "period": str(plan.late)})
    except UnexpectedAnswer as exc:
        problem = exc.response.json() if exc.response.headers.get("content-type", "").endswith("json") else {}
        figures.refused = f"{exc.response.status_code} {problem.get('code')}: {problem.get('detail')}"
        figures.seconds = time.monotonic() - started
        return figures
    figures.run_s = time.monotonic() - started
    figures.answer = answer.json()
    figures.issued_by_run = int(figures.answer.get("issued", 0))
    gate = asyncio.Semaphore(concurrency)

    async def seen(taxpayer: Taxpayer) -> None:
        async with gate:
            stps, _ = await http.until("GET", f"{stack.api('filing')}/v1/stps", _own_stp(plan), timeout=300,
                                       what="STP at filing", headers=await people.headers(taxpayer))
            debts, _ = await http.until("GET", f"{stack.api('payment')}/v1/debts", _stp_debts(stps), timeout=300,
                                        what="debt at payment", headers=await people.headers(taxpayer))
            figures.stps += len(stps)
            figures.debts += len(debts)

    await asyncio.gather(*(seen(t) for t in late))
    figures.seconds = time.monotonic() - started
    return figures


def _month_after(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


async def publish_synthetic_calendar(people: People, year: int, today: date) -> int | None:
    """Publish a synthetic list of days off for `year` if filing knows none (never replaces a real one)."""
    http, stack = people.http, people.stack
    known = await http.call("GET", f"{stack.api('filing')}/v1/working-calendar/{year}", expect=(200, 422),
                            what="working calendar")
    if known.status_code == 200:
        return None
    assert known.json()["code"] == "calendar.year_unknown", known.text
    # SYNTHETIC benchmark data, not a real SKB 3 Menteri: 1 January only (weekends are days off unlisted)
    await http.call("PUT", f"{stack.api('filing')}/internal/v1/calendar/{year}", expect=(200, 201),
                    what="synthetic calendar", headers=stack.officer("filing:reference"), json={
                        "basis": {"number": f"SKB-TEST-{year} (synthetic, benchmark only)",
                                  "signed_on": str(today)},
                        "days": [{"date": f"{year}-01-01", "kind": "national_holiday",
                                  "name": f"Tahun Baru {year} Masehi (synthetic)"}]})
    return year


def _own_stp(plan: Plan):  # type: ignore[no-untyped-def]
    def found(body: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
        mine = [s for s in body if s["period"] == str(plan.late) and s["reason"] in ("not_filed", "late_filing")]
        return mine or None
    return found


def _stp_debts(stps: list[dict[str, Any]]):  # type: ignore[no-untyped-def]
    numbers = {s["number"] for s in stps}

    def found(body: dict[str, Any]) -> list[dict[str, Any]] | None:
        debts = [d for d in body.get("items", []) if d.get("assessment_number") in numbers]
        return debts if len(debts) == len(numbers) else None
    return found
