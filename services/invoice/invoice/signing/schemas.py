"""API models of signing jobs."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kit.text import secret, text


class SigningJobCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seller_npwp: str | None = Field(None, pattern=r"^[0-9]{16}$")
    invoice_ids: list[uuid.UUID] | None = Field(None, max_length=100_000)
    upload_id: uuid.UUID | None = None
    period: str | None = Field(None, pattern=r"^[0-9]{4}-[0-9]{2}$")
    credential_id: uuid.UUID
    passphrase: secret(256)
    callback_url: text(2000) | None = None  # http(s): POSTed a signed summary when the job ends


class SigningJobItem(BaseModel):
    invoice_id: uuid.UUID
    state: str
    nsfp: str | None
    error: dict[str, Any] | None


class SigningJobRead(BaseModel):
    id: uuid.UUID
    state: str
    seller_npwp: str
    total: int
    signed: int
    failed: int
    pending: int
    created_at: datetime
    completed_at: datetime | None
    callback_url: str | None = None
    items: list[SigningJobItem]
