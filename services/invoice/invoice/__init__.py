"""Lontar invoice service."""
