"""Setup (timed apart from the month): each taxpayer registers as a foreign resident with a stay permit (the
population registry's seeded data set holds a handful of NIKs, a passport any number), proves the two OTP codes the
sandboxes received, is made PKP by an officer, logs in and gets a Kode Otorisasi after the liveness check, all over
HTTP as in the README's walk-through. Each taxpayer calls from its own loopback address (127.2.x.y), as people do
from their own: identity limits OTPs per address (30 an hour)."""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from typing import Any

from bench.tax_month.client import Http, bearer
from bench.tax_month.months import Plan, is_late
from bench.tax_month.stack import RunningStack

PASSWORD = "Rahasia#Bulan2026"
PASSPHRASE = "Sandi#Bulan2026"
REFRESH_AFTER_S = 300  # identity's access tokens live 600 s
_CODE = re.compile(r"\b(\d{6})\b")
_LETTERS = "ABCDEFGHIJ"


@dataclass
class Taxpayer:
    index: int
    late: bool  # PKP since the late month, which it never files
    npwp: str = ""
    credential_id: str = ""
    access: str = ""
    refresh: str = ""
    issued_at: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    @property
    def address(self) -> str:
        return f"127.2.{self.index // 250}.{self.index % 250 + 1}"

    @property
    def email(self) -> str:
        return f"wp{self.index}@bulan.contoh.id"

    @property
    def phone(self) -> str:
        return f"0812{self.index:08d}"

    @property
    def name(self) -> str:  # a person's name takes no digits
        return "Wajib Pajak " + "".join(_LETTERS[int(d)] for d in str(self.index))


class People:
    """The taxpayers and the tokens they hold (refreshed with their refresh token when old, as an app does)."""

    def __init__(self, stack: RunningStack, http: Http, taxpayers: list[Taxpayer]) -> None:
        self.stack, self.http, self.taxpayers = stack, http, taxpayers

    async def headers(self, taxpayer: Taxpayer) -> dict[str, str]:
        async with taxpayer.lock:  # a refresh token is spent once: reuse revokes the family
            if time.monotonic() - taxpayer.issued_at > REFRESH_AFTER_S:
                response = await self.http.call(
                    "POST", f"{self.stack.api('identity')}/v1/oauth/token", what="refresh",
                    data={"grant_type": "refresh_token", "refresh_token": taxpayer.refresh})
                _take(taxpayer, response.json())
        return bearer(taxpayer.access)


def _take(taxpayer: Taxpayer, tokens: dict[str, Any]) -> None:
    taxpayer.access, taxpayer.refresh, taxpayer.issued_at = (tokens["access_token"], tokens["refresh_token"],
                                                             time.monotonic())


@dataclass
class SetupFigures:
    seconds: float = 0.0
    registered: int = 0
    steps_s: dict[str, list[float]] = field(default_factory=dict)

    def took(self, step: str, seconds: float) -> None:
        self.steps_s.setdefault(step, []).append(seconds)


async def set_up(stack: RunningStack, http: Http, plan: Plan, n: int, late_share: float,
                 concurrency: int) -> tuple[People, SetupFigures]:
    taxpayers = [Taxpayer(i, is_late(i, late_share)) for i in range(n)]
    figures = SetupFigures()
    officer = stack.officer("identity:officer")
    gate = asyncio.Semaphore(concurrency)
    started = time.monotonic()

    async def one(taxpayer: Taxpayer) -> None:
        async with gate:
            own = Http.open(4, local_address=taxpayer.address)
            try:
                await _register(stack, own, taxpayer, figures)
                t0 = time.monotonic()
                since = (plan.late if taxpayer.late else plan.month).first_day
                await own.call("POST", f"{stack.api('identity')}/internal/v1/taxpayers/{taxpayer.npwp}/pkp-status",
                               headers=officer, json={"is_pkp": True, "effective_date": since.isoformat()},
                               what="pkp decision")
                t1 = time.monotonic()
                figures.took("PKP decision (officer)", t1 - t0)
                login = await own.call("POST", f"{stack.api('identity')}/v1/oauth/token", what="login",
                                       data={"grant_type": "password", "username": taxpayer.npwp,
                                             "password": PASSWORD})
                _take(taxpayer, login.json())
                t2 = time.monotonic()
                figures.took("login", t2 - t1)
                credential = await own.call(
                    "POST", f"{stack.api('identity')}/v1/signing-credentials", headers=bearer(taxpayer.access),
                    json={"kind": "kode_otorisasi", "passphrase": PASSPHRASE,
                          "liveness_reference": f"ok-bulan-{taxpayer.index}"}, what="signing credential")
                taxpayer.credential_id = credential.json()["id"]
                figures.took("Kode Otorisasi (liveness check)", time.monotonic() - t2)
                figures.registered += 1
            finally:
                http.retries.update(own.retries)
                http.requests += own.requests
                await own.close()

    await asyncio.gather(*(one(t) for t in taxpayers))
    figures.seconds = time.monotonic() - started
    return People(stack, http, taxpayers), figures


async def _register(stack: RunningStack, http: Http, taxpayer: Taxpayer, figures: SetupFigures) -> None:
    t0 = time.monotonic()
    started = await http.call("POST", f"{stack.api('identity')}/v1/registrations", what="registration", json={
        "kind": "foreigner", "passport_number": f"B{taxpayer.index:08d}", "passport_country": "SGP",
        "nationality": "SGP", "passport_expiry": "2031-01-01", "full_name": taxpayer.name,
        "birth_date": "1980-01-01", "stay_permit_number": f"KITAS-{taxpayer.index:07d}",
        "stay_permit_expiry": "2030-01-01", "email": taxpayer.email, "phone": taxpayer.phone,
        "password": PASSWORD})
    registration = started.json()["registration_id"]
    email_code, phone_code = await asyncio.gather(_code(stack, http, taxpayer.email),
                                                  _code(stack, http, "+62" + taxpayer.phone[1:]))
    t1 = time.monotonic()
    figures.took("registration to both OTPs received", t1 - t0)
    verified = await http.call("POST", f"{stack.api('identity')}/v1/registrations/{registration}/verify",
                               json={"email_code": email_code, "phone_code": phone_code}, what="verify")
    taxpayer.npwp = verified.json()["npwp"]
    figures.took("verify (NPWP issued)", time.monotonic() - t1)


async def _code(stack: RunningStack, http: Http, to: str) -> str:
    def found(messages: list[dict[str, Any]]) -> str | None:
        for message in messages:
            match = _CODE.search(message.get("body") or "")
            if match:
                return match.group(1)
        return None

    code, _ = await http.until("GET", f"{stack.sandbox}/messages", found, params={"to": to}, timeout=120,
                               what="OTP at the sandbox")
    return str(code)
