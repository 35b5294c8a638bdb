"""Keyset (cursor) pagination over `(created_at, id)`: stable under inserts, no counts on big tables."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel

from kit.errors import AppError

T = TypeVar("T")


class InvalidCursor(AppError):
    code, status, title = "pagination.invalid_cursor", 400, "Invalid cursor"


class CursorPage(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


class Cursor(BaseModel):
    created_at: datetime
    id: uuid.UUID


class CursorParams(BaseModel):
    limit: int
    after: Cursor | None


def encode_cursor(created_at: datetime, row_id: uuid.UUID) -> str:
    raw = json.dumps({"created_at": created_at.isoformat(), "id": str(row_id)}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str) -> Cursor:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        return Cursor.model_validate(json.loads(raw))
    except Exception:
        raise InvalidCursor("the cursor is not one this API issued") from None


def _params(
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> CursorParams:
    return CursorParams(limit=limit, after=decode_cursor(cursor) if cursor else None)


Pagination = Annotated[CursorParams, Depends(_params)]
