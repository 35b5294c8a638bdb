"""Lontar payment service."""
