"""API models of the PJAP register and delegations."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ClientCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=2, max_length=200)
    scopes: list[str] = Field(min_length=1)
    kind: Literal["pjap", "internal", "officer"] = "pjap"
    rate_limit_per_minute: int = Field(default=600, ge=1, le=100_000)


class ClientCreated(BaseModel):
    client_id: str
    client_secret: str = Field(description="shown once; stored only as a hash")
    name: str
    scopes: str
    kind: str
    rate_limit_per_minute: int


class DelegationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    client_id: str
    scopes: list[str] = Field(min_length=1)


class DelegationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    client_id: str
    scopes: str
    granted_at: datetime
