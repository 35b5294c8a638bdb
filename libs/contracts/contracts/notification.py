"""The notification service's contracts: the OTP delivery command it receives on `notification.commands`, and the
delivery outcomes it publishes on `notification.events`."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from contracts.registry import Contract, register

COMMANDS_TOPIC = "notification.commands"
TOPIC = "notification.events"

Channel = Literal["sms", "email"]
OTPPurpose = Literal["activation", "password_reset", "contact_change", "sensitive_change", "login"]
Locale = Literal["id", "en"]


@register
class OTPDeliveryRequested(Contract):
    """Command from identity: deliver a one-time code. The code itself is sealed to the notification service's public
    key (`kit.sealing`); only notification can open it, just before handing it to a provider. Keyed by account id."""

    type: ClassVar[str] = "OTPDeliveryRequested"
    version: ClassVar[int] = 1
    source: ClassVar[str] = "identity"

    request_id: str = Field(description="identity's OTP challenge id; echoed in the delivery outcome")
    account_id: str
    channel: Channel
    destination: str = Field(min_length=3, max_length=254, description="E.164 phone (+62...) or e-mail address")
    purpose: OTPPurpose
    locale: Locale = "id"
    sealed_code: str = Field(min_length=40, description="base64url sealed box holding the 6-digit code")
    expires_at: datetime


@register
class NotificationDelivered(Contract):
    """A provider accepted (or confirmed delivery of) a message."""

    type: ClassVar[str] = "NotificationDelivered"
    version: ClassVar[int] = 1
    source: ClassVar[str] = "notification"

    message_id: str
    request_id: str | None = Field(default=None, description="the OTP challenge id, for OTP messages")
    channel: Channel
    provider: str
    status: Literal["sent", "delivered"]
    at: datetime


@register
class NotificationFailed(Contract):
    """No provider could deliver the message: identity tells the user, who can ask for the other channel."""

    type: ClassVar[str] = "NotificationFailed"
    version: ClassVar[int] = 1
    source: ClassVar[str] = "notification"

    message_id: str
    request_id: str | None = None
    channel: Channel
    reason: str = Field(max_length=500)
    attempts: int = Field(ge=0)
    at: datetime
