"""Seed item 4: a code the notification service could not deliver shows as failed, and the user asks for the
other channel. Delivery outcomes arrive as events through the real broker and the identity worker's consumer."""

from __future__ import annotations

from datetime import UTC, datetime

from contracts.notification import NotificationDelivered, NotificationFailed
from identity.main import create_app
from identity.worker import CONSUMERS
from kit.testing.service import api_client, deliver


async def test_a_failed_sms_shows_as_failed_and_the_email_channel_is_offered(settings, flows) -> None:
    async with api_client(create_app(settings)) as http:
        started = (await http.post("/v1/registrations", json=flows.foreigner())).json()
        rid = started["registration_id"]
        by_channel = {o["channel"]: o["challenge_id"] for o in started["otp"]}
        assert {o["delivery_state"] for o in started["otp"]} == {"requested"}

        now = datetime.now(UTC)
        [spec] = [c for c in CONSUMERS if c.purpose == "notification-events"]
        await deliver(settings, spec, [
            (rid, NotificationFailed(message_id="m-1", request_id=by_channel["sms"], channel="sms",
                                     reason="all SMS providers failed", attempts=3, at=now), 1),
            (rid, NotificationDelivered(message_id="m-2", request_id=by_channel["email"], channel="email",
                                        provider="smtp", status="delivered", at=now), 2),
            (rid, NotificationDelivered(message_id="m-2", request_id=by_channel["email"], channel="email",
                                        provider="smtp", status="sent", at=now), 3),  # late, out of order
        ])
        status = {o["channel"]: o for o in (await http.get(f"/v1/registrations/{rid}")).json()["otp"]}
        assert status["sms"]["delivery_state"] == "failed"
        assert status["sms"]["delivery_error"] == "all SMS providers failed"
        assert status["email"]["delivery_state"] == "delivered"

        retry = await http.post(f"/v1/registrations/{rid}/otp", json={"channel": "sms"})
        assert retry.status_code == 202 and retry.json()["delivery_state"] == "requested"
