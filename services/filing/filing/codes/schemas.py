"""API models of the error-code list."""

from __future__ import annotations

from pydantic import BaseModel


class ErrorCodeRead(BaseModel):
    code: str
    status: int
    title: str
