"""Signed, durable webhooks to other parties' URLs (invoice's completion webhooks to integrators; payment's calls to
the land office), with the guard that keeps them from reaching anything that is not public.

Durable: a service writes a `webhook_delivery` row (`enqueue`) in the transaction that decides to call out, so the
call cannot be lost or made for a change that rolled back; a loop in its processes sends what is due
(`deliver_due`): claimed in a short transaction, POSTed together with no transaction open, then marked delivered,
rescheduled with capped exponential back-off, or failed after `max_attempts`. At least once: receivers deduplicate
on the `Lontar-Delivery` header (the row's id, the same on every attempt).

Signature: header `Lontar-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(key, "<t>.<raw body>")>`, where key =
`client_key(secret, client_id)` = hex HMAC-SHA256(settings.secret, client id): a key per receiving client, from one
server secret. Receivers check it with `verify`.

SSRF guard (as advocate / ssrf_filter / egress proxies such as Smokescreen do it): a webhook never reaches an address
that is not public: loopback, RFC 1918, CGNAT, link-local (169.254.169.254: cloud metadata), unique-local and
link-local IPv6, multicast, reserved, documentation; IPv4-mapped and NAT64 IPv6 addresses are judged by the IPv4
address they carry. `check_url` refuses at submission a literal address (any spelling the resolver accepts:
`2130706433`, `0x7f.1`, `[::ffff:127.0.0.1]`), `localhost` names, credentials, other schemes, and http:// in
production. At delivery the host is resolved once, every address is judged (one forbidden address refuses the
delivery: DNS rebinding), and the request goes to the vetted address itself (Host header and TLS server name are
the URL's host), so no second resolution can switch it; redirects are not followed. A refused delivery is marked
`failed` at once with the reason. `WebhookSettings.allowed_networks` exempts CIDRs (development, tests)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
import socket
import time
import uuid
from collections.abc import Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from typing import Annotated, Any
from urllib.parse import SplitResult, urlsplit

import httpx
from alembic import op
from pydantic import BaseModel, SecretStr, field_validator
from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    bindparam,
    insert,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kit.errors import ValidationFailed
from kit.settings import Environment, RequiredInProd

log = logging.getLogger(__name__)
HEADER = "Lontar-Signature"
DELIVERY_HEADER = "Lontar-Delivery"

IPAddress = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network


class WebhookSettings(BaseModel):
    """A service's webhooks (`<SERVICE>_WEBHOOKS__...`). Each client's signing key is HMAC-SHA256(secret, client id),
    hex: one server secret, a different key per client."""

    secret: Annotated[SecretStr, RequiredInProd()] = SecretStr("change-me-webhook-secret")
    timeout_s: float = 10.0
    max_attempts: int = 8
    backoff_base_s: float = 5.0  # attempt n waits base × 2^(n-1), capped
    backoff_cap_s: float = 3600.0
    batch: int = 20
    # SSRF guard: a webhook never reaches loopback, private (RFC 1918, unique-local IPv6), link-local (cloud metadata
    # 169.254.169.254), CGNAT, multicast, reserved or documentation addresses, checked on the literal at submission
    # and on every resolved address at delivery. These CIDRs are exempted, e.g.
    # `INVOICE_WEBHOOKS__ALLOWED_NETWORKS='["127.0.0.0/8", "::1/128"]'` for a receiver on the developer's machine
    # (`localhost` needs both). Default: none (secure).
    allowed_networks: list[str] = []
    # http:// URLs: None = accepted except in production (https required there); true/false forces it.
    allow_http: bool | None = None

    @field_validator("allowed_networks")
    @classmethod
    def _cidrs(cls, value: list[str]) -> list[str]:
        for cidr in value:
            ip_network(cidr.strip(), strict=False)  # a typo fails at start, not at the first webhook
        return [cidr.strip() for cidr in value]

    def http_allowed(self, env: Environment) -> bool:
        return env is not Environment.prod if self.allow_http is None else self.allow_http


class CallbackUrlInvalid(ValidationFailed):
    code, title = "webhook.url_invalid", "callback_url must be an absolute http(s) URL"


class CallbackUrlForbidden(ValidationFailed):
    code, title = "webhook.url_forbidden", "callback_url points where webhooks may not be sent"


# -- the deliveries table -------------------------------------------------------------------------------------------
def _delivery_schema() -> list[Any]:
    return [
        Column("id", UUID(as_uuid=True), nullable=False),
        Column("event_type", Text, nullable=False),
        Column("subject_id", UUID(as_uuid=True), nullable=False),
        Column("url", Text, nullable=False),
        Column("client_id", Text, nullable=False),
        Column("body", Text, nullable=False),  # the exact JSON sent (and signed)
        Column("state", Text, nullable=False),  # pending | delivered | failed
        Column("attempts", Integer, nullable=False, server_default=text("0")),
        Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
        Column("last_error", Text),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
        Column("delivered_at", DateTime(timezone=True)),
        PrimaryKeyConstraint("id", name="webhook_delivery_pkey"),
        Index("webhook_delivery_due_idx", "next_attempt_at", postgresql_where=text("state = 'pending'")),
    ]


def webhook_delivery_table(metadata: MetaData) -> Table:
    """The `webhook_delivery` table in a service's metadata."""
    return Table("webhook_delivery", metadata, *_delivery_schema())


