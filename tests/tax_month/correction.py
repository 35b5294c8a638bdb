"""Step 5: a pembetulan raises the tax. Two invoices of the period turn up after the Normal was filed: the drafter
drafts them, the signer signs them with the Kode Otorisasi in the signer's own name (not the PJAP's batch), filing's
prefill takes them in, and Pembetulan ke-1 is submitted: it pays only what it raises, through its own billing code
paid at the bank sandbox, and the version history shows both versions as signed.

Art 8(2a) interest runs from the period's payment due date (the end of the month after the period) to the payment
date: the raise is paid before that date, so the interest is nil and no STP is issued (the pembetulan's
`stps` is empty, which is asserted). An Art 8(2a) STP needs a raise paid after the due date, i.e. a period at least
two months back: the seller's period is the last one, so it does not arise in this month (the late filer's Art 9(2a)
interest, step 4, is the month's interest STP). Until filing's fix of 6 December 2026 a raising pembetulan was refused
`calendar.year_unknown` from 1 December whatever its interest; step 0's 2027 calendar would hide that bug here, and
filing's own tests cover the fix."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from tests.tax_month.actors import PASSPHRASE, Api, Cast
from tests.tax_month.dates import Dates
from tests.tax_month.pjap import Invoices, wait_for
from tests.tax_month.spt import SPT, Filed, acting, billing_of, check_receipt, filed, money, notices, prefilled


@dataclass
class Corrected:
    invoice_ids: list[str] = field(default_factory=list)
    raise_: Decimal = Decimal(0)
    spt_id: str = ""
    billing_code: str = ""
    ntpn: str = ""
    submission: dict[str, Any] = field(default_factory=dict)
    history: dict[str, Any] = field(default_factory=dict)


async def pembetulan(api: Api, cast: Cast, dates: Dates, invoices: Invoices, normal: Filed) -> Corrected:
    seller, buyer = cast.taxpayers["seller"], cast.taxpayers["buyer"]
    as_drafter = await acting(api, cast, "drafter", "seller")
    as_signer = await acting(api, cast, "signer", "seller")
    out = Corrected()

    # -- two more invoices of the period: drafted by the drafter, signed by the signer ---------------------------
    for i, price in enumerate(("12500000", "3750000")):
        draft = await api.call("POST", "invoice", "/v1/invoices", headers=as_drafter, expect=201, json={
            "seller_npwp": seller.npwp, "invoice_date": dates.invoice_date(27 - i), "trx_code": "04",
            "reference": f"TM-{cast.tag}-LATE-{i}",
            "buyer": {"document": "TIN", "tin": buyer.npwp, "name": buyer.name, "address": "Jl. Asia Afrika 5"},
            "lines": [{"name": "Sewa gudang", "unit": "UM.0030", "price": price, "qty": "1", "opt": "B"}]})
        out.invoice_ids.append(draft["id"])
        out.raise_ += money(draft["ppn"])
    refused = await api.refused("POST", "invoice", "/v1/signing-jobs", headers=as_drafter, json={
        "invoice_ids": out.invoice_ids, "credential_id": cast.credential_id, "passphrase": PASSPHRASE})
    assert refused.status == 403, refused  # a drafter never signs (item 19)
    job = await api.call("POST", "invoice", "/v1/signing-jobs", headers=as_signer, expect=(201, 202), json={
        "invoice_ids": out.invoice_ids, "credential_id": cast.credential_id, "passphrase": PASSPHRASE})
    done = await wait_for(api, "invoice", f"/v1/signing-jobs/{job['id']}", as_signer, ("completed", "failed"), 60)
    assert (done["state"], done["signed"]) == ("completed", 2), done
    invoices.nsfps |= {i["nsfp"] for i in done["items"]}

    # -- Pembetulan ke-1: prefilled with them, paying only the raise ----------------------------------------------
    spt = await prefilled(api, as_signer, seller.npwp, dates.period, invoices=len(invoices.ids) + 2)
    assert money(spt["amount_due"]) == normal.amount + out.raise_, spt
    submitted = await api.call("POST", "filing", f"{SPT}/{dates.period}/submission", headers=as_signer,
                               params={"npwp": seller.npwp}, json={"credential_id": cast.credential_id,
                                                                   "passphrase": PASSPHRASE, "kind": "pembetulan"})
    assert (submitted["status"], submitted["spt_version"], submitted["version_label"]) == (
        "awaiting_payment", 1, "Pembetulan ke-1"), submitted
    assert (money(submitted["tax_raise"]), submitted["previous_spt_id"]) == (out.raise_, normal.spt_id), submitted
    (payment,) = submitted["payments"]
    assert (payment["kap_kjs"], money(payment["amount"])) == ("411211-100", out.raise_), payment
    # paid before the payment due date of the period: no Art 8(2a) interest (see the module's docstring)
    assert date.fromisoformat(payment["payment_due_date"]) > dates.today, payment
    out.spt_id = submitted["spt_id"]
    code = await billing_of(api, as_signer, out.spt_id)
    assert money(code["amount"]) == out.raise_, code
    out.billing_code = code["code"]
    out.ntpn = (await api.pay(out.billing_code))["ntpn"]

    out.submission = await filed(api, as_signer, seller.npwp, dates.period, 1)
    receipt = out.submission["receipt"]
    assert (receipt["ntpn"], receipt["version_label"], out.submission["stps"]) == (
        out.ntpn, "Pembetulan ke-1", []), out.submission
    await check_receipt(api, as_signer, receipt)
    stps = await api.call("GET", "filing", "/v1/stps", headers=as_signer, params={"npwp": seller.npwp})
    assert stps == [], "an on-time seller with its raise paid before the due date owes no sanction"

    # -- the history of versions, as signed -----------------------------------------------------------------------
    out.history = await api.call("GET", "filing", f"{SPT}/{dates.period}/versions", headers=as_signer,
                                 params={"npwp": seller.npwp})
    assert [(v["version"], v["version_label"], v["status"], v["content_digest"], v["receipt"]["ntpn"],
             money(v["amount_payable"]), v["stps"]) for v in out.history["versions"]] == [
        (0, "Normal", "filed", normal.submission["content_digest"], normal.ntpn, normal.amount, []),
        (1, "Pembetulan ke-1", "filed", out.submission["content_digest"], out.ntpn, normal.amount + out.raise_, [])]
    assert money(out.history["versions"][1]["tax_raise"]) == out.raise_
    await notices(api, as_signer, {"spt.corrected"})
    return out
