"""Issue 16's tax month on the whole stack as `make run` starts it (the `stack` fixture): two companies, a PJAP's
upload and batch signing, the SPT Masa PPN prefilled, paid at the bank sandbox and filed, a late filer's debts paid
in instalments, a pembetulan, KSWP letters, a PHTB validation read by the land office, then the end-of-month checks
(tests/tax_month/: one module per step). Step 0 publishes the reference data the stack does not ship as an officer
would (a 2027 calendar and KMK rates after February 2026: SYNTHETIC test data, tests/tax_month/reference.py), so the
late filer's STPs (Art 14(4), 7(1), 9(2a)), the sanction run and their debts run for real.

`LONTAR_TAX_MONTH_INVOICES` sets the size of the PJAP's file (default below; the issue's figure is 10,000)."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

import pytest

from devstack.stack import Stack
from tests.tax_month.checks import check_month
from tests.tax_month.month import run_month

INVOICES = int(os.environ.get("LONTAR_TAX_MONTH_INVOICES", "10000"))


@pytest.mark.slow
async def test_the_tax_month_end_to_end(stack: Stack) -> None:
    started, since = time.monotonic(), datetime.now(UTC)
    month = await run_month(stack, INVOICES)
    figures = await check_month(stack, since=since, ntpns=month.ntpns, nsfps=sorted(month.invoices.nsfps))
    month.seconds["7 checks"] = time.monotonic() - started - sum(month.seconds.values())
    print(f"\ntax month, {INVOICES} invoices: {time.monotonic() - started:.1f}s", *month.report(), *figures.lines(),
          sep="\n")