def create_webhook_delivery_table() -> None:
    """In a service's Alembic migration (`upgrade()`): the table and its index, as `webhook_delivery_table` has them."""
    op.create_table("webhook_delivery", *_delivery_schema())


def drop_webhook_delivery_table() -> None:
    op.drop_table("webhook_delivery")


_DELIVERY = webhook_delivery_table(MetaData())  # for the statements below; each service has its own copy
_ENQUEUE = insert(_DELIVERY)
_CLAIM = text(
    "UPDATE webhook_delivery SET attempts = attempts + 1, "
    "next_attempt_at = now() + make_interval(secs => :lease) WHERE id IN (SELECT id FROM webhook_delivery "
    "WHERE state = 'pending' AND next_attempt_at <= now() ORDER BY next_attempt_at LIMIT :n "
    "FOR UPDATE SKIP LOCKED) RETURNING id, url, client_id, body, attempts")
_DELIVERED = text("UPDATE webhook_delivery SET state = 'delivered', delivered_at = now(), last_error = NULL "
                  "WHERE id = :id")
_FAILED = text("UPDATE webhook_delivery SET state = 'failed', last_error = :error WHERE id = :id")
_RETRY = text("UPDATE webhook_delivery SET last_error = :error, next_attempt_at = now() + make_interval(secs => :wait) "
              "WHERE id = :id")
_OF_SUBJECT = select(_DELIVERY).where(_DELIVERY.c.subject_id == bindparam("subject_id"))


