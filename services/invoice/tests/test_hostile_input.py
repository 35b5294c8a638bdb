"""Issue 12, items 1-4, 6 and 10 on invoice: NUL, lone surrogates and bidi controls in drafts, invalid PATCH fields,
forged cursors and huge bodies are refused with a coded 4xx; nothing is stored or changed."""

from __future__ import annotations

from typing import Any

import pytest

from kit.testing.hostile import JSON, MiB, forged_cursor, peak_memory, raw_json, streamed
from services.invoice.tests.factories import make_signed
from services.invoice.tests.test_uploads import bulk


def _codes(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


def _with(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    out = {**body, "buyer": dict(body["buyer"])}
    if path.startswith("buyer."):
        out["buyer"][path.removeprefix("buyer.")] = value
    else:
        out[path] = value
    return out


BAD_TEXT = [
    ("buyer.name", "PT \u0000 Nul", "text.invalid_character"),  # item 1
    ("reference", "INV\u0000-1", "text.invalid_character"),  # item 1
    ("buyer.name", "PT \ud800 Surrogate", "text.invalid_character"),  # item 2
    ("buyer.name", "PT Maju \u202eAYAJ", "text.invalid_character"),  # item 10
    ("buyer.address", "Jl. Merdeka \u2067 1", "text.invalid_character"),
    ("custom_doc", "\u0000", "text.invalid_character"),
    ("buyer.name", "PT " + "A" * 1000, "text.too_long"),
]


@pytest.mark.parametrize("path, value, code", BAD_TEXT)
async def test_a_new_draft_with_bad_text_is_422_and_not_stored(world: Any, path: str, value: str, code: str) -> None:
    seller = await world.seller()
    body = _with(world.draft_body(seller), path, value)
    r = await world.http.post("/v1/invoices", content=raw_json(body), headers={**world.token(seller), **JSON})
    assert _codes(r) == (422, code), r.text
    assert path.split(".")[-1] in r.json()["errors"][0]["loc"]
    assert await world.scalar("SELECT count(*) FROM invoice WHERE seller_npwp = :s", s=seller) == 0


async def test_patch_and_put_with_bad_text_or_invalid_fields_are_422_and_change_nothing(world: Any) -> None:
    seller = await world.seller()
    h = {**world.token(seller), **JSON}
    draft = (await world.http.post("/v1/invoices", json=world.draft_body(seller), headers=h)).json()
    url = f"/v1/invoices/{draft['id']}"
    put_body = {k: v for k, v in world.draft_body(seller).items() if k != "seller_npwp"}
    cases = [
        ("PATCH", {"buyer": {"name": "\u0000"}}, "text.invalid_character"),  # item 1
        ("PATCH", {"custom_doc": "\u0000"}, "text.invalid_character"),  # item 1
        ("PATCH", {"buyer": {"name": "PT \ud800"}}, "text.invalid_character"),  # item 2
        ("PATCH", {"buyer": {"name": "PT \u202eAYAJ"}}, "text.invalid_character"),  # item 10
        ("PUT", _with(put_body, "buyer.name", "\u0000"), "text.invalid_character"),  # item 1
        ("PUT", _with(put_body, "custom_doc", "\u0000"), "text.invalid_character"),  # item 1
        ("PATCH", {"invoice_date": "not a date"}, "request.invalid"),  # item 3
        ("PATCH", {"lines": "x"}, "request.invalid"),  # item 3
        ("PATCH", {"seller_npwp": "0000000000000000"}, "request.invalid"),  # item 3
        ("PATCH", {"buyer": "x"}, "request.invalid"),
        ("PATCH", [1, 2], "request.invalid"),
    ]
    for method, body, code in cases:
        r = await world.http.request(method, url, content=raw_json(body), headers=h)
        assert _codes(r) == (422, code), (method, body, r.text)
    after = (await world.http.get(url, headers=h)).json()
    assert after["updated_at"] == draft["updated_at"] and after["buyer"] == draft["buyer"]


async def test_a_replacement_with_bad_buyer_text_is_422(world: Any) -> None:
    seller = await world.seller()
    signed = await make_signed(world.sessions, seller)
    r = await world.http.post(f"/v1/invoices/{signed.id}/replacement", headers={**world.token(seller), **JSON},
                              content=raw_json({"buyer": {"name": "PT \u0000"}}))
    assert _codes(r) == (422, "text.invalid_character"), r.text
    assert await world.scalar("SELECT count(*) FROM invoice WHERE replaces_id = :i", i=signed.id) == 0


@pytest.mark.parametrize("created_at", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00",
                                        "2025-01-01T00:00:00", "not a date"])
async def test_forged_cursors_are_400(world: Any, created_at: str) -> None:
    seller = await world.seller()
    r = await world.http.get("/v1/invoices", params={"cursor": forged_cursor(created_at)},
                             headers=world.token(seller))
    assert _codes(r) == (400, "pagination.invalid_cursor"), r.text


async def test_a_50_mib_draft_is_413_without_being_held_and_uploads_keep_their_own_limit(world: Any) -> None:
    seller = await world.seller()
    h = {**world.token(seller), **JSON}
    with peak_memory() as peak:
        r = await world.http.post("/v1/invoices", content=streamed(50 * MiB), headers=h)
    assert _codes(r) == (413, "request.too_large")
    assert peak.bytes < 8 * MiB, f"{peak.bytes / MiB:.1f} MiB held for one request"
    assert await world.scalar("SELECT count(*) FROM invoice WHERE seller_npwp = :s", s=seller) == 0

    # an upload larger than the default body limit is still read up to the upload limit (a setting)...
    padding = b" " * (2 * MiB)
    xml = (b'<?xml version="1.0" encoding="utf-8"?><TaxInvoiceBulk><TIN>' + seller.encode()
           + b"</TIN><ListOfTaxInvoice/>" + padding + b"</TaxInvoiceBulk>")
    r = await world.http.post("/v1/invoice-uploads", content=xml, headers={**h, "content-type": "application/xml"})
    assert r.status_code == 202, r.text
    # ...and not beyond it
    with peak_memory() as peak:
        r = await world.http.post("/v1/invoice-uploads", content=streamed(world.settings.uploads.max_bytes + MiB),
                                  headers={**h, "content-type": "application/xml"})
    assert _codes(r) == (413, "upload.too_large")
    assert peak.bytes < world.settings.uploads.max_bytes + 8 * MiB


async def test_an_upload_cannot_store_what_a_draft_may_not_hold(world: Any) -> None:
    """The same character policy on the XML path: a bidi override in a buyer's or a line's name is refused."""
    seller = await world.seller()
    h = world.token(seller)
    data = bulk(seller, 3, lines=1).replace(b"PT Pembeli 1<", "PT Maju \u202eAYAJ<".encode()).replace(
        b"<Name>Barang 0</Name>", "<Name>Barang \u2066X</Name>".encode(), 1)
    r = await world.http.post("/v1/invoice-uploads", content=data, headers={**h, "content-type": "application/xml"})
    done = await world.wait_upload(r.json()["upload_id"], h)
    codes = {(res["position"], e["code"], e["path"]) for res in done["results"] for e in res["errors"]}
    assert {(pos, code, path.rsplit("/", 1)[-1]) for pos, code, path in codes} == {
        (1, "field.invalid_character", "Name"), (2, "field.invalid_character", "BuyerName")}
    assert done["accepted"] == 1
