"""The tax month as a benchmark (issue 16): `python -m bench.tax_month [--taxpayers N] [--invoices-per-taxpayer K]`,
also `python -m bench.services month`. See bench/README.md, "The tax month"."""
