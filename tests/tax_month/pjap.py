"""Step 2: a PJAP integrator, registered by an officer and delegated by the company's PIC, uploads one Coretax XML
file of N invoices and has them signed in one signing job with the signer's Kode Otorisasi (seed 000 items 21, 25);
the buyer sees every one of them in its input list as soon as the job has signed them (item 18) and credits some of
them (`InputTaxCredited`)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tests.tax_month.actors import PASSPHRASE, Api, Cast, bearer
from tests.tax_month.dates import Dates

PJAP_SCOPES = ["invoice:read", "invoice:draft", "invoice:sign"]
CENT = Decimal("0.01")
XML = {"content-type": "application/xml"}


@dataclass
class Invoices:
    upload_id: str = ""
    job_id: str = ""
    ids: list[str] = field(default_factory=list)
    nsfps: set[str] = field(default_factory=set)
    credited: list[str] = field(default_factory=list)
    credited_ppn: Decimal = Decimal(0)
    seconds: dict[str, float] = field(default_factory=dict)


def _line(j: int, price: Decimal, qty: int) -> str:
    base = price * qty
    other = (base * 11 / 12).quantize(CENT, ROUND_HALF_UP)  # DPP nilai lain, PMK-131/2024
    vat = (other * 12 / 100).quantize(CENT, ROUND_HALF_UP)
    opt, unit, name = ("A", "UM.0018", f"Suku cadang {j}") if j % 2 == 0 else ("B", "UM.0030", f"Jasa angkut {j}")
    return (f"<GoodService><Opt>{opt}</Opt><Code>000000</Code><Name>{name}</Name><Unit>{unit}</Unit>"
            f"<Price>{price:.2f}</Price><Qty>{qty}</Qty><TotalDiscount>0</TotalDiscount><TaxBase>{base:.2f}</TaxBase>"
            f"<OtherTaxBase>{other:.2f}</OtherTaxBase><VATRate>12</VATRate><VAT>{vat:.2f}</VAT><STLGRate>0</STLGRate>"
            "<STLG>0</STLG></GoodService>")


def coretax_xml(seller: str, buyer: str, buyer_name: str, dates: Dates, n: int, tag: str) -> bytes:
    """A TaxInvoiceBulk file (services/invoice README, "Uploads"; the shape of bench/invoice_upload.py) of `n`
    invoices to one buyer, one or two lines each, amounts varying, dated over the period."""
    parts = [f'<?xml version="1.0" encoding="utf-8"?><TaxInvoiceBulk><TIN>{seller}</TIN><ListOfTaxInvoice>']
    for i in range(n):
        price = Decimal(250_000 + (i * 7_919) % 4_000_000)
        goods = "".join(_line(j, price + 1_000 * j, 1 + (i + j) % 3) for j in range(1 + i % 2))
        parts.append(
            f"<TaxInvoice><TaxInvoiceDate>{dates.invoice_date(i)}</TaxInvoiceDate><TaxInvoiceOpt>Normal"
            f"</TaxInvoiceOpt><TrxCode>04</TrxCode><AddInfo/><CustomDoc/><CustomDocMonthYear/>"
            f"<RefDesc>TM-{tag}-{i:06d}</RefDesc><FacilityStamp/><SellerIDTKU>{seller}000000</SellerIDTKU>"
            f"<BuyerTin>{buyer}</BuyerTin><BuyerDocument>TIN</BuyerDocument><BuyerCountry>IDN</BuyerCountry>"
            f"<BuyerDocumentNumber/><BuyerName>{buyer_name}</BuyerName><BuyerAdress>Jl. Asia Afrika 5, Bandung"
            f"</BuyerAdress><BuyerEmail/><BuyerIDTKU>{buyer}000000</BuyerIDTKU><ListOfGoodService>{goods}"
            "</ListOfGoodService></TaxInvoice>")
    parts.append("</ListOfTaxInvoice></TaxInvoiceBulk>")
    return "".join(parts).encode()


async def wait_for(api: Api, service: str, path: str, headers: dict[str, str], done: tuple[str, ...],
                   timeout: float, params: dict[str, str] | None = None) -> dict[str, Any]:
    """Poll a job until its state is one of `done`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        body = await api.call("GET", service, path, headers=headers, params=params or {})
        if body["state"] in done:
            return dict(body)
        assert loop.time() < deadline, f"{path} still {body['state']} after {timeout}s"
        await asyncio.sleep(0.25)


