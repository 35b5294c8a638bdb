"""Data a service keeps its own copy of, so that it never reads another service's database or files at run time,
stays equal to the original: a year of days off added to filing's working calendar must reach payment's too."""

from __future__ import annotations

import json
from importlib.resources import files


def _json(package: str, *path: str) -> object:
    resource = files(package)
    for part in path:
        resource = resource / part
    return json.loads(resource.read_text(encoding="utf-8"))


def test_payment_keeps_the_same_working_calendar_as_filing() -> None:
    assert _json("payment.instalments", "data", "holidays.json") == _json("filing.calendar", "data", "holidays.json")