# -- SSRF guard -----------------------------------------------------------------------------------------------------
# Special-purpose ranges (IANA IPv4/IPv6 special-purpose registries) a webhook never reaches, with the reason given.
# Anything else Python does not call global is refused too ("not globally routable").
_FORBIDDEN: list[tuple[Network, str]] = [(ip_network(net), why) for net, why in (
    ("0.0.0.0/8", "this-host"),  # 0.0.0.0 reaches the local host on Linux
    ("10.0.0.0/8", "private (RFC 1918)"),
    ("100.64.0.0/10", "shared (CGNAT)"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local (cloud metadata)"),
    ("172.16.0.0/12", "private (RFC 1918)"),
    ("192.0.0.0/24", "IETF protocol assignment"),
    ("192.0.2.0/24", "documentation"),
    ("192.88.99.0/24", "6to4 relay"),
    ("192.168.0.0/16", "private (RFC 1918)"),
    ("198.18.0.0/15", "benchmarking"),
    ("198.51.100.0/24", "documentation"),
    ("203.0.113.0/24", "documentation"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved"),  # and 255.255.255.255
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("::/96", "IPv4-compatible (deprecated)"),
    ("::ffff:0:0:0/96", "IPv4-translated"),
    ("64:ff9b:1::/48", "local-use NAT64"),
    ("100::/64", "discard-only"),
    ("2001::/23", "IETF protocol assignment (Teredo, ORCHID)"),
    ("2001:db8::/32", "documentation"),
    ("2002::/16", "6to4 (deprecated)"),
    ("3fff::/20", "documentation"),
    ("5f00::/16", "segment routing"),
    ("fc00::/7", "unique-local"),
    ("fe80::/10", "link-local"),
    ("fec0::/10", "site-local (deprecated)"),
    ("ff00::/8", "multicast"),
)]
_NAT64 = ip_network("64:ff9b::/96")  # well-known NAT64 prefix: the last 32 bits are the IPv4 address reached
_LOOPBACK = (IPv4Address("127.0.0.1"), IPv6Address("::1"))
_LOCALHOST_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}
_NUMERIC_HOST = re.compile(r"[0-9a-fx.]+")  # what inet_aton may read as IPv4: 2130706433, 0177.0.0.1, 0x7f.1


def allowed_networks(settings: WebhookSettings) -> tuple[Network, ...]:
    return tuple(ip_network(net, strict=False) for net in settings.allowed_networks)


def refusal(addr: IPAddress, allowed: Sequence[Network] = ()) -> str | None:
    """Why `addr` may not receive a webhook (None: it may). IPv4-mapped IPv6 (::ffff:a.b.c.d) is the IPv4 address;
    a NAT64 address (64:ff9b::a.b.c.d) is judged as itself and as the IPv4 address it reaches."""
    if isinstance(addr, IPv6Address):
        if addr.scope_id:
            addr = IPv6Address(int(addr))  # fe80::1%eth0 → fe80::1
        if addr.ipv4_mapped is not None:
            addr = addr.ipv4_mapped
    candidates: list[IPAddress] = [addr]
    if isinstance(addr, IPv6Address) and addr in _NAT64:
        candidates.append(IPv4Address(int(addr) & 0xFFFFFFFF))
    if any(addr.version == net.version and addr in net for net in allowed):
        return None
    for a in candidates:
        for net, why in _FORBIDDEN:
            if a.version == net.version and a in net:
                return why
        if not a.is_global:
            return "not globally routable"
    return None


def literal_address(host: str) -> IPAddress | None:
    """The address a host names by itself (no DNS): IPv4/IPv6 literals and the numeric IPv4 spellings the system
    resolver accepts (decimal, octal, hex, fewer than four parts). None for a name."""
    host = host.strip("[]").rstrip(".").lower()
    try:
        return ip_address(host)
    except ValueError:
        pass
    if _NUMERIC_HOST.fullmatch(host) and any(c.isdigit() for c in host):
        try:
            return IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _fixed_addresses(host: str) -> list[IPAddress]:
    """The addresses of a host known without DNS: a literal, or loopback for `localhost` names (RFC 6761)."""
    host = host.rstrip(".").lower()
    if host in _LOCALHOST_NAMES or host.endswith(".localhost"):
        return list(_LOOPBACK)
    addr = literal_address(host)
    return [addr] if addr is not None else []


def _split(url: str) -> SplitResult | None:
    """The URL's parts when it is an absolute http(s) URL with a host, a valid port and no credentials."""
    if len(url) > 2000 or any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F or c == "\\" for c in url):
        return None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises on a port that is not a number in range)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        return None
    return parts


def _parse(url: str) -> httpx.URL | None:
    """The URL as the HTTP client reads it, when it is an absolute http(s) URL with a host and no credentials."""
    if _split(url) is None:
        return None
    try:
        u = httpx.URL(url)
    except httpx.InvalidURL:
        return None
    if u.scheme not in ("http", "https") or not u.raw_host or u.userinfo:
        return None
    return u


def _host(u: httpx.URL) -> str:
    return u.raw_host.decode("ascii").rstrip(".").lower()


