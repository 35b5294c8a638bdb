"""Export of the output view as TaxInvoiceBulk XML, on the real database: the exported file is uploaded again
unchanged and gives the same invoices back (every field and line, no errors, no warnings)."""

from __future__ import annotations

from typing import Any

XML = {"content-type": "application/xml"}
_VOLATILE = {"id", "created_at", "updated_at", "upload_id", "warnings", "late"}


def _content(inv: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in inv.items() if k not in _VOLATILE}


async def test_exported_file_uploads_back_to_the_same_invoices(world: Any) -> None:
    seller = await world.seller()
    h = world.token(seller)
    bodies = [
        world.draft_body(seller, lines=[
            {"name": "Kertas A4 & amplop <besar>", "unit": "UM.0022", "price": "100000.50", "qty": "3",
             "discount": "10000.25"},
            {"opt": "B", "code": "000000", "name": "Jasa pengiriman", "unit": "UM.0030", "price": "50000",
             "qty": "1.5"}]),
        world.draft_body(seller, trx_code="01", invoice_date="2025-03-31",
                         lines=[{"name": "Mobil mewah", "unit": "UM.0018", "price": "750000000", "qty": "1",
                                 "stlg_rate": "20"}]),
        world.draft_body(seller, trx_code="08", add_info="TD.00501", facility_stamp="TD.01101",
                         buyer={"document": "TIN", "tin": "0013121660091000", "name": "PT Bebas",
                                "email": "pajak@bebas.example"},
                         lines=[{"name": "Buku pelajaran", "unit": "UM.0021", "price": "45000", "qty": "100"}]),
        world.draft_body(seller, buyer={"document": "Passport", "document_number": "X1234567", "country": "SGP",
                                        "name": "John Tan", "address": "1 Orchard Rd"},
                         lines=[{"name": "Batik tulis", "unit": "UM.0018", "price": "1250000", "qty": "2"}]),
    ]
    originals = []
    for body in bodies:
        r = await world.http.post("/v1/invoices", json=body, headers=h)
        assert r.status_code == 201, r.text
        originals.append(r.json())
    other_period = await world.http.post("/v1/invoices", json=world.draft_body(seller, invoice_date="2025-04-01"),
                                         headers=h)
    assert other_period.status_code == 201

    r = await world.http.get("/v1/invoices/export?period=2025-03", headers=h)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/xml"), r.text
    exported = r.content
    assert exported.count(b"<TaxInvoice>") == 4 and b"&amp; amplop &lt;besar&gt;" in exported
    foreign = await world.http.get(f"/v1/invoices/export?period=2025-03&npwp={seller}",
                                   headers=world.token(world.npwp16()))
    assert foreign.status_code == 403, foreign.text

    # the same invoices back: delete the drafts (their references become free), upload the exported file unchanged
    for inv in originals:
        assert (await world.http.delete(f"/v1/invoices/{inv['id']}", headers=h)).status_code == 204
    up = await world.http.post("/v1/invoice-uploads", content=exported, headers={**h, **XML})
    assert up.status_code == 202, up.text
    done = await world.wait_upload(up.json()["upload_id"], h)
    assert done["state"] == "completed" and (done["accepted"], done["failed"]) == (4, 0), done
    assert all(res["errors"] == [] and res["warnings"] == [] for res in done["results"]), done["results"]
    back = {}
    for res in done["results"]:
        got = (await world.http.get(f"/v1/invoices/{res['invoice_id']}", headers=h)).json()
        back[got["reference"]] = got
    for inv in originals:
        assert _content(back[inv["reference"]]) == _content(inv), inv["reference"]
    # and the export of the uploaded invoices has the same TaxInvoice elements, byte for byte (the order is creation
    # order: one upload's invoices share their creation time)
    again = (await world.http.get("/v1/invoices/export?period=2025-03", headers=h)).content

    def fragments(data: bytes) -> list[bytes]:
        return sorted(data.split(b"<ListOfTaxInvoice>")[1].split(b"</ListOfTaxInvoice>")[0].split(b"\n"))

    assert fragments(again) == fragments(exported)


async def test_export_of_an_empty_period_is_a_valid_empty_file(world: Any) -> None:
    seller = await world.seller()
    r = await world.http.get(f"/v1/invoices/export?period=2025-01&npwp={seller}", headers=world.token(seller))
    assert r.status_code == 200 and b"<TIN>" + seller.encode() + b"</TIN>" in r.content
    assert b"<TaxInvoice>" not in r.content
    bad = await world.http.get("/v1/invoices/export?period=2025-1", headers=world.token(seller))
    assert bad.status_code == 422
