"""Keyset (cursor) pagination over `(created_at, id)`: stable under inserts, no counts on big tables."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime
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


MAX_CURSOR = 200  # characters: the cursors this API issues are about 110


def decode_cursor(token: str) -> Cursor:
    """The position a cursor this API issued names; anything else is `InvalidCursor` (400) before it reaches the
    database: malformed, naive, or out of the range a timestamp has once it is taken to UTC (a `created_at` of
    9999-12-31T23:59:59-14:00 is a valid datetime whose UTC instant is in year 10000)."""
    if len(token) > MAX_CURSOR:
        raise InvalidCursor("the cursor is not one this API issued")
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if not isinstance(data, dict) or set(data) != {"created_at", "id"} or not isinstance(data["created_at"], str):
            raise ValueError("not a cursor")
        created_at = datetime.fromisoformat(data["created_at"])
        if created_at.tzinfo is None:
            raise ValueError("no time zone")
        created_at = created_at.astimezone(UTC)  # OverflowError beyond year 1..9999
        if not _EARLIEST <= created_at <= _LATEST:
            raise ValueError("out of range")
        return Cursor(created_at=created_at, id=uuid.UUID(str(data["id"])))
    except (ValueError, TypeError, OverflowError, UnicodeDecodeError):
        raise InvalidCursor("the cursor is not one this API issued") from None


# Clear of both ends of what datetime and PostgreSQL's drivers represent, whatever the session's time zone.
_EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
_LATEST = datetime(9999, 12, 30, tzinfo=UTC)


def _params(
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    # not constrained here: whatever is not a cursor this API issued is the same 400 (`pagination.invalid_cursor`)
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> CursorParams:
    return CursorParams(limit=limit, after=decode_cursor(cursor) if cursor else None)


Pagination = Annotated[CursorParams, Depends(_params)]
