"""Invoice upload figures: Coretax XML bulk upload, from the POST of the file to its per-invoice results.

- 1,000 invoices x 5 lines: upload-to-results p50 over 5 runs (after one warm-up), target < 2 s.
- 10,000 invoices x 5 lines: upload-to-results, target < 15 s; the process's peak RSS (resource.getrusage
  ru_maxrss: the peak of this whole process up to the end of that upload, which includes the app, the file, the
  parse and validation), target < 500 MB.
- The raw PostgreSQL COPY of the same rows (10,000 invoices and 50,000 lines, asyncpg copy_records_to_table, one
  transaction): invoices per second, and our ingest rate's share of it (aim >= 20%).

Measured in-process through the invoice ASGI app (httpx ASGITransport: routing, auth, body read, the file stored,
then the app's own job runner claims, parses, validates and COPYs it), against a fresh database on `server_url`
(a superuser URL) migrated with kit.migrations.upgrade; the database is dropped at the end.

`await run(server_url)` returns rows {name, value, unit, target, ok};
`python -m bench.invoice_upload postgresql+asyncpg://postgres@host:port/postgres` prints them.
"""

from __future__ import annotations

import asyncio
import resource
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text

from bench.infra import migrated_databases
from devstack.processes import free_port
from invoice.main import create_app
from invoice.settings import InvoiceSettings, UploadSettings
from invoice.uploads.ingest import INVOICE_COLUMNS, LINE_COLUMNS
from kit.auth import JWKSCache
from kit.db import create_engine, create_sessionmaker
from kit.settings import DatabaseSettings, KafkaSettings
from kit.testing.service import api_client
from kit.testing.tokens import TokenMaker

RUNS, SMALL, LARGE, LINES = 5, 1_000, 10_000, 5
SELLER = "0013121660091000"  # a Luhn-valid NPWP16 (identifiers test vector)
BUYER = "0900000027000000"
XML = {"content-type": "application/xml"}


def bulk(seller: str, n: int, tag: str, lines: int = LINES) -> bytes:
    line = ("<GoodService><Opt>A</Opt><Code>000000</Code><Name>Barang {j}</Name><Unit>UM.0018</Unit>"
            "<Price>100000.00</Price><Qty>2</Qty><TotalDiscount>0</TotalDiscount><TaxBase>200000.00</TaxBase>"
            "<OtherTaxBase>183333.33</OtherTaxBase><VATRate>12</VATRate><VAT>22000.00</VAT><STLGRate>0</STLGRate>"
            "<STLG>0</STLG></GoodService>")
    goods = "".join(line.format(j=j) for j in range(lines))
    parts = [f'<?xml version="1.0" encoding="utf-8"?><TaxInvoiceBulk><TIN>{seller}</TIN><ListOfTaxInvoice>']
    for i in range(n):
        parts.append(
            f"<TaxInvoice><TaxInvoiceDate>2025-02-03</TaxInvoiceDate><TaxInvoiceOpt>Normal</TaxInvoiceOpt>"
            f"<TrxCode>04</TrxCode><AddInfo/><CustomDoc/><CustomDocMonthYear/><RefDesc>{tag}-{i}</RefDesc>"
            f"<FacilityStamp/><SellerIDTKU>{seller}000000</SellerIDTKU><BuyerTin>{BUYER}</BuyerTin>"
            f"<BuyerDocument>TIN</BuyerDocument><BuyerCountry>IDN</BuyerCountry><BuyerDocumentNumber/>"
            f"<BuyerName>PT Pembeli {i}</BuyerName><BuyerAdress>Jl. Contoh {i}</BuyerAdress><BuyerEmail/>"
            f"<BuyerIDTKU>{BUYER}000000</BuyerIDTKU><ListOfGoodService>{goods}</ListOfGoodService></TaxInvoice>")
    parts.append("</ListOfTaxInvoice></TaxInvoiceBulk>")
    return "".join(parts).encode()


def _rss_mb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux, bytes on macOS
    return kb / 1024 / 1024 if sys.platform == "darwin" else kb / 1024


async def run(server_url: str) -> list[dict[str, Any]]:
    async with migrated_databases(server_url, "invoice") as [url]:
        settings = InvoiceSettings(database=DatabaseSettings(dsn=url, pool_size=5),
                                   kafka=KafkaSettings(enable_idempotence=False), worker_port=free_port(),
                                   log_level="WARNING",
                                   uploads=UploadSettings(max_bytes=256 * 1024 * 1024, poll_interval_s=0.05))
        return await _measure(settings, url)


