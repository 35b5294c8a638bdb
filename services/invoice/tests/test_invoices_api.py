"""Drafts by API on the real database: create, read, change, delete; PKP on the invoice date; roles; idempotency;
output and input lists."""

from __future__ import annotations

from datetime import date
from typing import Any


async def test_draft_lifecycle_and_computed_amounts(world: Any) -> None:
    seller = await world.seller()
    h = world.token(seller, "invoice:read invoice:draft")
    created = await world.http.post("/v1/invoices", json=world.draft_body(seller), headers=h)
    assert created.status_code == 201, created.text
    inv = created.json()
    assert inv["status"] == "draft" and inv["nsfp"] is None and inv["period"] == "2025-03"
    assert (inv["dpp"], inv["dpp_other"], inv["ppn"], inv["ppnbm"]) == ("100000.00", "91667.00", "11000.00", "0.00")
    assert inv["lines"][0]["other_tax_base"] == "91666.67" and inv["lines"][0]["vat_rate"] == "12.0000"
    assert inv["seller_nitku"] == seller + "000000" and inv["buyer"]["nitku"] == "0013121660091000000000"

    got = await world.http.get(f"/v1/invoices/{inv['id']}", headers=h)
    assert got.status_code == 200 and got.json()["buyer"]["name"] == "PT Pembeli Sejahtera"
    patched = await world.http.patch(f"/v1/invoices/{inv['id']}", json={"buyer": {"name": "PT Baru"},
                                                                          "trx_code": "01"}, headers=h)
    assert patched.status_code == 200, patched.text
    assert patched.json()["buyer"]["name"] == "PT Baru" and patched.json()["ppn"] == "12000.00"
    put = await world.http.put(f"/v1/invoices/{inv['id']}", json={k: v for k, v in world.draft_body(seller).items()
                                                                   if k != "seller_npwp"}, headers=h)
    assert put.status_code == 200 and put.json()["trx_code"] == "04"
    assert (await world.http.delete(f"/v1/invoices/{inv['id']}", headers=h)).status_code == 204
    gone = await world.http.get(f"/v1/invoices/{inv['id']}", headers=h)
    assert gone.status_code == 404 and gone.json()["code"] == "invoice.not_found"


async def test_rules_break_with_codes_and_json_paths(world: Any) -> None:
    seller = await world.seller()
    body = world.draft_body(seller, trx_code="07")
    body["buyer"]["tin"] = "0013121660091001"[:15] + "9"
    body["lines"][0]["unit"] = "UM.9999"
    r = await world.http.post("/v1/invoices", json=body, headers=world.token(seller))
    assert r.status_code == 422 and r.json()["code"] == "invoice.invalid"
    errors = {(e["code"], e["path"]) for e in r.json()["details"]["errors"]}
    assert ("facility.required", "add_info") in errors and ("line.unit_invalid", "lines[0].unit") in errors


async def test_only_a_pkp_on_the_invoice_date_may_issue(world: Any) -> None:
    seller = await world.seller(pkp_from=None)
    r = await world.http.post("/v1/invoices", json=world.draft_body(seller), headers=world.token(seller))
    assert r.status_code == 422 and r.json()["details"]["errors"][0]["code"] == "seller.not_pkp"
    later = await world.seller(pkp_from=date(2025, 4, 1))
    r = await world.http.post("/v1/invoices", json=world.draft_body(later), headers=world.token(later))
    assert [e["code"] for e in r.json()["details"]["errors"]] == ["seller.not_pkp"]
    ok = await world.http.post("/v1/invoices", json=world.draft_body(later, invoice_date="2025-04-01"), headers=world.token(later))
    assert ok.status_code == 201
    unknown = world.npwp16()
    r = await world.http.post("/v1/invoices", json=world.draft_body(unknown), headers=world.token(unknown))
    assert r.json()["details"]["errors"][0]["code"] == "seller.unknown"


