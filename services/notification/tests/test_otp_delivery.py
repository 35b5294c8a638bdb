"""OTP delivery end to end: a sealed request on the real broker, the worker, the SMS and SMTP sandboxes (real HTTP,
real SMTP with STARTTLS), delivery reports back over the webhook. The code reaches the provider and nothing else."""

from __future__ import annotations

import logging
import uuid

from contracts.notification import NotificationDelivered, NotificationFailed
from notification.dispatch import Dispatcher


async def test_sms_otp_reaches_the_provider_and_the_code_is_stored_nowhere(running, caplog) -> None:  # type: ignore[no-untyped-def]
    h = running
    phone = h.phone()  # +628xxxxxxxxxx, written as people type it: 08xx xxxx xxxx
    request, code = h.otp_request(channel="sms", destination=f"0{phone[3:6]} {phone[6:10]}-{phone[10:]}")
    await h.send_otp(request)

    message = await h.message_in_state(request.request_id, "delivered")
    [sms] = await h.received(message["recipient"])
    assert code in sms["body"] and sms["provider"] == "sandbox-a" and sms["channel"] == "sms"
    assert message["recipient"] == phone and message["kind"] == "otp" and message["template"] == "otp.login"
    assert "******" in message["body"] and code not in message["body"]
    assert message["sealed_code"] is None and message["delivered_at"] is not None
    [attempt] = await h.attempts(message["id"])
    assert attempt["provider"] == "sandbox-a" and attempt["state"] == "delivered" and attempt["latency_ms"] >= 0
    statuses = [e.status for e in await h.outbox("NotificationDelivered", request.request_id)]
    assert statuses == ["sent", "delivered"]

    assert code not in await h.database_text()
    logged = "\n".join(r.getMessage() + " " + repr(r.__dict__) for r in caplog.records)
    assert "delivery round done" in logged  # the logs were captured ...
    assert code not in logged  # ... and the code is not in them


async def test_email_otp_goes_through_smtp_with_starttls(running) -> None:  # type: ignore[no-untyped-def]
    h = running
    request, code = h.otp_request(channel="email", destination=h.email().upper().replace("EXAMPLE", "Example"),
                                  purpose="password_reset", locale="en")
    await h.send_otp(request)

    message = await h.message_in_state(request.request_id, "sent")
    [mail] = await h.received(message["recipient"])
    assert mail["channel"] == "email" and mail["subject"] == "Lontar password reset: your verification code"
    assert code in mail["body"] and "valid until" in mail["body"]
    assert message["sealed_code"] is None and code not in await h.database_text()
    [event] = await h.outbox("NotificationDelivered", request.request_id)
    assert event == NotificationDelivered(message_id=str(message["id"]), request_id=request.request_id,
                                          channel="email", provider="smtp", status="sent", at=event.at)


async def test_fails_over_to_the_second_provider(running) -> None:  # type: ignore[no-untyped-def]
    """The first provider, in turn: slow (times out: 0.5 s timeout), fail (HTTP 503), drop (accepts, never reports:
    the report timeout fails it over), reject (accepts, then a negative delivery report)."""
    h = running
    for mode, first in [("slow", "failed"), ("fail", "failed"), ("drop", "unconfirmed"), ("reject", "rejected")]:
        await h.set_mode("sandbox-a", mode, delay_ms=3000 if mode == "slow" else 0)
        h.reset_health()  # else the failures so far rightly demote sandbox-a, and b would be tried first
        request, code = h.otp_request()
        await h.send_otp(request)

        message = await h.message_in_state(request.request_id, "delivered", timeout=20)
        [sms] = await h.received(message["recipient"])
        assert sms["provider"] == "sandbox-b" and code in sms["body"], mode
        attempts = [(a["provider"], a["state"]) for a in await h.attempts(message["id"])]
        assert attempts == [("sandbox-a", first), ("sandbox-b", "delivered")], mode
        assert message["provider"] == "sandbox-b" and message["sealed_code"] is None
        statuses = [e.status for e in await h.outbox("NotificationDelivered", request.request_id)]
        assert statuses[-1] == "delivered" and "sent" in statuses, mode