async def _measure(settings: InvoiceSettings, url: str) -> list[dict[str, Any]]:
    engine = create_engine(settings.database, application_name="bench.invoice", pool_size=1)
    sessions = create_sessionmaker(engine=engine)
    async with sessions() as s, s.begin():
        await s.execute(text(
            "INSERT INTO taxpayer (npwp, taxpayer_id, nitku, name, kind, registered_at, source_sequence) "
            "VALUES (:n, :t, :n || '000000', 'PT Bench', 'company', :r, 1)"),
            {"n": SELLER, "t": str(uuid.uuid4()), "r": datetime(2024, 1, 1, tzinfo=UTC)})
        await s.execute(text("INSERT INTO pkp_status_change (npwp, effective_date, is_pkp, source_sequence, "
                             "event_id) VALUES (:n, :d, 1, 1, :e)"),
                        {"n": SELLER, "d": date(2025, 1, 1), "e": uuid.uuid4()})
    maker = TokenMaker()
    headers = {"authorization": "Bearer " + maker.make(
        subject=SELLER, scopes=["invoice:read", "invoice:draft"], taxpayer_ids=[SELLER],
        act={"sub": str(uuid.uuid4()), "name": "Bench"})}
    app = create_app(settings, jwks=JWKSCache(settings.auth, keys=maker.jwks()))
    try:
        async with api_client(app) as http:
            async def upload(content: bytes, n: int) -> float:
                started = time.perf_counter()
                r = await http.post("/v1/invoice-uploads", content=content, headers={**headers, **XML})
                r.raise_for_status()
                upload_id = r.json()["upload_id"]
                while True:
                    got = await http.get(f"/v1/invoice-uploads/{upload_id}", headers=headers)
                    got.raise_for_status()
                    body = got.json()
                    if body["state"] in ("completed", "rejected"):
                        break
                    await asyncio.sleep(0.02)
                elapsed = time.perf_counter() - started
                assert body["state"] == "completed" and body["accepted"] == n and len(body["results"]) == n, \
                    {k: body[k] for k in ("state", "accepted", "failed", "error")}
                return elapsed

            small = []
            for run_no in range(RUNS + 1):
                content = bulk(SELLER, SMALL, f"S{run_no}")
                elapsed = await upload(content, SMALL)
                if run_no:  # the first is a warm-up
                    small.append(elapsed)
            large_content = bulk(SELLER, LARGE, "L")
            large = await upload(large_content, LARGE)
            rss = _rss_mb()
            size_mb = len(large_content) / 1e6
        copy_s = await _copy_rate(sessions)
    finally:
        await engine.dispose()

    p50 = statistics.median(small)
    ours, raw = LARGE / large, LARGE / copy_s
    return [
        {"name": f"invoice: upload {SMALL:,} invoices x {LINES} lines to results, p50 ({RUNS} runs)",
         "value": round(p50, 3), "unit": "s", "target": "< 2", "ok": p50 < 2.0},
        {"name": f"invoice: upload {LARGE:,} invoices x {LINES} lines ({size_mb:.1f} MB) to results",
         "value": round(large, 2), "unit": "s", "target": "< 15", "ok": large < 15.0},
        {"name": f"invoice: peak RSS of this process up to the end of the {LARGE:,}-invoice upload",
         "value": round(rss, 1), "unit": "MB", "target": "< 500", "ok": rss < 500.0},
        {"name": f"invoice: our ingest rate ({LARGE:,}-invoice file)", "value": round(ours),
         "unit": "inv/s", "target": None, "ok": None},
        {"name": f"invoice: raw PostgreSQL COPY of the same rows ({LARGE:,} invoices, {LARGE * LINES:,} lines)",
         "value": round(raw), "unit": "inv/s", "target": None, "ok": None},
        {"name": "invoice: our ingest rate / raw COPY rate", "value": round(100 * ours / raw, 1), "unit": "%",
         "target": ">= 20", "ok": ours / raw >= 0.20},
    ]


async def _copy_rate(sessions: Any) -> float:
    """Seconds to COPY 10,000 invoices and 50,000 lines as the upload builds them, in one committed transaction."""
    amounts = {"dpp": Decimal(1000000), "dpp_other": Decimal(916667), "ppn": Decimal(110000),
               "ppnbm": Decimal(0)}
    line = {"opt": "A", "code": "000000", "unit": "UM.0018", "price": Decimal("100000.00"), "qty": Decimal(2),
            "discount": Decimal(0), "tax_base": Decimal("200000.00"), "other_tax_base": Decimal("183333.33"),
            "vat_rate": Decimal(12), "vat": Decimal("22000.00"), "stlg_rate": Decimal(0), "stlg": Decimal(0)}
    invoices, lines = [], []
    for i in range(LARGE):
        invoice_id = uuid.uuid4()
        rec = {"id": invoice_id, "seller_npwp": SELLER, "seller_nitku": SELLER + "000000", "status": "draft",
               "invoice_date": date(2025, 2, 3), "period": "2025-02", "trx_code": "04", "ref_desc": f"C-{i}",
               "buyer_document": "TIN", "buyer_tin": BUYER, "buyer_country": "IDN", "buyer_name": f"PT Pembeli {i}",
               "buyer_address": f"Jl. Contoh {i}", "buyer_nitku": BUYER + "000000", "created_by": "bench",
               "upload_position": i + 1, **amounts}
        invoices.append(tuple(rec.get(c) for c in INVOICE_COLUMNS))
        for j in range(LINES):
            lrec = {**line, "invoice_id": invoice_id, "line_no": j + 1, "name": f"Barang {j}"}
            lines.append(tuple(lrec.get(c) for c in LINE_COLUMNS))
    async with sessions() as s, s.begin():
        await s.execute(text("SELECT 1"))  # opens the transaction (the driver's BEGIN waits for a first statement)
        raw = (await (await s.connection()).get_raw_connection()).driver_connection
        started = time.perf_counter()
        await raw.copy_records_to_table("invoice", records=invoices, columns=INVOICE_COLUMNS)
        await raw.copy_records_to_table("invoice_line", records=lines, columns=LINE_COLUMNS)
    return time.perf_counter() - started  # including the commit




if __name__ == "__main__":
    import logging

    logging.basicConfig(level=logging.WARNING)
    for row in asyncio.run(run(sys.argv[1])):
        mark = "" if row["ok"] is None else ("  ok" if row["ok"] else "  FAIL")
        target = f"  (target {row['target']} {row['unit']})" if row["target"] else ""
        print(f"{row['name']:<80} {row['value']:>10} {row['unit']}{target}{mark}")
