"""API models of the officer tools."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict

from kit.text import text


class NIKMatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    nik: text(32)


class PKPDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    is_pkp: bool
    effective_date: date


class ImportReportRead(BaseModel):
    rows: int
    created: int
    updated: int
    unchanged: int
    conflicts: list[dict[str, Any]]
    errors: list[dict[str, Any]]
