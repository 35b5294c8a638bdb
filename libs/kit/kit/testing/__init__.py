"""Test support shared by every service: real PostgreSQL and broker fixtures, tokens, event helpers."""
