"""Who takes part in the month, and how they reach the stack: only the public and partner HTTP APIs and the
sandboxes' HTTP. People register with OTP codes read from the SMS and mail sandboxes and log in with identity's
password grant; they act for a taxpayer by token exchange; a PJAP uses its client credentials; officers, agencies
and the land office use tokens minted with the stack's development key, as `python -m devstack token --kind ...`
does (`devstack.cli`)."""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx

from devstack.stack import Stack
from devstack.testing.tokens import stack_tokens
from kit.testing.messaging import eventually

CODE = re.compile(r"\b([0-9]{6})\b")
EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"
PASSWORD = "Rahasia#Bulan2026"
PASSPHRASE = "Sandi#Rahasia2026"


class Refused(AssertionError):
    """An API answered otherwise than the scenario expected: the status, the problem code and the body."""

    def __init__(self, response: httpx.Response, expected: tuple[int, ...]) -> None:
        self.response = response
        self.status = response.status_code
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text[:2000]
        self.body = body
        self.code = body.get("code") if isinstance(body, dict) else None
        super().__init__(f"{response.request.method} {response.request.url} -> {response.status_code} "
                         f"(expected {expected}): {str(body)[:2000]}")


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


TRANSIENT_RETRIES = 5


@dataclass
class Api:
    """One HTTP client for every service of a running stack, by service name."""

    stack: Stack
    http: httpx.AsyncClient

    def url(self, service: str) -> str:
        return self.stack.config.sandbox_url if service == "sandbox" else self.stack.config.api_url(service)

    async def call(self, method: str, service: str, path: str, *, expect: int | tuple[int, ...] = (200, 201),
                   **kwargs: Any) -> Any:
        """The JSON answer of a call that must answer `expect`; `Refused` otherwise. A 503 with `Retry-After` (a
        dependency that did not answer: nothing was written) is retried after the delay, as a client must, a few
        times."""
        expected = (expect,) if isinstance(expect, int) else expect
        for attempt in range(TRANSIENT_RETRIES + 1):
            response = await self.http.request(method, self.url(service) + path, **kwargs)
            if response.status_code != 503 or "retry-after" not in response.headers or attempt == TRANSIENT_RETRIES:
                break
            await asyncio.sleep(float(response.headers["retry-after"]))
        if response.status_code not in expected:
            raise Refused(response, expected)
        if not response.content:
            return None
        return response.json() if "json" in response.headers.get("content-type", "") else response.content

    async def refused(self, method: str, service: str, path: str, **kwargs: Any) -> Refused:
        """A call the scenario expects to be refused (any 4xx): the refusal, to be looked at."""
        response = await self.http.request(method, self.url(service) + path, **kwargs)
        if not 400 <= response.status_code < 500:
            raise AssertionError(f"{method} {path} should have been refused: {response.status_code} "
                                 f"{response.text[:1000]}")
        return Refused(response, ())

    # -- tokens minted with the stack's development key (`python -m devstack token`) ---------------------------
    def machine(self, *scopes: str, kind: str = "internal") -> dict[str, str]:
        client = f"devstack-{kind}"
        return bearer(stack_tokens(self.stack.config.data_dir).make(
            subject=client, scopes=scopes, expires_in=3600, client_id=client, client_kind=kind))

    def officer(self, *scopes: str) -> dict[str, str]:
        return self.machine(*scopes, kind="officer")

    # -- OTP codes from the sandboxes -------------------------------------------------------------------------
    async def otp(self, to: str, *, after: set[str] | None = None) -> str:
        """The newest code sent to `to` (an e-mail address or an E.164 phone) in a message not in `after`."""
        found: dict[str, str] = {}

        async def arrived() -> bool:
            for message in await self.call("GET", "sandbox", "/messages", params={"to": to}):
                if after is not None and message["id"] in after:
                    continue
                match = CODE.search(message["body"] or "")
                if match:
                    found["code"] = match.group(1)
                    return True
            return False

        await eventually(arrived, 90, f"an OTP for {to}")
        return found["code"]

    async def messages(self, to: str) -> list[dict[str, Any]]:
        return list(await self.call("GET", "sandbox", "/messages", params={"to": to, "limit": 1000}))

    # -- identity ---------------------------------------------------------------------------------------------
    async def register(self, body: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
        """Registration by the public route, verified with the two codes the sandboxes received."""
        phone = "+62" + body["phone"][1:] if body["phone"].startswith("0") else body["phone"]
        seen = {m["id"] for to in (body["email"], phone) for m in await self.messages(to)}
        started = await self.call("POST", "identity", "/v1/registrations", json=body, headers=headers or {},
                                  expect=(201, 202))
        codes = {"email_code": await self.otp(body["email"], after=seen),
                 "phone_code": await self.otp(phone, after=seen)}
        return dict(await self.call("POST", "identity", f"/v1/registrations/{started['registration_id']}/verify",
                                    json=codes, expect=201))

    async def login(self, username: str, password: str = PASSWORD) -> str:
        answer = await self.call("POST", "identity", "/v1/oauth/token", data={
            "grant_type": "password", "username": username, "password": password}, expect=200)
        return str(answer["access_token"])

    async def exchange(self, person_token: str, npwp: str) -> str:
        """The person's token exchanged for one acting for `npwp` (a role the PIC granted, or the PIC's own)."""
        answer = await self.call("POST", "identity", "/v1/oauth/token", expect=200, data={
            "grant_type": EXCHANGE, "subject_token": person_token, "subject_token_type": ACCESS_TOKEN,
            "resource": f"urn:lontar:taxpayer:{npwp}"})
        return str(answer["access_token"])

    async def client_token(self, client_id: str, secret: str, npwp: str | None = None) -> str:
        data = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
        if npwp is not None:
            data["resource"] = f"urn:lontar:taxpayer:{npwp}"
        return str((await self.call("POST", "identity", "/v1/oauth/token", data=data, expect=200))["access_token"])

    # -- the bank sandbox -------------------------------------------------------------------------------------
    async def pay(self, billing_code: str) -> dict[str, Any]:
        """Pay a code at the bank sandbox (inquiry, then confirmation with its own client): its receipt."""
        return dict(await self.call("POST", "sandbox", "/bank/pay", json={"billing_code": billing_code},
                                    expect=201))


@dataclass
class Person:
    """Someone with a login: a resident (NIK) or a passport holder."""

    name: str
    login: str  # NIK, NPWP or identity number
    identity_number: str
    email: str
    phone: str
    npwp: str | None = None
    token: str = ""

    def headers(self) -> dict[str, str]:
        return bearer(self.token)


@dataclass
class Taxpayer:
    npwp: str
    name: str
    email: str
    kind: str  # individual | company


@dataclass
class Cast:
    """Everyone in the month, filled in as the steps create them."""

    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    people: dict[str, Person] = field(default_factory=dict)
    taxpayers: dict[str, Taxpayer] = field(default_factory=dict)
    credential_id: str = ""
    pjap: dict[str, str] = field(default_factory=dict)  # client_id, client_secret

    def unique_phone(self, n: int) -> str:
        """A mobile number of this run (the OTP limits are per destination)."""
        return f"0812{int(self.tag, 16) % 10**5:05d}{n:02d}"[:13]

    def email(self, who: str) -> str:
        return f"{who}.{self.tag}@example.id"


def foreigner(cast: Cast, who: str, *, full_name: str, country: str, passport: str | None = None,
              taxpayer: bool = False, phone_no: int = 0) -> dict[str, Any]:
    """A passport holder's registration: an identity only (a company's people), or with a stay permit for an NPWP."""
    today = date.today()
    body: dict[str, Any] = {
        "kind": "foreigner", "passport_number": passport or f"P{int(cast.tag, 16) % 10**6:06d}{phone_no:02d}",
        "passport_country": country, "nationality": country, "passport_expiry": str(today + timedelta(days=1800)),
        "full_name": full_name, "birth_date": "1979-05-14", "email": cast.email(who),
        "phone": cast.unique_phone(phone_no), "password": PASSWORD, "register_as_taxpayer": taxpayer}
    if taxpayer:
        body |= {"stay_permit_number": f"2C11{cast.tag[:6].upper()}", "stay_permit_expiry":
                 str(today + timedelta(days=700))}
    return body


async def register_person(api: Api, cast: Cast, who: str, body: dict[str, Any]) -> Person:
    done = await api.register(body)
    login = done["npwp"] or done["identity_number"]
    person = Person(name=body["full_name"], login=body.get("nik") or login, identity_number=done["identity_number"],
                    email=body["email"], phone=body["phone"], npwp=done["npwp"])
    person.token = await api.login(person.login)
    cast.people[who] = person
    return person
