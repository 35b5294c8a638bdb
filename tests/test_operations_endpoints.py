"""Every process answers /healthz, /readyz, /metrics; every API serves its OpenAPI and offline docs."""

from __future__ import annotations

import re

import httpx
import pytest

from devstack.config import SERVICES
from devstack.stack import Stack


def processes(stack: Stack) -> list[tuple[str, str]]:
    return [(f"{s}-{kind}", url) for s in SERVICES
            for kind, url in (("api", stack.config.api_url(s)), ("worker", stack.config.worker_url(s)))]


async def test_health_readiness_and_metrics_of_every_process(stack: Stack) -> None:
    async with httpx.AsyncClient(timeout=5) as http:
        for name, url in processes(stack):
            assert (await http.get(f"{url}/healthz")).json()["status"] == "ok", name
            ready = await http.get(f"{url}/readyz")
            assert ready.status_code == 200, (name, ready.text)
            assert ready.json()["checks"] == {"database": {"status": "up"}, "broker": {"status": "up"}}
            metrics = (await http.get(f"{url}/metrics")).text
            assert re.search(r'^outbox_pending_count\{service="\w+"\} \d', metrics, re.M), name
            assert "http_request_duration_seconds_bucket" in metrics, name
            assert "http_requests_total{" in metrics, name


@pytest.mark.parametrize("service", SERVICES)
async def test_openapi_and_docs_work_without_internet(stack: Stack, service: str) -> None:
    url = stack.config.api_url(service)
    async with httpx.AsyncClient(timeout=5) as http:
        spec = (await http.get(f"{url}/openapi.json")).json()
        assert spec["openapi"].startswith("3.")
        assert "/readyz" in spec["paths"]
        html = (await http.get(f"{url}/docs")).text
        assets = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert assets and all(a.startswith("/docs/static/") for a in assets), assets
        for asset in assets:
            response = await http.get(f"{url}{asset}")
            assert response.status_code == 200 and len(response.content) > 0, asset
