"""The SMTP sandbox: accepts mail for anyone, keeps it, and offers STARTTLS when it has a certificate.

It runs on the same event loop as the HTTP API (aiosmtpd's protocol class on `loop.create_server`), so the store needs
no locking. Told `fail` it answers 451 (try again later), `reject` 550, `drop` accepts and forgets, `slow` waits first.
"""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
from datetime import UTC, datetime, timedelta
from ipaddress import ip_address
from pathlib import Path

from aiosmtpd.smtp import SMTP, Envelope, Session

from sandbox.store import Received, Store

log = logging.getLogger(__name__)
PROVIDER = "smtp"


# The plain `<local@domain>` path (with any ESMTP parameters after it) that clients send.
_PLAIN_PATH = re.compile(r"\s*<([^<>\s\"(),:;@\\\[\]]+@[A-Za-z0-9.-]+)>\s*(.*)", re.DOTALL)


class SandboxSMTP(SMTP):
    """aiosmtpd's server with a fast path for plain paths in MAIL and RCPT: its general parser (the e-mail header
    grammar of the standard library) took a quarter of the sandbox's CPU at 1,000 mails/s. Anything else still goes
    through it."""

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        plain = _PLAIN_PATH.fullmatch(arg)
        if plain and not (self.local_part_limit and len(plain[1].rpartition("@")[0]) > self.local_part_limit):
            return plain[1], plain[2]
        return super()._getaddr(arg)


class KeepingHandler:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        mode = self.store.mode_of(PROVIDER)
        if mode.mode == "slow" and mode.delay_ms:
            await asyncio.sleep(mode.delay_ms / 1000)
        if mode.mode == "fail":
            self.store.count(PROVIDER, "failed")
            return "451 4.3.0 sandbox told to fail, try again later"
        if mode.mode == "reject":
            self.store.count(PROVIDER, "rejected")
            return "550 5.1.1 sandbox told to reject: mailbox unavailable"
        if mode.mode == "drop":
            self.store.count(PROVIDER, "dropped")
            return "250 2.0.0 OK (dropped by the sandbox)"
        content = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        for rcpt in envelope.rcpt_tos:  # kept as received: parsed when someone reads it (most never are)
            self.store.keep(Received(channel="email", provider=PROVIDER, recipient=rcpt, raw=content,
                                     sender=envelope.mail_from))
        return "250 2.0.0 OK: kept by the sandbox"


async def start_smtp(store: Store, host: str, port: int, tls_dir: Path | None) -> asyncio.Server:
    handler = KeepingHandler(store)
    context = tls_context(tls_dir, host) if tls_dir is not None else None
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: SandboxSMTP(handler, hostname="sandbox.lontar.local", tls_context=context, enable_SMTPUTF8=True,
                     timeout=60),
        host=host, port=port,
    )


def tls_context(tls_dir: Path, host: str) -> ssl.SSLContext:
    cert, key = ensure_certificate(tls_dir, host)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def ensure_certificate(tls_dir: Path, host: str) -> tuple[Path, Path]:
    """A self-signed certificate for `localhost` and the sandbox's address, made once; `cert.pem` doubles as the CA
    file a client trusts."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    cert_path, key_path = tls_dir / "cert.pem", tls_dir / "key.pem"
    if cert_path.exists() and key_path.exists():
        return cert_path, key_path
    tls_dir.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Lontar SMTP sandbox")])
    names: list[x509.GeneralName] = [x509.DNSName("localhost")]
    for candidate in {host, "127.0.0.1"}:
        try:
            names.append(x509.IPAddress(ip_address(candidate)))
        except ValueError:
            names.append(x509.DNSName(candidate))
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path
