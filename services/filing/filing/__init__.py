"""Lontar filing service."""
