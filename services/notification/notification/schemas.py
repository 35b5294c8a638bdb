import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kit.pagination import CursorPage
from kit.text import multiline_text, text


class InboxItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    taxpayer: str
    notice: str
    title: str
    body: str
    locale: str
    statutory: bool
    created_at: datetime
    read_at: datetime | None


class InboxPage(CursorPage[InboxItemRead]):
    unread_count: int = Field(description="unread items of this taxpayer, all pages")


class NoticePreferenceRead(BaseModel):
    notice: str
    description: str
    statutory: bool = Field(description="statutory notices are always sent and cannot be switched off")
    enabled: bool


class PreferencesRead(BaseModel):
    taxpayer: str
    locale: Literal["id", "en"]
    notices: list[NoticePreferenceRead]


class PreferencesUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    locale: Literal["id", "en"] | None = None
    notices: dict[text(100), bool] = Field(default_factory=dict, max_length=200, description="notice name -> on/off")


class RecipientUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: text(254) | None = None
    phone: text(32) | None = None
    locale: Literal["id", "en"] | None = None


class RecipientRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    taxpayer: str
    email: str | None
    phone: str | None
    locale: str | None


class DeliveryReport(BaseModel):
    """What a provider posts to the webhook."""

    model_config = ConfigDict(extra="ignore")

    id: text(200, min_length=1) = Field(description="the provider's message id")
    status: Literal["delivered", "failed", "undelivered", "rejected", "expired"]
    error: multiline_text(500) | None = None
    reference: text(200) | None = None


class ReportApplied(BaseModel):
    status: Literal["applied", "duplicate"]
    message_state: str


class AttemptRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    provider: str
    state: str
    error: str | None
    latency_ms: int | None
    provider_message_id: str | None
    at: datetime
    reported_at: datetime | None


class MessageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    channel: str
    recipient: str
    template: str
    locale: str
    subject: str | None
    body: str = Field(description="redacted: an OTP code reads ******")
    state: str
    request_id: str
    account_id: str | None
    taxpayer: str | None
    attempts: int
    provider: str | None
    error: str | None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    failed_at: datetime | None
    delivery_attempts: list[AttemptRead] = []