def check_url(url: str | None, settings: WebhookSettings, env: Environment) -> str | None:
    """At submission (nothing is created when it raises): an absolute http(s) URL with a host and no credentials,
    else 422 `webhook.url_invalid`; https when required, and no literal non-public address or `localhost` name,
    else 422 `webhook.url_forbidden`. Names are judged when the webhook is sent (`deliver_due`)."""
    if url is None:
        return None
    parts = _split(url)
    if parts is None:
        raise CallbackUrlInvalid("callback_url must be an absolute http:// or https:// URL, without credentials")
    allowed = allowed_networks(settings)
    u = _parse(url)  # None when the HTTP client would refuse it (e.g. 0177.0.0.1): forbidden first, else invalid
    for host in {parts.hostname or ""} | ({_host(u)} if u is not None else set()):  # as both parsers read it
        for addr in _fixed_addresses(host):
            why = refusal(addr, allowed)
            if why is not None:
                raise CallbackUrlForbidden(f"callback_url's host {host} is a {why} address: webhooks are sent to "
                                           "public addresses only")
    if u is None:
        raise CallbackUrlInvalid("callback_url must be an absolute http:// or https:// URL, without credentials")
    if u.scheme == "http" and not settings.http_allowed(env):
        raise CallbackUrlForbidden("callback_url must be an https:// URL")
    return url


# -- signature ------------------------------------------------------------------------------------------------------
def client_key(secret: str, client_id: str) -> str:
    return hmac.new(secret.encode(), client_id.encode(), hashlib.sha256).hexdigest()


