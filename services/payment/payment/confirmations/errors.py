"""Errors of the confirmations slice, each with a stable code."""

from __future__ import annotations

from kit.errors import ValidationFailed


class NTPNInvalid(ValidationFailed):
    """`details.reason`: length (not 16 characters) or characters (anything but A-Z and 0-9)."""

    code, title = "confirmation.ntpn_invalid", "Not an NTPN"
