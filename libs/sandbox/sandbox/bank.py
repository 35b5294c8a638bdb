"""The bank sandbox: a collecting bank a person trying the system pays billing codes at (tax-rules §4.2).

`POST /bank/pay {"billing_code": "..."}` does what a teller or an e-banking app does: it inquires the code at
payment's bank API (`GET /v1/bank/billing-codes/{code}`), and if the code is payable confirms the payment of the
amount the inquiry showed (`POST /v1/bank/payments`) with the bank's own reference and the time it took the money.
The answer carries the inquiry and payment's receipt with its NTPN; payment's refusals (problem+json, with their
stable codes) come back with their status. `amount` pays another amount (to see a refusal), `bank_reference` repeats
an earlier payment's reference (a bank's retry: the same NTPN, nothing paid twice). `GET /bank/payments` lists what
the sandbox paid.

The bank is a machine client of identity: a client-credentials token of a client of kind `bank` with the scope
`payment:bank`, fetched from `token_url` and kept until shortly before it expires (`make run` registers the client
and passes its id and secret). A fixed `token` can stand in for it (tests with their own signing key).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

TOKEN_MARGIN_S = 30  # fetch a new token this long before the current one expires


@dataclass(frozen=True)
class BankConfig:
    payment_url: str  # payment's API, e.g. http://127.0.0.1:8004
    token_url: str | None = None  # identity's token endpoint, for client credentials
    client_id: str | None = None
    client_secret: str | None = None
    token: str | None = None  # a fixed access token instead of client credentials
    name: str = "sandbox-bank"

    def env(self) -> dict[str, str]:
        values = {"PAYMENT_URL": self.payment_url, "TOKEN_URL": self.token_url, "CLIENT_ID": self.client_id,
                  "CLIENT_SECRET": self.client_secret, "TOKEN": self.token, "NAME": self.name}
        return {f"LONTAR_SANDBOX_BANK_{k}": v for k, v in values.items() if v is not None}

    @classmethod
    def from_env(cls, env: dict[str, str]) -> BankConfig | None:
        """None when `LONTAR_SANDBOX_BANK_PAYMENT_URL` is not set: the sandbox then has no bank."""
        url = env.get("LONTAR_SANDBOX_BANK_PAYMENT_URL")
        if not url:
            return None

        def get(name: str) -> str | None:
            return env.get(f"LONTAR_SANDBOX_BANK_{name}") or None

        return cls(payment_url=url, token_url=get("TOKEN_URL"), client_id=get("CLIENT_ID"),
                   client_secret=get("CLIENT_SECRET"), token=get("TOKEN"), name=get("NAME") or "sandbox-bank")


class PayRequest(BaseModel):
    billing_code: str = Field(min_length=1, max_length=32, examples=["012345678901234"])
    amount: str | None = Field(default=None, max_length=32,
                               description="default: the amount the inquiry shows (a bank takes exactly that)")
    bank_reference: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$",
                                       description="default: a new one; an earlier one repeats that payment")


class BankUnavailable(Exception):
    """The bank cannot get a token: say why, and what to do."""


@dataclass
class _Paid:
    bank_reference: str
    paid_at: str
    billing_code: str
    amount: str
    ntpn: str


@dataclass
class BankSandbox:
    config: BankConfig
    http: httpx.AsyncClient
    paid: list[_Paid] = field(default_factory=list)
    _token: str | None = None
    _token_until: float = 0.0
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def token(self, *, fresh: bool = False) -> str:
        if self.config.token:
            return self.config.token
        async with self._lock:
            if fresh or self._token is None or time.monotonic() >= self._token_until:
                self._token, lifetime = await self._client_credentials()
                self._token_until = time.monotonic() + max(lifetime - TOKEN_MARGIN_S, 1)
            return self._token

    async def _client_credentials(self) -> tuple[str, float]:
        c = self.config
        if not (c.token_url and c.client_id and c.client_secret):
            raise BankUnavailable("the bank sandbox has no client: set LONTAR_SANDBOX_BANK_CLIENT_ID, _CLIENT_SECRET "
                                  "and _TOKEN_URL (make run does), or LONTAR_SANDBOX_BANK_TOKEN")
        try:
            response = await self.http.post(c.token_url, data={
                "grant_type": "client_credentials", "client_id": c.client_id, "client_secret": c.client_secret})
        except httpx.HTTPError as exc:
            raise BankUnavailable(f"identity does not answer at {c.token_url}: {exc!r}") from None
        if response.status_code != 200:
            raise BankUnavailable(f"identity refused the bank's client ({response.status_code}: {response.text[:300]})"
                                  "; if identity's database was reset, delete bank-sandbox-client.json in the "
                                  "stack's data folder and start again")
        body = response.json()
        return str(body["access_token"]), float(body.get("expires_in", 300))

    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A call to payment with the bank's token; once more with a fresh token if it was refused as expired."""
        url = self.config.payment_url.rstrip("/") + path
        for fresh in (False, True):
            headers = {"authorization": f"Bearer {await self.token(fresh=fresh)}"}
            response = await self.http.request(method, url, headers=headers, **kwargs)
            if response.status_code != 401 or self.config.token:
                return response
        return response

    async def pay(self, request: PayRequest) -> JSONResponse:
        code = request.billing_code.strip()
        try:
            inquiry = await self.call("GET", f"/v1/bank/billing-codes/{code}")
            if inquiry.status_code != 200:
                return _relay("inquiry", inquiry)
            shown = inquiry.json()
            if shown.get("status") != "active" and request.bank_reference is None:
                return JSONResponse({"step": "inquiry", "error": "not_payable", "inquiry": shown,
                                     "detail": f"the code is {shown.get('status')}: the bank takes no money for it"},
                                    status_code=409)
            reference = request.bank_reference or f"{self.config.name.upper()}-{uuid.uuid4().hex[:16].upper()}"
            known = next((p for p in self.paid if p.bank_reference == reference), None)
            paid_at = known.paid_at if known else datetime.now(UTC).replace(microsecond=0).isoformat()
            body = {"billing_code": code, "amount": request.amount or shown["amount"], "bank_reference": reference,
                    "paid_at": paid_at}
            confirmation = await self.call("POST", "/v1/bank/payments", json=body)
        except BankUnavailable as exc:
            return JSONResponse({"error": "bank_unavailable", "detail": str(exc)}, status_code=503)
        except httpx.HTTPError as exc:
            return JSONResponse({"error": "payment_unreachable", "detail": repr(exc)}, status_code=502)
        if confirmation.status_code not in (200, 201):
            return _relay("confirmation", confirmation, inquiry=shown)
        receipt = confirmation.json()
        if known is None:
            self.paid.append(_Paid(reference, paid_at, code, body["amount"], receipt["ntpn"]))
        return JSONResponse({"bank": self.config.name, "ntpn": receipt["ntpn"], "bank_reference": reference,
                             "paid_at": paid_at, "inquiry": shown, "receipt": receipt},
                            status_code=confirmation.status_code)


def _relay(step: str, response: httpx.Response, **more: Any) -> JSONResponse:
    try:
        error: Any = response.json()
    except ValueError:
        error = response.text[:1000]
    return JSONResponse({"step": step, "error": error, **more}, status_code=response.status_code)


def bank_router(bank: BankSandbox | None) -> APIRouter:
    router = APIRouter(prefix="/bank", tags=["bank"])

    @router.post("/pay", summary="Pay a billing code as a collecting bank: inquiry, then confirmation (the NTPN)")
    async def pay(request: PayRequest) -> JSONResponse:
        if bank is None:
            return JSONResponse({"error": "bank_not_configured",
                                 "detail": "set LONTAR_SANDBOX_BANK_PAYMENT_URL (make run does)"}, status_code=503)
        return await bank.pay(request)

    @router.get("/payments", summary="What the bank sandbox paid, newest first")
    async def payments() -> list[dict[str, str]]:
        return [p.__dict__ for p in reversed(bank.paid)] if bank else []

    return router
