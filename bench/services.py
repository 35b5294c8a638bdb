"""`python -m bench.services`: the services' figures in one table, after the event-bus run (`python -m bench`).

identity: logins at 32 concurrent clients, token verification, signing 1,000 digests per call; invoice: Coretax
XML uploads and the ratio to raw COPY, 10,000 invoices signed in one batch job (identity as its own process);
notification: OTP latency to the SMS sandbox, failover, notices/s; payment: billing creation and bank confirmations
beside raw single-row inserts, the legacy import of 1,000,000 debt rows beside a raw COPY; filing: SPT submission
one by one with a signing session and in batches of 500
(identity as its own process), beside scrypt, ECDSA and raw-insert floors; month: the tax month on the whole stack
(`bench/tax_month`, about 17 minutes on 2 shared cores). Each starts what it needs (a durable embedded PostgreSQL here; notification and
identity signing start their own) and stops it.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import uvloop

from devstack.postgres import EmbeddedPostgres
from devstack.processes import free_port


async def _collect(server_url: str, only: set[str]) -> list[tuple[str, dict[str, Any]]]:
    from bench import (
        filing_prefill,
        filing_submission,
        identity_login,
        identity_signing,
        invoice_signing,
        invoice_upload,
        notification,
        payment,
        payment_legacy_import,
    )
    from bench.tax_month.month import run_rows as tax_month

    suites = [("identity", lambda: identity_login.run(server_url)), ("identity", identity_signing.run),
              ("invoice", lambda: invoice_upload.run(server_url)), ("invoice", lambda: invoice_signing.run(server_url)),
              ("notification", notification.run), ("payment", lambda: payment.run(server_url)),
              ("payment", payment_legacy_import.run),  # on a server with payment-db's deployed parameters
              ("filing", lambda: filing_submission.run(server_url)), ("filing", lambda: filing_prefill.run(server_url)),
              ("month", tax_month)]  # the whole stack of its own (bench/tax_month): 1,000 taxpayers, 100,000 invoices
    rows: list[tuple[str, dict[str, Any]]] = []
    for service, suite in suites:
        if only and service not in only:
            continue
        print(f"running {service} ...", file=sys.stderr, flush=True)
        rows += [(service, row) for row in await suite()]
    return rows


def _render(rows: list[tuple[str, dict[str, Any]]]) -> str:
    lines = [f"{'service':<13}{'measurement':<78}{'value':>14}  {'unit':<18}{'target':<12}result", "-" * 145]
    for service, r in rows:
        target = r.get("target")
        target_text = " ".join(str(t) for t in target) if isinstance(target, (list, tuple)) else str(target or "")
        ok = r.get("ok")
        value = r.get("value")
        value_text = "n/a" if value is None else f"{value:,.1f}" if value < 1000 else f"{value:,.0f}"
        lines.append(f"{service:<13}{str(r['name'])[:77]:<78}{value_text:>14}  {r.get('unit', ''):<18}"
                     f"{target_text:<12}{'' if ok is None else 'PASS' if ok else 'FAIL'}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    only = set(argv)
    workdir = Path(tempfile.mkdtemp(prefix="lontar-bench-services-"))
    postgres = EmbeddedPostgres(workdir / "postgres", port=free_port(), durable=True)
    try:
        postgres.start()
        rows = uvloop.run(_collect(postgres.url(), only))
        print(_render(rows))
        return 0
    except KeyboardInterrupt:
        return 130
    finally:
        postgres.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
