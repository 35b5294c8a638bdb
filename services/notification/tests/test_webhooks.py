"""Provider delivery reports: authenticated by an HMAC-SHA256 signature with the provider's own secret; forged,
unsigned or unknown-provider reports are refused with stable codes and counted, and change nothing."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from kit.testing.service import api_client
from notification.main import create_app
from notification.reports import signature
from notification.repository import MessageRepository


async def _sent_message(h, provider: str = "sandbox-a") -> tuple[uuid.UUID, str]:  # type: ignore[no-untyped-def]
    """A notice already handed to `provider`, waiting for its report."""
    provider_id = uuid.uuid4().hex
    async with h.sessions() as session, session.begin():
        repo = MessageRepository(session)
        message_id = await repo.insert(kind="notice", channel="sms", recipient=h.phone(), template="login.new_device",
                                       locale="id", body="x", state="sent", request_id=str(uuid.uuid4()),
                                       provider=provider, provider_message_id=provider_id, attempts=1,
                                       report_deadline=datetime.now(UTC))
        await repo.add_attempts([{"message_id": message_id, "provider": provider, "state": "accepted",
                                  "provider_message_id": provider_id, "latency_ms": 5}])
    return message_id, provider_id


def _signed(h, provider: str, report: dict) -> tuple[bytes, dict[str, str]]:  # type: ignore[no-untyped-def]
    secret = next(p for p in h.settings.sms.providers if p.name == provider).webhook_secret.get_secret_value()
    body = json.dumps(report).encode()
    return body, {"x-signature": signature(secret, body), "content-type": "application/json"}


async def test_a_signed_report_is_applied_once(harness) -> None:  # type: ignore[no-untyped-def]
    h = harness
    message_id, provider_id = await _sent_message(h)
    body, headers = _signed(h, "sandbox-a", {"id": provider_id, "status": "delivered"})
    async with api_client(create_app(h.settings)) as http:
        first = await http.post("/v1/provider-webhooks/sandbox-a", content=body, headers=headers)
        again = await http.post("/v1/provider-webhooks/sandbox-a", content=body, headers=headers)
    assert first.status_code == 200 and first.json() == {"status": "applied", "message_state": "delivered"}
    assert again.json() == {"status": "duplicate", "message_state": "delivered"}
    [attempt] = await h.attempts(message_id)
    assert attempt["state"] == "delivered" and attempt["reported_at"] is not None


async def test_forged_unsigned_and_unknown_reports_are_refused_and_counted(harness) -> None:  # type: ignore[no-untyped-def]
    h = harness
    message_id, provider_id = await _sent_message(h)
    body, headers = _signed(h, "sandbox-a", {"id": provider_id, "status": "failed"})
    other_body, other_headers = _signed(h, "sandbox-b", {"id": provider_id, "status": "failed"})
    forged_before = h.metric("notification_webhooks_rejected_total", provider="sandbox-a", reason="invalid_signature")
    unknown_before = h.metric("notification_webhooks_rejected_total", provider="unknown", reason="unknown_provider")
    async with api_client(create_app(h.settings)) as http:
        url = "/v1/provider-webhooks/sandbox-a"
        tampered = await http.post(url, content=body.replace(b"failed", b"delivered"), headers=headers)
        unsigned = await http.post(url, content=body, headers={"content-type": "application/json"})
        wrong_key = await http.post(url, content=other_body, headers=other_headers)  # signed by sandbox-b
        unknown = await http.post("/v1/provider-webhooks/nope", content=body, headers=headers)
        bad_json_body = b'{"id": 1'
        secret = h.settings.sms.providers[0].webhook_secret.get_secret_value()
        malformed = await http.post(url, content=bad_json_body,
                                    headers={"x-signature": signature(secret, bad_json_body)})
        _, missing_headers = _signed(h, "sandbox-a", {"id": "no-such-id", "status": "delivered"})
        missing = await http.post(url, content=json.dumps({"id": "no-such-id", "status": "delivered"}).encode(),
                                  headers=missing_headers)
    for response in (tampered, unsigned, wrong_key):
        assert response.status_code == 401 and response.json()["code"] == "webhook.invalid_signature"
        assert response.headers["content-type"] == "application/problem+json"
    assert unknown.status_code == 404 and unknown.json()["code"] == "webhook.unknown_provider"
    assert malformed.status_code == 400 and malformed.json()["code"] == "webhook.malformed"
    assert missing.status_code == 404 and missing.json()["code"] == "webhook.unknown_message"
    assert h.metric("notification_webhooks_rejected_total", provider="sandbox-a",
                    reason="invalid_signature") == forged_before + 3
    assert h.metric("notification_webhooks_rejected_total", provider="unknown",
                    reason="unknown_provider") == unknown_before + 1
    [message] = [m for m in await h.messages(await _request_of(h, message_id)) if m["id"] == message_id]
    assert message["state"] == "sent"  # nothing changed
    assert [a["state"] for a in await h.attempts(message_id)] == ["accepted"]


async def test_a_negative_report_requeues_for_the_next_provider(harness) -> None:  # type: ignore[no-untyped-def]
    h = harness
    message_id, provider_id = await _sent_message(h)
    body, headers = _signed(h, "sandbox-a", {"id": provider_id, "status": "failed", "error": "absent 0812345678"})
    async with api_client(create_app(h.settings)) as http:
        response = await http.post("/v1/provider-webhooks/sandbox-a", content=body, headers=headers)
    assert response.json() == {"status": "applied", "message_state": "queued"}
    [message] = await h.messages(await _request_of(h, message_id))
    assert message["suspect_provider"] == "sandbox-a" and message["report_deadline"] is None
    [attempt] = await h.attempts(message_id)
    assert attempt["state"] == "rejected" and attempt["error"] == "reported failed: absent ****"


async def _request_of(h, message_id: uuid.UUID) -> str:  # type: ignore[no-untyped-def]
    async with h.sessions() as session:
        message = await MessageRepository(session).get(message_id)
        assert message is not None
        return message.request_id