def sign(key: str, body: bytes, t: int | None = None) -> str:
    t = int(time.time()) if t is None else t
    mac = hmac.new(key.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify(key: str, header: str, body: bytes, tolerance_s: int = 300, now: float | None = None) -> bool:
    """For receivers: True when `header` signs `body` (raw bytes as received) with `key`, within the tolerance."""
    try:
        fields = dict(p.split("=", 1) for p in header.split(","))
        t = int(fields["t"])
    except (ValueError, KeyError):
        return False
    if abs((time.time() if now is None else now) - t) > tolerance_s:
        return False
    expected = hmac.new(key.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields.get("v1", ""))


# -- delivery -------------------------------------------------------------------------------------------------------
async def enqueue(session: AsyncSession, *, event_type: str, subject_id: uuid.UUID, url: str, client_id: str,
                  payload: dict[str, Any]) -> uuid.UUID:
    """In the caller's transaction: the delivery of `payload` (as compact JSON, the exact bytes signed and sent) to
    `url`, signed with `client_id`'s key. Returns the delivery id."""
    delivery_id = uuid.uuid4()
    await session.execute(_ENQUEUE, {
        "id": delivery_id, "event_type": event_type, "subject_id": subject_id, "url": url, "client_id": client_id,
        "body": json.dumps(payload, separators=(",", ":")), "state": "pending"})
    return delivery_id


def backoff(settings: WebhookSettings, attempts: int) -> float:
    return float(min(settings.backoff_cap_s, settings.backoff_base_s * 2 ** max(attempts - 1, 0)))


async def deliver_due(sessions: async_sessionmaker[AsyncSession], settings: WebhookSettings,
                      http: httpx.AsyncClient) -> int:
    """Send the deliveries that are due. Claimed first (short transaction: attempts + 1, next_attempt_at pushed past
    the request timeout, so another process does not send them meanwhile), POSTed together with no transaction open
    (so the whole batch takes one timeout at most, well within the claim), then marked delivered, rescheduled
    (back-off) or failed (attempts exhausted) in one transaction. Returns how many were tried."""
    async with sessions() as s, s.begin():
        rows = (await s.execute(_CLAIM, {"lease": settings.timeout_s * 2 + 5, "n": settings.batch})).mappings().all()
    if not rows:
        return 0
    secret = settings.secret.get_secret_value()
    outcomes = await asyncio.gather(*(_attempt(http, settings, secret, row) for row in rows))
    async with sessions() as s, s.begin():
        for row, (error, refused) in zip(rows, outcomes, strict=True):
            if error is None:
                await s.execute(_DELIVERED, {"id": row["id"]})
            elif refused or row["attempts"] >= settings.max_attempts:
                await s.execute(_FAILED, {"id": row["id"], "error": error})
            else:
                await s.execute(_RETRY, {"id": row["id"], "error": error,
                                         "wait": backoff(settings, row["attempts"])})
    for row, (error, refused) in zip(rows, outcomes, strict=True):
        if error is not None:
            log.warning("webhook delivery refused" if refused else "webhook delivery failed",
                        extra={"delivery_id": str(row["id"]), "error": error, "attempts": row["attempts"]})
    return len(rows)


async def deliveries(sessions: async_sessionmaker[AsyncSession], subject_id: uuid.UUID) -> list[dict[str, Any]]:
    """The deliveries made for `subject_id` (operators, tests)."""
    async with sessions() as s:
        return [dict(r) for r in (await s.execute(_OF_SUBJECT, {"subject_id": subject_id})).mappings()]


async def _attempt(http: httpx.AsyncClient, settings: WebhookSettings, secret: str,
                   row: Any) -> tuple[str | None, bool]:
    """POST one delivery: (why it did not succeed or None, whether it was refused for good)."""
    body = row["body"].encode()
    try:
        r = await send(http, settings, row["url"], body, {
            "content-type": "application/json", HEADER: sign(client_key(secret, row["client_id"]), body),
            DELIVERY_HEADER: str(row["id"])})
    except (Refused, httpx.InvalidURL) as exc:
        return f"refused: {exc}"[:300], True
    except (httpx.HTTPError, Unresolved) as exc:
        return f"{type(exc).__name__}: {exc}"[:300], False
    if not 200 <= r.status_code < 300:
        return f"HTTP {r.status_code}" + (" (redirects are not followed)" if r.is_redirect else ""), False
    return None, False


class Refused(Exception):
    """The destination is not allowed (SSRF guard): the delivery fails at once, it is not retried."""


class Unresolved(Exception):
    """The host did not resolve (retried like any network failure)."""


async def resolve(host: str, port: int, timeout_s: float) -> list[IPAddress]:
    """Every address the system resolver gives for `host`, in its order, without duplicates."""
    try:
        infos = await asyncio.wait_for(
            asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout_s)
    except (OSError, TimeoutError) as exc:
        raise Unresolved(f"cannot resolve {host}: {exc or type(exc).__name__}") from exc
    addrs = list(dict.fromkeys(ip_address(str(info[4][0])) for info in infos))
    if not addrs:
        raise Unresolved(f"cannot resolve {host}: no address")
    return addrs


def _proxied(http: httpx.AsyncClient, url: httpx.URL) -> bool:
    """True when the client sends this URL through a proxy (HTTPS_PROXY etc.): the proxy connects, not us."""
    transport_for = getattr(http, "_transport_for_url", None)
    return transport_for is not None and transport_for(url) is not getattr(http, "_transport", None)


async def send(http: httpx.AsyncClient, settings: WebhookSettings, url: str, body: bytes,
               headers: dict[str, str]) -> httpx.Response:
    """POST to `url` only if every address of its host may receive webhooks (else `Refused`), connecting to the
    vetted address itself: the URL's host goes in the Host header and as the TLS server name (certificate checked
    for it), so the name is resolved once, here. The next address is tried only when a connection could not be
    made (nothing was sent). `Connection: close`: a pooled connection is never reused for another host."""
    u = _parse(url)
    if u is None:
        raise Refused("callback_url is not an absolute http(s) URL without credentials")
    host = _host(u)
    addrs = _fixed_addresses(host) or await resolve(host, u.port or (443 if u.scheme == "https" else 80),
                                                    settings.timeout_s)
    allowed = allowed_networks(settings)
    for addr in addrs:
        why = refusal(addr, allowed)
        if why is not None:
            raise Refused(f"{host} resolves to {addr}, a {why} address")
    headers = {**headers, "connection": "close"}
    if _proxied(http, u):  # the proxy resolves again: egress filtering there covers rebinding
        return await http.post(u, content=body, headers=headers, follow_redirects=False)
    extensions = {"sni_hostname": host} if u.scheme == "https" else {}
    error: httpx.ConnectError | None = None
    for addr in addrs:
        try:
            return await http.post(u.copy_with(host=str(addr)), content=body, follow_redirects=False,
                                   headers={**headers, "host": u.netloc.decode("ascii")}, extensions=extensions)
        except httpx.ConnectError as exc:
            error = exc
    assert error is not None
    raise error


def http_client(settings: WebhookSettings) -> httpx.AsyncClient:
    """The client to send with: no redirects followed (the URL given is the URL called), timeouts on every phase."""
    return httpx.AsyncClient(timeout=httpx.Timeout(settings.timeout_s), follow_redirects=False)