async def list_all(api: Api, headers: dict[str, str], **params: str) -> list[dict[str, Any]]:
    """Every page of invoice's keyset list."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page = await api.call("GET", "invoice", "/v1/invoices", headers=headers,
                              params={**params, "limit": "200", **({"cursor": cursor} if cursor else {})})
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


async def pjap_uploads_and_signs(api: Api, cast: Cast, dates: Dates, n: int) -> Invoices:
    loop = asyncio.get_running_loop()
    out = Invoices()
    seller, buyer = cast.taxpayers["seller"], cast.taxpayers["buyer"]

    # -- an officer registers the integrator; the company's PIC delegates to it -------------------------------
    client = await api.call("POST", "identity", "/internal/v1/clients", headers=api.officer("identity:officer"),
                            json={"name": "PJAP Integrasi Nusantara", "scopes": PJAP_SCOPES, "kind": "pjap"},
                            expect=201)
    cast.pjap = {"client_id": client["client_id"], "client_secret": client["client_secret"]}
    refused = await api.http.post(f"{api.url('identity')}/v1/oauth/token", data={
        "grant_type": "client_credentials", "client_id": client["client_id"],
        "client_secret": client["client_secret"], "resource": f"urn:lontar:taxpayer:{seller.npwp}"})
    assert refused.status_code == 403, "no delegation yet: the PJAP cannot act for the company"
    as_pic = bearer(await api.exchange(cast.people["kenji"].token, seller.npwp))
    delegated = await api.call("POST", "identity", f"/v1/taxpayers/{seller.npwp}/pjap-delegations", headers=as_pic,
                               json={"client_id": client["client_id"], "scopes": PJAP_SCOPES}, expect=201)
    assert sorted(delegated["scopes"].split()) == sorted(PJAP_SCOPES), delegated
    pjap = bearer(await api.client_token(client["client_id"], client["client_secret"], seller.npwp))

    # -- one file of n invoices ----------------------------------------------------------------------------------
    content = coretax_xml(seller.npwp, buyer.npwp, buyer.name, dates, n, cast.tag)
    started = loop.time()
    while True:
        accepted = await api.call("POST", "invoice", "/v1/invoice-uploads", content=content,
                                  headers={**pjap, **XML}, expect=202)
        out.upload_id = accepted["upload_id"]
        upload = await wait_for(api, "invoice", f"/v1/invoice-uploads/{out.upload_id}", pjap,
                                ("completed", "rejected"), timeout=60 + n / 100)
        codes = {e["code"] for r in upload["results"] for e in r["errors"]}
        # invoice's replica may not have identity's PKP decision yet (events, seconds at most; longer while a
        # fault is injected): then every invoice fails for it and nothing is stored, so the file is sent again
        if upload["accepted"] or not codes or not codes <= {"seller.unknown", "seller.not_pkp"}:
            break
        assert loop.time() - started < 90, f"invoice never saw the seller as a PKP: {codes}"
        await asyncio.sleep(1)
    out.seconds["upload"] = loop.time() - started
    problems = [r for r in upload["results"] if r["errors"]][:5]
    assert (upload["state"], upload["accepted"], upload["failed"]) == ("completed", n, 0), (upload["error"], problems)
    warned = [r for r in upload["results"] if r["warnings"]][:5]
    assert not warned, f"no invoice is late or amended on reading: {warned}"
    out.ids = [r["invoice_id"] for r in upload["results"]]

    # -- signed in one job, with the signer's Kode Otorisasi and passphrase -------------------------------------
    started = loop.time()
    job = await api.call("POST", "invoice", "/v1/signing-jobs", headers=pjap, expect=(201, 202), json={
        "upload_id": out.upload_id, "credential_id": cast.credential_id, "passphrase": PASSPHRASE})
    out.job_id = job["id"]
    assert job["total"] == n, {k: job[k] for k in ("state", "total", "signed", "failed")}
    done = await wait_for(api, "invoice", f"/v1/signing-jobs/{out.job_id}", pjap, ("completed", "failed"),
                          timeout=60 + n / 50, params={"item_state": "failed"})
    out.seconds["signing"] = loop.time() - started
    assert (done["state"], done["signed"], done["failed"]) == ("completed", n, 0), {
        k: done[k] for k in ("state", "signed", "failed", "items")}

    # -- the seller's output list and the buyer's input list show every signed invoice at once ------------------
    started = loop.time()
    output = await list_all(api, pjap, view="output", period=dates.period, status="signed")
    mine = {i["id"]: i for i in output}
    assert set(out.ids) <= set(mine), f"{len(set(out.ids) - set(mine))} signed invoices missing from the output"
    out.nsfps = {mine[i]["nsfp"] for i in out.ids}
    assert len(out.nsfps) == n and None not in out.nsfps, "every invoice numbered, no NSFP twice"
    rina = cast.people["rina"]
    as_buyer = bearer(await api.exchange(rina.token, buyer.npwp))
    inputs = await list_all(api, as_buyer, view="input", period=dates.period)
    assert {i["id"] for i in inputs} >= set(out.ids), "the buyer sees every signed invoice at once (item 18)"
    out.seconds["lists"] = loop.time() - started

    # -- the buyer credits some of them in the period -----------------------------------------------------------
    by_id = {i["id"]: i for i in inputs}
    out.credited = out.ids[: max(3, n // 100)]
    for invoice_id in out.credited:
        decided = await api.call("POST", "invoice", f"/v1/invoices/{invoice_id}/input-tax", headers=as_buyer,
                                 json={"action": "credit", "period": dates.period})
        assert decided["input_tax_action"] == "credit", decided
        out.credited_ppn += Decimal(by_id[invoice_id]["ppn"])
    return out