async def test_roles_and_other_taxpayers(world: Any) -> None:
    seller = await world.seller()
    assert (await world.http.post("/v1/invoices", json=world.draft_body(seller))).status_code == 401
    reader = await world.http.post("/v1/invoices", json=world.draft_body(seller), headers=world.token(seller, "invoice:read"))
    assert reader.status_code == 403 and reader.json()["code"] == "auth.missing_scope"
    other = await world.http.post("/v1/invoices", json=world.draft_body(seller), headers=world.token(world.npwp16()))
    assert other.status_code == 403 and other.json()["code"] == "auth.taxpayer_forbidden"
    pjap = world.token(seller, "invoice:read invoice:draft", act={"sub": "pjap-abc", "client_kind": "pjap"})
    assert (await world.http.post("/v1/invoices", json=world.draft_body(seller), headers=pjap)).status_code == 201
    signer = world.token(seller, "invoice:read invoice:sign")
    assert (await world.http.post("/v1/invoices", json=world.draft_body(seller), headers=signer)).status_code == 201


async def test_idempotency_key(world: Any) -> None:
    seller = await world.seller()
    h = {**world.token(seller), "Idempotency-Key": "k-1"}
    body = world.draft_body(seller)
    first = await world.http.post("/v1/invoices", json=body, headers=h)
    again = await world.http.post("/v1/invoices", json=body, headers=h)
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    other = await world.http.post("/v1/invoices", json=world.draft_body(seller), headers=h)
    assert other.status_code == 422 and other.json()["code"] == "idempotency.key_reused"
    assert await world.scalar("SELECT count(*) FROM invoice WHERE seller_npwp = :s", s=seller) == 1


async def test_duplicate_reference_is_refused(world: Any) -> None:
    seller = await world.seller()
    body = world.draft_body(seller, reference="INV/1")
    assert (await world.http.post("/v1/invoices", json=body, headers=world.token(seller))).status_code == 201
    dup = await world.http.post("/v1/invoices", json=body, headers=world.token(seller))
    assert dup.json()["details"]["errors"][0]["code"] == "invoice.duplicate_reference"
    assert dup.json()["details"]["errors"][0]["legacy_code"] == "ETAX-20002"


async def test_output_list_shows_drafts_at_once_with_filters_and_cursor(world: Any) -> None:
    seller = await world.seller()
    h = world.token(seller)
    for i in range(5):
        r = await world.http.post("/v1/invoices", json=world.draft_body(seller, trx_code="01" if i % 2 else "04"),
                                  headers=h)
        assert r.status_code == 201
    page1 = (await world.http.get("/v1/invoices?view=output&limit=3", headers=h)).json()
    page2 = (await world.http.get(f"/v1/invoices?view=output&limit=3&cursor={page1['next_cursor']}",
                                  headers=h)).json()
    assert len(page1["items"]) == 3 and len(page2["items"]) == 2 and page2["next_cursor"] is None
    ids = [i["id"] for i in page1["items"] + page2["items"]]
    assert len(set(ids)) == 5
    only01 = (await world.http.get("/v1/invoices?transaction_code=01&period=2025-03&status=draft", headers=h)).json()
    assert len(only01["items"]) == 2
    assert (await world.http.get("/v1/invoices?period=2025-04", headers=h)).json()["items"] == []
    buyer = "0013121660091000"
    inbox = (await world.http.get("/v1/invoices?view=input", headers=world.token(buyer))).json()
    assert all(i["seller_npwp"] != seller for i in inbox["items"])  # drafts are not the buyer's business


async def test_error_catalogue(world: Any) -> None:
    codes = {c["code"]: c for c in (await world.http.get("/v1/error-codes")).json()}
    assert codes["npwp.checksum"]["legacy_code"] == "ETAX-20005"
    assert codes["line.price_not_positive"]["legacy_code"] == "ETAX-30024"