async def test_nothing_delivers_then_notification_failed_is_published(running) -> None:  # type: ignore[no-untyped-def]
    h = running
    for provider in ("sandbox-a", "sandbox-b"):
        await h.set_mode(provider, "fail")
    request, _code = h.otp_request()
    await h.send_otp(request)

    message = await h.message_in_state(request.request_id, "failed", timeout=20)
    assert message["attempts"] == h.settings.delivery.max_attempts and message["sealed_code"] is None
    assert message["error"].startswith("undeliverable:")
    [event] = await h.outbox("NotificationFailed", request.request_id)
    assert isinstance(event, NotificationFailed) and event.attempts == h.settings.delivery.max_attempts
    assert event.message_id == str(message["id"]) and event.channel == "sms"
    assert await h.sandbox_messages(message["recipient"]) == []
    states = {(a["provider"], a["state"]) for a in await h.attempts(message["id"])}
    assert states == {("sandbox-a", "failed"), ("sandbox-b", "failed")}


async def test_an_expired_request_is_not_sent(running) -> None:  # type: ignore[no-untyped-def]
    h = running
    request, _ = h.otp_request(expires_in=-1)
    before = h.metric("notification_rejected_total", kind="otp", reason="expired")
    await h.send_otp(request)

    message = await h.message_in_state(request.request_id, "failed")
    assert message["error"].startswith("expired") and message["attempts"] == 0 and message["sealed_code"] is None
    [event] = await h.outbox("NotificationFailed", request.request_id)
    assert event.reason.startswith("expired") and event.attempts == 0
    assert h.metric("notification_rejected_total", kind="otp", reason="expired") == before + 1
    assert await h.sandbox_messages(message["recipient"]) == []


async def test_rate_limit_per_destination(running) -> None:  # type: ignore[no-untyped-def]
    h = running
    phone, account = h.phone(), str(uuid.uuid4())  # one account asking again and again: one partition, in order
    requests = [h.otp_request(destination=phone, account_id=account)[0] for _ in range(5)]
    for request in requests:
        await h.send_otp(request)

    outcomes = [await h.message_in_state(r.request_id, "delivered", "failed") for r in requests]
    assert [m["state"] for m in outcomes] == ["delivered"] * 3 + ["failed"] * 2
    assert all(m["error"].startswith("rate_limited") for m in outcomes[3:])
    assert len(await h.received(phone, at_least=3)) == 3
    for request in requests[3:]:
        [event] = await h.outbox("NotificationFailed", request.request_id)
        assert event.reason.startswith("rate_limited")


async def test_a_redelivered_or_repeated_command_sends_one_message(running) -> None:  # type: ignore[no-untyped-def]
    h = running
    request, code = h.otp_request()
    envelope = await h.send_otp(request)
    await h.send(request, key=request.account_id, envelope=envelope)  # the same record again: the kit inbox drops it
    await h.send_otp(request)  # the same request in a new envelope: the message's unique key drops it

    message = await h.message_in_state(request.request_id, "delivered")
    await h.received(message["recipient"])
    await h.message_in_state(request.request_id, "delivered")
    assert len(await h.messages(request.request_id)) == 1
    assert len(await h.sandbox_messages(message["recipient"])) == 1
    assert len(await h.outbox("NotificationDelivered", request.request_id)) == 2  # sent, delivered: once each


