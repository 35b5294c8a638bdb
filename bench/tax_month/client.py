"""HTTP as the month's users call it: keep-alive clients, a retry where the API asks for one (429/503 with
Retry-After, e.g. identity's `login.overloaded`) or the connection failed, and a count of every retry so the report
can say how often the system pushed back."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

RETRY_STATUSES = (429, 502, 503, 504)
ATTEMPTS = 8


class UnexpectedAnswer(RuntimeError):
    def __init__(self, what: str, response: httpx.Response) -> None:
        super().__init__(f"{what}: {response.status_code} {response.text[:600]}")
        self.response = response


@dataclass
class Http:
    """One keep-alive client for the whole run, plus counts of what was retried and why."""

    client: httpx.AsyncClient
    retries: Counter[str] = field(default_factory=Counter)
    requests: int = 0

    @classmethod
    def open(cls, connections: int = 128, local_address: str | None = None) -> Http:
        transport = httpx.AsyncHTTPTransport(local_address=local_address, retries=0,
                                             limits=httpx.Limits(max_connections=connections,
                                                                 max_keepalive_connections=connections))
        return cls(httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(120.0, connect=10.0)))

    async def close(self) -> None:
        await self.client.aclose()

    async def call(self, method: str, url: str, *, expect: tuple[int, ...] = (200, 201, 202), what: str = "",
                   **kwargs: Any) -> httpx.Response:
        """The answer with an expected status; 429/5xx-unavailable and connection errors are retried (after
        Retry-After when given), anything else unexpected raises `UnexpectedAnswer`."""
        for attempt in range(1, ATTEMPTS + 1):
            self.requests += 1
            try:
                response = await self.client.request(method, url, **kwargs)
            except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError) as exc:
                self.retries[f"{what or url}: {type(exc).__name__}"] += 1
                if attempt == ATTEMPTS:
                    raise
                await asyncio.sleep(0.2 * attempt)
                continue
            if response.status_code in expect:
                return response
            if response.status_code in RETRY_STATUSES and attempt < ATTEMPTS:
                self.retries[f"{what or url}: {response.status_code}"] += 1
                await asyncio.sleep(_retry_after(response, attempt))
                continue
            raise UnexpectedAnswer(what or f"{method} {url}", response)
        raise AssertionError("unreachable")

    async def until(self, method: str, url: str, done: Any, *, timeout: float, interval: float = 0.2,
                    what: str = "", **kwargs: Any) -> tuple[Any, float]:
        """Poll until `done(json)` returns something other than None: (that value, seconds waited)."""
        started = time.monotonic()
        while True:
            body = (await self.call(method, url, what=what, **kwargs)).json()
            value = done(body)
            if value is not None:
                return value, time.monotonic() - started
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"{what or url}: not done after {timeout:.0f} s; last answer {str(body)[:400]}")
            await asyncio.sleep(interval)


def _retry_after(response: httpx.Response, attempt: int) -> float:
    try:
        return min(10.0, max(0.05, float(response.headers.get("retry-after", ""))))
    except ValueError:
        return min(5.0, 0.2 * 2 ** attempt)


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}
