"""Benchmarks of Lontar's event bus: raw broker client rates, the outbox relay, the inbox consumer, end-to-end latency.

Run with `make bench` (or `.venv/bin/python -m bench`). See bench/README.md for what each number means.
"""