async def test_bad_requests_are_refused_counted_and_the_worker_keeps_going(running, caplog) -> None:  # type: ignore[no-untyped-def]
    h = running
    wrong_key_seal = __import__("kit.sealing", fromlist=["seal"]).seal(
        __import__("kit.sealing", fromlist=["generate_keypair"]).generate_keypair()[1], b"123456")
    cases = {
        "invalid_destination": [h.otp_request(destination="0212 555 1234")[0],  # a fixed line, not a mobile
                                h.otp_request(destination="+1 415 555 0100")[0],
                                h.otp_request(channel="email", destination="budi@@example..com")[0],
                                h.otp_request(channel="email", destination="budi@example.com\r\nBcc: x@y.id")[0]],
        "sealed_payload_unreadable": [h.otp_request(sealed_code=wrong_key_seal)[0],
                                      h.otp_request(sealed_code="A" * 60)[0]],
    }
    before = {r: h.metric("notification_rejected_total", kind="otp", reason=r) for r in cases}
    for requests in cases.values():
        for request in requests:
            await h.send_otp(request)
    good, code = h.otp_request()
    await h.send_otp(good)

    for reason, requests in cases.items():
        for request in requests:
            message = await h.message_in_state(request.request_id, "failed")
            assert message["error"].startswith(reason), (reason, message["error"])
            [event] = await h.outbox("NotificationFailed", request.request_id)
            assert event.reason.startswith(reason)
            assert await h.sandbox_messages(message["recipient"]) == []
            assert await h.attempts(message["id"]) == []
        assert h.metric("notification_rejected_total", kind="otp", reason=reason) == before[reason] + len(requests)
    delivered = await h.message_in_state(good.request_id, "delivered")
    assert code in (await h.received(delivered["recipient"]))[0]["body"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR and "Traceback" in r.getMessage()]


async def test_provider_health_steers_routing(running) -> None:  # type: ignore[no-untyped-def]
    """After a failure sandbox-a is demoted: the next message goes straight to sandbox-b. Once that trouble is old
    (the health window has passed), sandbox-a, working again, is first again."""
    h = running
    breaker = h.worker_state.get(Dispatcher).health["sandbox-a"]
    await h.set_mode("sandbox-a", "fail")

    async def providers_tried() -> list[str]:
        request, _ = h.otp_request()
        await h.send_otp(request)
        message = await h.message_in_state(request.request_id, "delivered")
        return [a["provider"] for a in await h.attempts(message["id"])]

    assert await providers_tried() == ["sandbox-a", "sandbox-b"]
    assert breaker.degraded
    assert await providers_tried() == ["sandbox-b"]  # skipped, not tried

    await h.set_mode("sandbox-a", "ok")
    later = breaker.clock() + h.settings.breaker.window_s + 1
    breaker.clock = lambda: later
    assert await providers_tried() == ["sandbox-a"]
    assert h.metric("notification_provider_circuit_state", provider="sandbox-a") == 0


async def test_a_request_without_a_template_is_refused(settings, api, harness, templates_dir) -> None:  # type: ignore[no-untyped-def]
    """The operator's template folder lacks `otp.login`: such requests fail with a reason; others still go."""
    from notification import worker

    h = harness
    custom = settings.model_copy(update={"templates_dir": str(templates_dir),
                                         "webhook_base_url": f"{api}/v1/provider-webhooks"})
    app = worker.create_app(custom, group_suffix=f".{uuid.uuid4().hex[:8]}")
    before = h.metric("notification_rejected_total", kind="otp", reason="unknown_template")
    async with app.router.lifespan_context(app):
        login, _ = h.otp_request(purpose="login")
        reset, code = h.otp_request(purpose="password_reset")
        await h.send_otp(login)
        await h.send_otp(reset)
        refused = await h.message_in_state(login.request_id, "failed")
        assert refused["error"].startswith("unknown_template") and refused["attempts"] == 0
        [event] = await h.outbox("NotificationFailed", login.request_id)
        assert event.reason.startswith("unknown_template")
        assert await h.sandbox_messages(refused["recipient"]) == []
        sent = await h.message_in_state(reset.request_id, "delivered")
        assert code in (await h.received(sent["recipient"]))[0]["body"]
    assert h.metric("notification_rejected_total", kind="otp", reason="unknown_template") == before + 1
