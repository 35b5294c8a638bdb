"""Lontar notification service."""
