"""What the PHTB and BPN tests share: machine-client tokens (notary, land office), a paid PPh PHTB code, PDF text."""

from __future__ import annotations

import contextlib
import re
import uuid
import zlib
from datetime import UTC, datetime
from typing import Any

import segno

from kit.testing.events import random_npwp
from services.payment.tests.conftest import World
from services.payment.tests.factories import MAKER, bank_token

NOP = "31.71.010.001.002-0123.0"


def client_token(client: str, kind: str, *scopes: str, **claims: Any) -> dict[str, str]:
    """A machine client's client-credentials token, as identity issues them (client_kind, client_id)."""
    token = MAKER.make(subject=client, scopes=scopes, client_kind=kind, client_id=client, **claims)
    return {"authorization": f"Bearer {token}"}


def ppat_token(client: str = "ppat-notaris-ani") -> dict[str, str]:
    return client_token(client, "ppat", "payment:phtb")


def land_office_token(client: str = "land-office-jaksel") -> dict[str, str]:
    return client_token(client, "land_office", "payment:land_office")


def random_nop() -> str:
    return f"{uuid.uuid4().int % 10**18:018d}"


async def paid_phtb_code(world: World, *, seller: str | None = None, buyer: str | None = None,
                         nop: str | None = None, value: str = "2000000000",
                         amount: str = "50000000") -> dict[str, Any]:
    """A PPh PHTB code (411128-402) naming the transfer, paid at a bank: {seller, buyer, nop, code, ntpn, value}."""
    seller, buyer, nop = seller or random_npwp(), buyer or random_npwp(), nop or random_nop()
    code = await world.new_code(seller, kap_kjs="411128-402", period="2026-11", amount=amount, nop=nop,
                                transfer_value=value, buyer_id=buyer)
    paid = await world.pay(code["code"], amount, reference=f"REF-{uuid.uuid4().hex[:12]}",
                           paid_at=datetime.now(UTC).replace(microsecond=0))
    assert paid.status_code == 201, paid.text
    return {"seller": seller, "buyer": buyer, "nop": nop, "code": code["code"], "ntpn": paid.json()["ntpn"],
            "value": value, "bank": bank_token()}


def pdf_text(content: bytes) -> str:
    """The text of a PDF's content streams: every `(...) Tj` string, in order, unescaped, whitespace collapsed
    (enough for fpdf2's core-font output, as tests/test_invoice_signing_e2e.py reads it)."""
    chunks = []
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S):
        raw = m.group(1)
        with contextlib.suppress(zlib.error):
            raw = zlib.decompressobj().decompress(raw)  # tolerates a final CR lost to the pattern
        for s in re.finditer(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", raw):
            text = re.sub(rb"\\([nrtbf()\\])", lambda e: {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b",
                                                          b"f": b"\f"}.get(e.group(1), e.group(1)), s.group(1))
            chunks.append(text.decode("latin-1"))
    return " ".join(" ".join(chunks).split())


def qr_runs(url: str) -> int:
    """How many filled rectangles the QR code of `url` is drawn with (one per run of dark modules in a row)."""
    runs = 0
    for row in segno.make(url, error="m", micro=False).matrix:
        cells = list(row)
        runs += sum(1 for i, c in enumerate(cells) if c and (i == 0 or not cells[i - 1]))
    return runs


def drawn_rects(content: bytes) -> int:
    page = b"".join(zlib.decompress(m.group(1)) for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", content,
                                                                        re.S) if m.group(1)[:1] == b"x")
    return page.count(b" re f")
