"""API models of the token endpoint and password reset."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kit.text import secret, text


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int
    refresh_token: str | None = None
    scope: str
    issued_token_type: str | None = None


class PasswordResetCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    login: text(40, min_length=5) = Field(description="NIK, NPWP16, NITKU or identity number")
    channel: Literal["sms", "email"] = "email"


class PasswordResetRead(BaseModel):
    reset_id: uuid.UUID
    channel: str
    expires_at: datetime
    message: str


class PasswordResetConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^[0-9]{6}$")
    new_password: secret(256)
