"""Errors of the warnings slice, each with a stable code."""

from __future__ import annotations

from kit.errors import Conflict, ValidationFailed


class WarningNumberExists(Conflict):
    """`details.warning_id` is the warning already recorded under this number."""

    code, title = "warning.number_exists", "A written warning with this number is already recorded"


class WarningDateInvalid(ValidationFailed):
    """`details.path` is `/warned_on`; `details.earliest` / `details.latest` the bounds it broke."""

    code, title = "warning.date_invalid", \
        "A written warning about a return is dated after its period ended and not after today"
