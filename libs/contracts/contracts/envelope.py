"""The versioned envelope every event travels in (CloudEvents-shaped names)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

ENVELOPE_SPEC = 1


class Envelope(BaseModel):
    """Outer shape of every record value on `<service>.events`.

    `id` is the outbox row id; consumers deduplicate on it. `sequence` is the aggregate's version after the change,
    so a consumer can ignore a fact older than what it already holds.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: uuid.UUID
    type: str = Field(min_length=1)
    version: int = Field(ge=1)
    source: str = Field(min_length=1)
    subject: str = Field(min_length=1)
    sequence: int = Field(ge=0, default=0)
    partition_key: str = Field(min_length=1)
    time: datetime
    correlation_id: str | None = None
    causation_id: str | None = None
    spec: int = ENVELOPE_SPEC
    data: dict[str, Any]
