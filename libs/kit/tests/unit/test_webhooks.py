"""kit.webhooks without a database: which addresses a webhook may reach (`refusal`), how a host is read
(`literal_address`: every spelling the resolver accepts), the submission check (`check_url`), the sending (`send`:
resolved once, every address judged, the vetted address connected to, no redirects), the last through
httpx.MockTransport with a stubbed resolver; and the HMAC signature. Delivery through the database (claims, retries,
batches) is tested with invoice's completion webhooks (services/invoice/tests/test_webhooks_idempotency.py)."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Any

import httpx
import pytest

from kit import webhooks
from kit.settings import Environment
from kit.webhooks import CallbackUrlForbidden, CallbackUrlInvalid, WebhookSettings


def settings(env: str = "dev", **webhook: Any) -> tuple[WebhookSettings, Environment]:
    return WebhookSettings(**webhook), Environment(env)


def refused(addr: str, allowed: list[str] | None = None) -> str | None:
    return webhooks.refusal(ip_address(addr), webhooks.allowed_networks(WebhookSettings(
        allowed_networks=allowed or [])))


@pytest.mark.parametrize(("addr", "why"), [
    ("127.0.0.1", "loopback"), ("127.255.255.254", "loopback"), ("0.0.0.0", "this-host"),
    ("10.0.0.1", "private (RFC 1918)"), ("172.16.5.4", "private (RFC 1918)"), ("172.31.255.255", "private (RFC 1918)"),
    ("192.168.1.1", "private (RFC 1918)"), ("169.254.169.254", "link-local (cloud metadata)"),
    ("100.64.0.1", "shared (CGNAT)"), ("192.0.0.170", "IETF protocol assignment"), ("192.0.2.10", "documentation"),
    ("198.18.0.1", "benchmarking"), ("224.0.0.251", "multicast"), ("255.255.255.255", "reserved"),
    ("240.0.0.1", "reserved"),
    # IPv6
    ("::1", "loopback"), ("::", "unspecified"), ("fd00::1", "unique-local"), ("fc00::5", "unique-local"),
    ("fe80::1", "link-local"), ("fe80::1%eth0", "link-local"), ("fec0::1", "site-local (deprecated)"),
    ("ff02::1", "multicast"), ("2001:db8::1", "documentation"), ("::7f00:1", "IPv4-compatible (deprecated)"),
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "IETF protocol assignment (Teredo, ORCHID)"),
    ("2002:7f00:1::1", "6to4 (deprecated)"), ("fd00:ec2::254", "unique-local"),  # AWS metadata over IPv6
    # IPv4-mapped IPv6 is the IPv4 address; NAT64 is judged by the IPv4 address it reaches
    ("::ffff:127.0.0.1", "loopback"), ("::ffff:7f00:1", "loopback"), ("::ffff:169.254.169.254",
                                                                      "link-local (cloud metadata)"),
    ("::ffff:10.0.0.1", "private (RFC 1918)"), ("64:ff9b::a9fe:a9fe", "link-local (cloud metadata)"),
    ("64:ff9b::7f00:1", "loopback"), ("64:ff9b:1::1", "local-use NAT64"),
])
def test_non_public_addresses_are_refused_with_the_reason(addr: str, why: str) -> None:
    assert refused(addr) == why


@pytest.mark.parametrize("addr", ["8.8.8.8", "1.1.1.1", "140.82.112.3", "203.0.112.255", "100.128.0.1",
                                  "2606:4700:4700::1111", "2a00:1450:4001:82a::200e", "::ffff:8.8.8.8",
                                  "64:ff9b::808:808"])
def test_public_addresses_are_allowed(addr: str) -> None:
    assert refused(addr) is None


def test_allowed_networks_exempt_exactly_what_they_name() -> None:
    assert refused("127.0.0.1", ["127.0.0.1/32"]) is None
    assert refused("::ffff:127.0.0.1", ["127.0.0.1/32"]) is None  # the mapped form is the same address
    assert refused("127.0.0.2", ["127.0.0.1/32"]) == "loopback"
    assert refused("::1", ["127.0.0.0/8"]) == "loopback"
    assert refused("10.20.30.40", ["10.20.0.0/16"]) is None
    assert refused("169.254.169.254", ["10.20.0.0/16"]) == "link-local (cloud metadata)"
    assert refused("fd12::1", ["fd12::/16"]) is None


def test_a_typo_in_allowed_networks_fails_when_the_settings_load() -> None:
    with pytest.raises(ValueError):
        WebhookSettings(allowed_networks=["127.0.0.1/33"])
    assert WebhookSettings(allowed_networks=[" 10.0.0.1/8 "]).allowed_networks == ["10.0.0.1/8"]  # not strict


@pytest.mark.parametrize(("host", "addr"), [
    ("127.0.0.1", "127.0.0.1"), ("2130706433", "127.0.0.1"), ("0x7f000001", "127.0.0.1"), ("0x7f.1", "127.0.0.1"),
    ("0177.0.0.1", "127.0.0.1"), ("127.1", "127.0.0.1"), ("127.0.1", "127.0.0.1"), ("017700000001", "127.0.0.1"),
    ("0", "0.0.0.0"), ("2852039166", "169.254.169.254"), ("0xa9.0xfe.0xa9.0xfe", "169.254.169.254"),
    ("127.0.0.1.", "127.0.0.1"), ("[::1]", "::1"), ("::ffff:127.0.0.1", "::ffff:7f00:1"),
])
def test_every_numeric_spelling_is_read_as_the_resolver_reads_it(host: str, addr: str) -> None:
    assert webhooks.literal_address(host) == ip_address(addr)


@pytest.mark.parametrize("host", ["example.com", "cafe.babe", "1e100.net", "deadbeef1.cafe", "123.example"])
def test_names_are_not_addresses(host: str) -> None:
    assert webhooks.literal_address(host) is None


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8000/hook", "http://2130706433/", "http://0x7f.1/", "http://0177.0.0.1/", "http://127.1/",
    "http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]:80/", "http://[0:0:0:0:0:ffff:7f00:1]/",
    "http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/", "http://10.0.0.1/",
    "https://192.168.0.10/x", "http://172.17.0.1:2375/containers/json", "http://0/", "http://0.0.0.0:8002/",
    "http://localhost/", "http://LOCALHOST:8000/", "http://localhost./", "http://api.localhost/",
    "http://[fe80::1%25eth0]/", "http://[64:ff9b::a9fe:a9fe]/", "http://100.100.100.200/",  # Alibaba metadata
])
def test_check_url_refuses_non_public_destinations(url: str) -> None:
    with pytest.raises(CallbackUrlForbidden) as e:
        webhooks.check_url(url, *settings())
    assert e.value.code == "webhook.url_forbidden" and "public addresses only" in str(e.value.detail)


@pytest.mark.parametrize("url", [
    "ftp://example.com/x", "file:///etc/passwd", "gopher://example.com/", "javascript:alert(1)", "/relative",
    "http://", "http://user:pw@example.com/", "http://user@example.com/", "http://:pw@example.com/",
    "https://example.com\\@127.0.0.1/", "http://example.com/\r\nX-Injected: 1", "http://exa mple.com/",
    "http://example.com:99999/", "http://[::1/", "https://example.com/" + "a" * 2000,
])
def test_check_url_refuses_malformed_urls_schemes_and_credentials(url: str) -> None:
    with pytest.raises(CallbackUrlInvalid):
        webhooks.check_url(url, *settings())


@pytest.mark.parametrize("url", ["https://hooks.pjap.example/lontar?x=1", "http://hooks.pjap.example:8080/cb",
                                 "https://8.8.8.8/hook", "https://[2606:4700:4700::1111]/hook",
                                 "https://xn--fiq228c.example/hook"])
def test_check_url_accepts_public_destinations(url: str) -> None:
    assert webhooks.check_url(url, *settings()) == url
    assert webhooks.check_url(None, *settings()) is None


def test_https_is_required_in_production_unless_http_is_allowed() -> None:
    with pytest.raises(CallbackUrlForbidden, match="https"):
        webhooks.check_url("http://hooks.pjap.example/", *settings("prod"))
    assert webhooks.check_url("https://hooks.pjap.example/", *settings("prod"))
    assert webhooks.check_url("http://hooks.pjap.example/", *settings("prod", allow_http=True))
    with pytest.raises(CallbackUrlForbidden, match="https"):
        webhooks.check_url("http://hooks.pjap.example/", *settings("dev", allow_http=False))


def test_allowed_networks_open_the_submission_check_for_development() -> None:
    local = settings(allowed_networks=["127.0.0.0/8", "::1/128"])
    for url in ("http://127.0.0.1:9000/hook", "http://2130706433/", "http://localhost:9000/", "http://[::1]/"):
        assert webhooks.check_url(url, *local) == url
    with pytest.raises(CallbackUrlForbidden):  # localhost is 127.0.0.1 and ::1: both must be allowed
        webhooks.check_url("http://localhost/", *settings(allowed_networks=["127.0.0.0/8"]))
    with pytest.raises(CallbackUrlForbidden):
        webhooks.check_url("http://169.254.169.254/", *local)


# -- delivery --------------------------------------------------------------------------------------------------
class Sent:
    def __init__(self, status: int = 204, headers: dict[str, str] | None = None,
                 refuse: set[str] | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.status, self.headers, self.refuse = status, headers or {}, refuse or set()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.host in self.refuse:
            raise httpx.ConnectError("connection refused", request=request)
        self.requests.append(request)
        return httpx.Response(self.status, headers=self.headers)


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    answers: dict[str, list[str]] = {}
    calls: list[str] = []

    async def resolve(host: str, port: int, timeout_s: float) -> list[IPv4Address | IPv6Address]:
        calls.append(host)
        return [ip_address(a) for a in answers[host]]

    monkeypatch.setattr(webhooks, "resolve", resolve)
    answers["__calls__"] = calls
    return answers


async def post(sent: Sent, url: str, **webhook: Any) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.MockTransport(sent)) as http:
        return await webhooks.send(http, WebhookSettings(**webhook), url, b"{}", {"x-test": "1"})


async def test_the_request_goes_to_the_vetted_address_with_the_name_as_host_and_tls_server_name(
        resolver: dict[str, list[str]]) -> None:
    resolver["hooks.pjap.example"] = ["93.184.215.14"]
    sent = Sent()
    r = await post(sent, "https://hooks.pjap.example:8443/cb?x=1")
    assert r.status_code == 204 and resolver["__calls__"] == ["hooks.pjap.example"]  # resolved once
    [req] = sent.requests
    assert str(req.url) == "https://93.184.215.14:8443/cb?x=1"
    assert req.headers["host"] == "hooks.pjap.example:8443" and req.headers["x-test"] == "1"
    assert req.extensions["sni_hostname"] == "hooks.pjap.example"  # the certificate is checked for the name
    assert req.headers["connection"] == "close"


async def test_ipv6_addresses_are_bracketed(resolver: dict[str, list[str]]) -> None:
    resolver["hooks.pjap.example"] = ["2606:4700::6812:1"]
    sent = Sent()
    await post(sent, "http://hooks.pjap.example/cb")
    assert str(sent.requests[0].url) == "http://[2606:4700::6812:1]/cb"
    assert sent.requests[0].headers["host"] == "hooks.pjap.example" and "sni_hostname" not in sent.requests[0].extensions


@pytest.mark.parametrize("answer", [["127.0.0.1"], ["93.184.215.14", "10.0.0.7"], ["::ffff:169.254.169.254"],
                                    ["fd00::1"], ["93.184.215.14", "::1"]])
async def test_a_name_resolving_to_any_forbidden_address_is_refused_and_nothing_is_sent(
        resolver: dict[str, list[str]], answer: list[str]) -> None:
    resolver["rebind.pjap.example"] = answer
    sent = Sent()
    with pytest.raises(webhooks.Refused, match="rebind.pjap.example resolves to"):
        await post(sent, "https://rebind.pjap.example/cb")
    assert sent.requests == []


async def test_allowed_networks_let_a_local_receiver_through(resolver: dict[str, list[str]]) -> None:
    resolver["receiver.test"] = ["127.0.0.1"]
    sent = Sent()
    assert (await post(sent, "http://receiver.test:9000/hook", allowed_networks=["127.0.0.1/32"])).status_code == 204
    assert str(sent.requests[0].url) == "http://127.0.0.1:9000/hook"
    with pytest.raises(webhooks.Refused):
        await post(Sent(), "http://receiver.test:9000/hook")  # the default refuses it


async def test_literals_and_localhost_are_judged_without_dns(resolver: dict[str, list[str]]) -> None:
    for url in ("http://2130706433/", "http://169.254.169.254/latest/meta-data/", "http://localhost:8002/",
                "http://[::ffff:127.0.0.1]/"):
        with pytest.raises(webhooks.Refused):
            await post(Sent(), url)  # e.g. a delivery row written before the guard existed
    assert resolver["__calls__"] == []


async def test_redirects_are_not_followed(resolver: dict[str, list[str]]) -> None:
    resolver["hooks.pjap.example"] = ["93.184.215.14"]
    sent = Sent(302, {"location": "http://169.254.169.254/latest/meta-data/"})
    r = await post(sent, "https://hooks.pjap.example/cb")
    assert r.status_code == 302 and r.is_redirect and len(sent.requests) == 1


async def test_the_next_address_is_tried_only_when_no_connection_was_made(resolver: dict[str, list[str]]) -> None:
    resolver["hooks.pjap.example"] = ["2606:4700::6812:1", "93.184.215.14"]
    sent = Sent(refuse={"2606:4700::6812:1"})
    assert (await post(sent, "https://hooks.pjap.example/cb")).status_code == 204
    assert [r.url.host for r in sent.requests] == ["93.184.215.14"]
    with pytest.raises(httpx.ConnectError):
        await post(Sent(refuse={"2606:4700::6812:1", "93.184.215.14"}), "https://hooks.pjap.example/cb")


async def test_a_name_that_does_not_resolve_is_a_transient_error() -> None:
    with pytest.raises(webhooks.Unresolved, match="cannot resolve"):
        await webhooks.resolve("no-such-host.invalid", 443, 5.0)


def test_signature_helper() -> None:
    body = b'{"a":1}'
    header = webhooks.sign("k", body, t=1_700_000_000)
    assert webhooks.verify("k", header, body, now=1_700_000_100)
    assert not webhooks.verify("k", header, body, now=1_700_001_000)  # too old
    assert not webhooks.verify("k", "garbage", body)
