"""`python -m bench.tax_month`: the whole stack, a month of invoices, the last hour before the deadline, the late
ones; a table on stdout, progress on stderr, everything in `.bench/results.json` under `tax_month`. Everything
started is stopped on the way out (success, error, Ctrl-C or SIGTERM)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys

import uvloop

from bench.tax_month.month import RESULTS, Config, month, save


def _terminate(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through the stack's stop


def main(argv: list[str]) -> int:
    defaults = Config()
    parser = argparse.ArgumentParser(prog="python -m bench.tax_month", description=__doc__.split("\n")[0])
    parser.add_argument("--taxpayers", type=int, default=defaults.taxpayers)
    parser.add_argument("--invoices-per-taxpayer", type=int, default=defaults.invoices_per_taxpayer)
    parser.add_argument("--lines", type=int, default=defaults.lines, help="lines per invoice")
    parser.add_argument("--late-share", type=float, default=defaults.late_share,
                        help="share of taxpayers that never file the month past its deadline")
    parser.add_argument("--setup-concurrency", type=int, default=defaults.setup_concurrency)
    parser.add_argument("--upload-concurrency", type=int, default=defaults.upload_concurrency)
    parser.add_argument("--filing-concurrency", type=int, default=defaults.filing_concurrency)
    parser.add_argument("--sample-interval", type=float, default=defaults.sample_interval_s)
    args = parser.parse_args(argv)
    config = Config(taxpayers=args.taxpayers, invoices_per_taxpayer=args.invoices_per_taxpayer, lines=args.lines,
                    late_share=args.late_share, setup_concurrency=args.setup_concurrency,
                    upload_concurrency=args.upload_concurrency, filing_concurrency=args.filing_concurrency,
                    sample_interval_s=args.sample_interval)
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s",
                        force=True)
    for noisy in ("aiokafka", "httpx"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    try:
        report = uvloop.run(month(config))
    except KeyboardInterrupt:
        print("\ninterrupted; the stack was stopped", file=sys.stderr)
        return 130
    print(report.render(), flush=True)
    save(report)
    print(f"\nwritten to {RESULTS} (key tax_month)", file=sys.stderr)
    return 1 if any(r.passed is False for r in report.rows) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
