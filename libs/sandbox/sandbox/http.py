"""The sandbox HTTP API: what was received (`GET /messages?to=`), provider behaviour controls, the SMS provider
APIs themselves (`POST /sms/{provider}/v1/messages`, API key in `X-Api-Key`), which report delivery to the caller's
`callback_url` with an HMAC-SHA256 signature (`X-Signature: sha256=<hex>` over the raw body), retrying on failure as
real providers do, and the bank sandbox (`POST /bank/pay`, sandbox.bank) that pays billing codes at payment."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

import httpx
from fastapi import FastAPI, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from sandbox.bank import BankSandbox, bank_router
from sandbox.settings import SandboxSettings, SmsProviderConfig
from sandbox.smtp import PROVIDER as SMTP_PROVIDER
from sandbox.store import MODES, ProviderMode, Received, Store

log = logging.getLogger(__name__)
REPORT_RETRY_DELAYS_S = (0.2, 0.5, 1.0, 2.0, 4.0, 8.0)


class ModeChange(BaseModel):
    mode: str = Field(description="ok | slow (answer after delay_ms) | fail (HTTP 503 / SMTP 451) | "
                                  "drop (accept, never deliver, no report) | reject (accept, then a failed report; "
                                  "SMTP 550)")
    delay_ms: int = Field(default=0, ge=0, le=120_000)


class SmsRequest(BaseModel):
    to: str = Field(min_length=3, max_length=32)
    text: str = Field(min_length=1, max_length=1600)
    reference: str | None = Field(default=None, max_length=200)
    callback_url: str | None = Field(default=None, max_length=2000)


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def create_app(settings: SandboxSettings, store: Store, *, bank_http: httpx.AsyncClient | None = None) -> FastAPI:
    """`bank_http`: how the bank sandbox reaches identity and payment (default: over the network, as a bank would)."""
    providers = {p.name: p for p in settings.providers}
    reports: set[asyncio.Task[None]] = set()
    http = httpx.AsyncClient(timeout=httpx.Timeout(5.0), limits=httpx.Limits(max_connections=50))
    bank = BankSandbox(settings.bank, bank_http or http) if settings.bank else None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            for task in list(reports):
                task.cancel()
            await http.aclose()

    app = FastAPI(title="Lontar sandboxes", version="0.1.0", lifespan=lifespan,
                  description="SMTP and SMS provider sandboxes that keep what they receive, and a bank that pays "
                              "billing codes.")
    app.include_router(bank_router(bank))

    @app.get("/healthz")
    @app.get("/readyz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": "sandbox"}

    @app.get("/messages", summary="What the sandboxes received, newest first")
    async def messages(
        to: Annotated[str | None, Query(description="e-mail address or phone number")] = None,
        channel: Annotated[str | None, Query(pattern="^(sms|email)$")] = None,
        provider: str | None = None,
        limit: Annotated[int, Query(ge=1, le=100_000)] = 100,
    ) -> list[dict[str, Any]]:
        return [m.as_json() for m in store.find(to=to, channel=channel, provider=provider, limit=limit)]

    @app.delete("/messages", status_code=204, summary="Forget what was received")
    async def clear() -> None:
        store.messages.clear()

    @app.post("/reset", status_code=204, summary="Forget everything and set every provider back to ok")
    async def reset() -> None:
        store.reset()

    @app.get("/stats", summary="Counts per provider and outcome")
    async def stats() -> dict[str, Any]:
        out: dict[str, dict[str, int]] = {}
        for (provider, outcome), n in store.counts.items():
            out.setdefault(provider, {})[outcome] = n
        return {"kept": len(store.messages), "providers": out}

    @app.get("/providers", summary="Each provider and how it is told to behave")
    async def list_providers() -> dict[str, Any]:
        names = [*providers, SMTP_PROVIDER]
        return {n: {"channel": "email" if n == SMTP_PROVIDER else "sms", **store.mode_of(n).__dict__}
                for n in names}

    @app.put("/providers/{name}/mode", summary="Make a provider slow, fail, reject or drop (or ok again)")
    async def set_mode(name: str, change: ModeChange) -> dict[str, Any]:
        if name not in providers and name != SMTP_PROVIDER:
            raise HTTPException(404, f"no sandbox provider {name!r}")
        if change.mode not in MODES:
            raise HTTPException(422, f"mode must be one of {', '.join(MODES)}")
        store.modes[name] = ProviderMode(change.mode, change.delay_ms)
        return {"provider": name, **store.modes[name].__dict__}

    @app.post("/sms/{name}/v1/messages", status_code=202, summary="SMS provider API: send one text message")
    async def send_sms(name: str, body: SmsRequest,
                       x_api_key: Annotated[str | None, Header()] = None) -> JSONResponse:
        provider = providers.get(name)
        if provider is None:
            return JSONResponse({"error": "unknown_provider"}, status_code=404)
        if x_api_key is None or not hmac.compare_digest(x_api_key.encode(), provider.api_key.encode()):
            store.count(name, "unauthorised")
            return JSONResponse({"error": "invalid_api_key"}, status_code=401)
        if not body.to.startswith("+") or not body.to[1:].isdigit():
            store.count(name, "invalid")
            return JSONResponse({"error": "invalid_destination"}, status_code=400)
        mode = store.mode_of(name)
        if mode.mode == "slow" and mode.delay_ms:
            await asyncio.sleep(mode.delay_ms / 1000)
        if mode.mode == "fail":
            store.count(name, "failed")
            return JSONResponse({"error": "temporarily_unavailable"}, status_code=503)
        message_id = uuid.uuid4().hex
        if mode.mode == "drop":
            store.count(name, "dropped")
        elif mode.mode == "reject":
            store.count(name, "rejected")
            _report_later(provider, body, message_id, "failed", "undeliverable: subscriber unreachable")
        else:
            store.keep(Received(channel="sms", provider=name, recipient=body.to, body=body.text,
                                reference=body.reference))
            _report_later(provider, body, message_id, "delivered", None)
        return JSONResponse({"id": message_id, "status": "accepted"}, status_code=202)

    def _report_later(provider: SmsProviderConfig, request: SmsRequest, message_id: str, status: str,
                      error: str | None) -> None:
        if not request.callback_url:
            return
        task = asyncio.create_task(_report(provider, request.callback_url, {
            "id": message_id, "reference": request.reference, "status": status, "error": error,
            "at": datetime.now(UTC).isoformat(),
        }))
        reports.add(task)
        task.add_done_callback(reports.discard)

    async def _report(provider: SmsProviderConfig, url: str, report: dict[str, Any]) -> None:
        await asyncio.sleep(settings.report_delay_ms / 1000)
        raw = json.dumps(report).encode()
        headers = {"content-type": "application/json", "x-signature": sign(provider.webhook_secret, raw)}
        for delay in (*REPORT_RETRY_DELAYS_S, None):
            try:
                response = await http.post(url, content=raw, headers=headers)
                if response.status_code < 300:
                    store.count(provider.name, f"report_{report['status']}")
                    return
                if response.status_code in (400, 401, 403):
                    store.count(provider.name, f"report_refused_{response.status_code}")
                    return
            except httpx.HTTPError as exc:
                log.info("delivery report not delivered", extra={"provider": provider.name, "error": repr(exc)})
            if delay is None:
                store.count(provider.name, "report_given_up")
                return
            await asyncio.sleep(delay)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("sandbox error")
        return JSONResponse({"error": "internal"}, status_code=500)

    return app
