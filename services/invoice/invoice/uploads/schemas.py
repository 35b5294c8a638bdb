"""API models of uploads."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel


class UploadAccepted(BaseModel):
    upload_id: uuid.UUID
    state: str


class UploadResult(BaseModel):
    position: int
    ref_desc: str | None
    invoice_id: uuid.UUID | None
    errors: list[dict[str, Any]]
    warnings: list[dict[str, Any]]


class UploadRead(BaseModel):
    id: uuid.UUID
    state: str
    seller_npwp: str
    filename: str | None
    size_bytes: int
    total: int | None
    accepted: int | None
    failed: int | None
    error: dict[str, Any] | None
    created_at: datetime
    completed_at: datetime | None
    callback_url: str | None = None
    results: list[UploadResult]
