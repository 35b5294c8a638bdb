"""Issue 12, items 1, 4 and 6 on notification: NUL in a query parameter, forged cursors, a 422 that echoed the
request's 50 MiB back, and huge bodies; each a coded 4xx with a small answer, nothing stored. The API alone runs here
(in-process, the real database): no provider, broker or worker is needed to refuse input."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from kit.auth import JWKSCache
from kit.testing.events import random_npwp
from kit.testing.hostile import JSON, MiB, forged_cursor, peak_memory, raw_json, streamed
from kit.testing.service import api_client, service_settings
from kit.testing.tokens import TokenMaker
from notification.main import create_app
from notification.settings import NotificationSettings

MAKER = TokenMaker()


@pytest.fixture
async def http(infra: Any) -> AsyncIterator[httpx.AsyncClient]:
    settings = service_settings(infra, NotificationSettings, "notification")
    async with api_client(create_app(settings, jwks=JWKSCache(settings.auth, keys=MAKER.jwks()))) as client:
        yield client


def _codes(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


def _bearer(npwp: str) -> dict[str, str]:
    return {"authorization": f"Bearer {MAKER.make(taxpayer_ids=[npwp])}"}


async def test_nul_in_request_id_is_422(http: httpx.AsyncClient) -> None:
    r = await http.get("/internal/v1/messages", params={"request_id": "otp-\u0000-1"},
                       headers=MAKER.service_headers("notification:messages"))
    assert _codes(r) == (422, "text.invalid_character"), r.text
    assert r.json()["errors"][0]["loc"] == ["query", "request_id"]


@pytest.mark.parametrize("created_at", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00",
                                        "2025-01-01T00:00:00", "not a date"])
async def test_forged_inbox_cursors_are_400(http: httpx.AsyncClient, created_at: str) -> None:
    npwp = random_npwp()
    r = await http.get("/v1/inbox", params={"cursor": forged_cursor(created_at)}, headers=_bearer(npwp))
    assert _codes(r) == (400, "pagination.invalid_cursor"), r.text


async def test_errors_echo_a_bounded_excerpt_of_the_input(http: httpx.AsyncClient) -> None:
    npwp = random_npwp()
    h = {**_bearer(npwp), **JSON}
    huge_key = "n" * (MiB - 1024)  # under the body limit: the answer must still be small
    r = await http.put("/v1/preferences", content=raw_json({"notices": {huge_key: True}}), headers=h)
    assert r.status_code == 422 and len(r.content) < 4096, len(r.content)
    r = await http.put(f"/internal/v1/recipients/{npwp}", content=raw_json({"email": "e" * (MiB - 1024)}),
                       headers={**MAKER.service_headers("notification:recipients"), **JSON})
    assert r.status_code == 422 and len(r.content) < 4096, len(r.content)
    r = await http.get("/v1/preferences", headers=_bearer(npwp))
    assert r.status_code == 200 and all(n["enabled"] for n in r.json()["notices"])


async def test_a_50_mib_body_is_413_without_being_held(http: httpx.AsyncClient) -> None:
    npwp = random_npwp()
    with peak_memory() as peak:
        r = await http.put("/v1/preferences", content=streamed(50 * MiB), headers={**_bearer(npwp), **JSON})
    assert _codes(r) == (413, "request.too_large")
    assert peak.bytes < 8 * MiB, f"{peak.bytes / MiB:.1f} MiB held for one request"
    with peak_memory() as peak:
        r = await http.post("/v1/provider-webhooks/sandbox-a", content=streamed(50 * MiB),
                            headers={"content-length": str(50 * MiB), **JSON})
    assert _codes(r) == (413, "request.too_large")
    assert peak.bytes < 8 * MiB
