"""Provider adapters: SMS over a provider-style HTTP JSON API, e-mail over SMTP. Each hands one message over and
returns the provider's message id, or raises ProviderError with a short reason that never contains message text
(provider error bodies are not copied: they may echo what was sent)."""

from __future__ import annotations

import asyncio
import re
import ssl
import uuid
from dataclasses import dataclass
from typing import Protocol

import aiosmtplib
import httpx

from notification.mime import envelope_sender, from_header, plain_text_email
from notification.settings import SmsProviderSettings, SmtpSettings

_ERROR_CODE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


@dataclass(frozen=True)
class Outgoing:
    """One hand-over: the text in clear (an OTP code included) lives only in this object, for this call."""

    message_id: str
    recipient: str
    subject: str | None
    body: str

    def __repr__(self) -> str:  # never print the text
        return f"Outgoing(message_id={self.message_id!r})"


class ProviderError(Exception):
    """The provider did not take the message. `permanent`: the same request will not succeed later either."""

    def __init__(self, reason: str, *, permanent: bool = False, timeout: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason[:300]
        self.permanent = permanent
        self.timeout = timeout


class Provider(Protocol):
    name: str
    channel: str
    delivery_reports: bool

    @property
    def saturated(self) -> bool:
        """Every connection is busy: a call now would first wait for one."""

    async def send(self, message: Outgoing) -> str: ...

    async def close(self) -> None: ...


class SmsHttpProvider:
    """`POST {base_url}/v1/messages` with `X-Api-Key`, JSON `{to, text, reference, callback_url}`; a 2xx answer
    carries the provider's message id (`{"id": ...}`), whose delivery report later comes to our webhook.

    Each provider has its own connection pool, no larger than the calls it lets through at once (`connections`):
    httpx looks at every pooled connection on every request, so one big shared pool made each call cost more."""

    channel = "sms"

    def __init__(self, settings: SmsProviderSettings, callback_url: str | None) -> None:
        self.name = settings.name
        self.settings = settings
        self.delivery_reports = settings.delivery_reports
        self._http = httpx.AsyncClient(limits=httpx.Limits(max_connections=settings.connections,
                                                           max_keepalive_connections=settings.connections))
        self._url = settings.base_url.rstrip("/") + "/v1/messages"
        self._callback_url = callback_url
        self._timeout = httpx.Timeout(settings.timeout_s, connect=min(settings.timeout_s, 2.0))
        self._connections = asyncio.Semaphore(settings.connections)

    @property
    def saturated(self) -> bool:
        return self._connections.locked()

    async def send(self, message: Outgoing) -> str:
        payload = {"to": message.recipient, "text": message.body, "reference": message.message_id}
        if self._callback_url:
            payload["callback_url"] = self._callback_url
        try:
            # One deadline for the whole exchange: httpx's timeouts are per phase, a trickling server could
            # otherwise hold the call far longer than timeout_s. It starts once the call has a connection slot:
            # waiting behind our own queue is not the provider being slow.
            async with self._connections, asyncio.timeout(self.settings.timeout_s):
                response = await self._http.post(self._url, json=payload, timeout=self._timeout, headers={
                    "x-api-key": self.settings.api_key.get_secret_value(), "accept": "application/json"})
        except (TimeoutError, httpx.TimeoutException):
            raise ProviderError(f"timeout after {self.settings.timeout_s:g}s", timeout=True) from None
        except httpx.HTTPError as exc:
            raise ProviderError(f"connection failed: {type(exc).__name__}") from None
        if response.status_code >= 300:
            raise ProviderError(f"HTTP {response.status_code}{_error_code(response)}",
                                permanent=response.status_code in (400, 404, 422))
        try:
            provider_id = response.json()["id"]
        except (ValueError, KeyError, TypeError):
            raise ProviderError("accepted without a message id") from None
        return str(provider_id)[:200]

    async def close(self) -> None:
        await self._http.aclose()


def _error_code(response: httpx.Response) -> str:
    try:
        code = response.json().get("error")
    except (ValueError, AttributeError):
        return ""
    return f" {code}" if isinstance(code, str) and _ERROR_CODE.match(code) else ""


class SmtpProvider:
    """E-mail through an SMTP relay, STARTTLS when the server offers it (or always, with `starttls=require`).
    Connections are kept open and reused, up to `connections` at a time."""

    channel = "email"
    delivery_reports = False

    def __init__(self, settings: SmtpSettings) -> None:
        self.name = settings.name
        self.settings = settings
        self._idle: list[aiosmtplib.SMTP] = []
        self._slots = asyncio.Semaphore(settings.connections)
        self._tls: ssl.SSLContext | None = None  # made at the first connection (the CA file may appear later)
        self._from = from_header(settings.sender)
        self._mail_from = envelope_sender(settings.sender)

    @property
    def saturated(self) -> bool:
        return self._slots.locked()

    async def send(self, message: Outgoing) -> str:
        provider_id = f"<{uuid.uuid4().hex}@notification.lontar>"
        email = plain_text_email(from_=self._from, to=message.recipient, subject=message.subject or "",
                                 body=message.body, message_id=provider_id)
        async with self._slots:
            try:
                async with asyncio.timeout(self.settings.timeout_s):
                    await self._send(email, message.recipient)
            except TimeoutError:
                raise ProviderError(f"timeout after {self.settings.timeout_s:g}s", timeout=True) from None
        return provider_id

    async def _send(self, email: bytes, recipient: str) -> None:
        reused = bool(self._idle)
        client = self._idle.pop() if reused else await self._connect()
        try:
            await client.sendmail(self._mail_from, [recipient], email)
        except aiosmtplib.SMTPServerDisconnected:
            await _quit(client)
            if not reused:
                raise ProviderError("server disconnected") from None
            client = await self._connect()  # the server dropped an idle connection: once more on a fresh one
            try:
                await client.sendmail(self._mail_from, [recipient], email)
            except BaseException as exc:
                await _quit(client)
                raise _smtp_error(exc) from None
        except BaseException as exc:
            await _quit(client)
            raise _smtp_error(exc) from None
        self._idle.append(client)

    async def _connect(self) -> aiosmtplib.SMTP:
        s = self.settings
        start_tls = {"auto": None, "require": True, "off": False}[s.starttls]
        if self._tls is None and s.starttls != "off":
            try:
                self._tls = ssl.create_default_context(cafile=s.ca_file)
            except OSError as exc:
                raise ProviderError(f"CA file unusable: {type(exc).__name__}") from None
        client = aiosmtplib.SMTP(hostname=s.host, port=s.port, timeout=s.timeout_s, start_tls=start_tls,
                                 tls_context=self._tls if s.starttls != "off" else None,
                                 username=s.username, password=s.password.get_secret_value() if s.password else None)
        try:
            await client.connect()
        except BaseException as exc:
            raise _smtp_error(exc) from None
        return client

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        await asyncio.gather(*(_quit(c) for c in idle))


def _smtp_error(exc: BaseException) -> BaseException:
    if isinstance(exc, ProviderError | asyncio.CancelledError):
        return exc
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = sorted({r.code for r in exc.recipients})
        return ProviderError(f"recipient refused ({', '.join(map(str, codes))})",
                             permanent=all(500 <= c < 600 for c in codes))
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return ProviderError(f"SMTP {exc.code}", permanent=500 <= exc.code < 600)
    if isinstance(exc, aiosmtplib.SMTPTimeoutError | TimeoutError):
        return ProviderError("SMTP timeout", timeout=True)
    if isinstance(exc, aiosmtplib.SMTPException | OSError | ssl.SSLError):
        return ProviderError(f"SMTP connection failed: {type(exc).__name__}")
    return exc


async def _quit(client: aiosmtplib.SMTP) -> None:
    try:
        if client.is_connected:
            await asyncio.wait_for(client.quit(), 2)
    except Exception:
        client.close()
