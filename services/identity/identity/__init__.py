"""Lontar identity service."""
