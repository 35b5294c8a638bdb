"""API models of the PJAP register and delegations."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kit.text import organisation_name, text

Scope = text(100)


class ClientCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: organisation_name(200, min_length=2)
    scopes: list[Scope] = Field(min_length=1, max_length=100)
    kind: Literal["pjap", "internal", "officer", "bank"] = "pjap"
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
    client_id: text(100)
    scopes: list[Scope] = Field(min_length=1, max_length=100)


class DelegationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    client_id: str
    scopes: str
    granted_at: datetime
