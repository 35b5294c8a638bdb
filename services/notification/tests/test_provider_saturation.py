"""A provider whose every connection is busy goes after the others: messages do not queue behind a slow provider."""

from __future__ import annotations

import asyncio

import pytest

from notification.settings import NotificationSettings, SmsSettings


@pytest.fixture
def settings(settings: NotificationSettings) -> NotificationSettings:
    one_connection = [p.model_copy(update={"connections": 1}) for p in settings.sms.providers]
    return settings.model_copy(update={"sms": SmsSettings(providers=one_connection)})


async def test_messages_skip_a_provider_with_every_connection_busy(running) -> None:  # type: ignore[no-untyped-def]
    h = running
    await h.set_mode("sandbox-a", "slow", delay_ms=3000)  # the call there times out after 0.5 s
    h.reset_health()
    requests = [h.otp_request()[0] for _ in range(4)]
    await asyncio.gather(*(h.send_otp(r) for r in requests))

    first_providers = []
    for request in requests:
        message = await h.message_in_state(request.request_id, "delivered", timeout=20)
        assert message["provider"] == "sandbox-b"
        first_providers.append((await h.attempts(message["id"]))[0]["provider"])
    # sandbox-a's one connection was held by a call that timed out; messages that came meanwhile went to b at once
    assert first_providers.count("sandbox-a") < len(requests)
    assert "sandbox-b" in first_providers
