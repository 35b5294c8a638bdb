"""Data-driven returns (SPT Tahunan OP and Badan, SPT Masa PPh Unifikasi) through the API on the real PostgreSQL and
broker: the forms are public data, a draft is checked field by field against its schema (each refusal its code and
`details.path`, nothing written), and submission takes the SPT Masa PPN's path: required fields and attachments
(UU KUP Art 3(7)(b)) before signing, Bayar dan Lapor per KAP-KJS, receipt, late fine. Clock: 15 April 2026."""

from __future__ import annotations

from datetime import date, datetime

import httpx

from filing.forms.service import list_forms, read_form
from filing.registry.handlers import identity_handlers
from filing.submissions.handlers import payment_handlers
from kit.clock import JAKARTA, FixedClock
from services.filing.tests.conftest import Bus, auth
from services.filing.tests.factories import (
    billing_expired,
    envelope,
    identity_envelopes,
    instalments_granted,
    payment_confirmed,
    registered,
)
from services.filing.tests.identity_standin import StandIn
from services.filing.tests.test_submission import Filer, events, pdf_text, problem

OP = "/v1/returns/spt-tahunan-op/2025"
FIGURES = {"net_income": "120000000", "ptkp": "54000000", "taxable_income": "66000000", "tax_due": "6000000",
           "credit_withheld": "4500000", "credit_pph25": "600000",
           "assets": [{"code": "061", "description": "rumah tinggal", "year_acquired": 2019, "value": "850000000"},
                      {"code": "043", "description": "mobil", "value": "210000000.50"}],
           "debts": [{"code": "101", "lender": "Bank Contoh (KPR)", "amount": "300000000"}]}


def test_forms_are_public_data() -> None:
    assert [f.form for f in list_forms()] == ["spt_masa_pph21", "spt_masa_pph_unifikasi", "spt_tahunan_badan",
                                              "spt_tahunan_op"]
    assert read_form("spt-tahunan-op").schema_["required_attachments"] == ["bukti_potong"]


async def test_an_annual_return_is_drafted_checked_paid_and_filed(
        signing_api: httpx.AsyncClient, identity: StandIn, bus: Bus) -> None:
    person = registered(kind="individual")
    npwp = person.npwp
    await bus.send(identity_handlers(), "identity-events", identity_envelopes(person))
    headers = auth(npwp)
    listed = (await signing_api.get("/v1/forms")).json()  # public: no token
    assert [f["form"] for f in listed] == ["spt_masa_pph21", "spt_masa_pph_unifikasi", "spt_tahunan_badan",
                                          "spt_tahunan_op"]
    assert problem(await signing_api.get("/v1/forms/spt-masa-ppn-pemungut")) == (404, "form.unknown")

    # refusals of the draft: each its code and path, nothing written
    async def put(url: str, body: dict[str, object]) -> httpx.Response:
        return await signing_api.put(url, json=body, headers=headers)
    assert problem(await put("/v1/returns/spt-tahunan-op/2025-03/draft", {})) == (422, "period.invalid")
    assert problem(await put("/v1/returns/spt-tahunan-badan/2025/draft", {})) == (409, "return.not_owed")
    assert problem(await put("/v1/returns/spt-tahunan-op/2023/draft", {})) == (409, "return.not_owed")
    assert problem(await put("/v1/returns/spt-masa-ppn-pemungut/2025/draft", {})) == (404, "form.unknown")
    for body, code, path in [
            ({"figures": {**FIGURES, "assets": [{"code": "070", "description": "x", "value": "1"}]}},
             "form.field_invalid", "/figures/assets/0/code"),
            ({"figures": {"tax_due": "10.001"}}, "amount.too_many_decimals", "/figures/tax_due"),
            ({"figures": {"gross": "1"}}, "form.field_unknown", "/figures/gross"),
            ({"attachments": ["foto_ktp"]}, "form.attachment_unknown", "/attachments/0")]:
        refused = await put(f"{OP}/draft", body)
        assert (problem(refused), refused.json()["details"]["path"]) == ((422, code), path)
    assert (await signing_api.get(OP, headers=headers)).json()["open_return"] is None

    # a draft without the tax due nor the proof of withholding: saved, but not submittable
    partial = {k: v for k, v in FIGURES.items() if k != "tax_due"}
    draft = (await put(f"{OP}/draft", {"figures": partial})).json()
    assert (draft["open_return"]["version"], draft["missing_fields"], draft["missing_attachments"]) == (
        0, ["tax_due"], ["bukti_potong"])
    filer = Filer(signing_api, identity, npwp)
    calls = identity.signing_calls

    async def submit() -> httpx.Response:
        return await signing_api.post(f"{OP}/submission", headers=headers, json={
            "credential_id": filer.credential.id, "passphrase": filer.credential.passphrase})
    refused = await submit()
    assert (problem(refused), refused.json()["details"]["path"]) == ((422, "form.field_required"), "/figures/tax_due")
    await put(f"{OP}/draft", {"figures": FIGURES})
    refused = await submit()
    assert problem(refused) == (422, "return.attachments_missing")  # UU KUP Art 3(7)(b)
    assert (refused.json()["details"]["reasons"], refused.json()["details"]["missing_attachments"]) == (
        ["return.attachments_missing"], ["bukti_potong"])
    assert identity.signing_calls == calls  # refused before anything was signed

    draft = (await put(f"{OP}/draft", {"figures": FIGURES, "attachments": ["bukti_potong"]})).json()
    assert ([(p["kap_kjs"], p["amount"]) for p in draft["parts"]], draft["outcome"], draft["amount_due"]) == (
        [("411125-200", "900000")], "kurang_bayar", "900000")
    assert draft["figures"]["assets"][1]["value"] == "210000000.50"

    # Bayar dan Lapor: PPh 29 of 900,000 (due before the filing deadline, 31 Mar 2026)
    submitted = (await submit()).json()
    assert (submitted["form"], submitted["period"], submitted["status"], submitted["spt_version"]) == (
        "spt_tahunan_op", "2025", "awaiting_payment", 0)
    assert [(p["kap_kjs"], p["amount"], p["payment_due_date"]) for p in submitted["payments"]] == [
        ("411125-200", "900000", "2026-03-31")]
    (_, _, request), = await events(bus, "SPTPaymentRequested", submitted["spt_id"])
    assert (request["form"], request["period"], request["kap_kjs"]) == ("spt_tahunan_op", "2025", "411125-200")
    await bus.send(payment_handlers(FixedClock(date(2026, 4, 15))), "payment-events", [envelope(
        payment_confirmed(request, paid_at=datetime(2026, 4, 15, 9, 0, tzinfo=JAKARTA)), key=npwp)])

    filed = (await signing_api.get(f"{OP}/submission", headers=headers)).json()
    assert (filed["status"], filed["receipt"]["late"], filed["due_date"]) == ("filed", True, "2026-03-31")
    assert [(s["reason"], s["kap_kjs"], s["amount"]) for s in filed["stps"]] == [
        ("late_filing", "411125-300", "100000")]  # UU KUP Art 7(1): Rp100,000 for an SPT Tahunan OP
    (_, _, data), = await events(bus, "SPTSubmitted", filed["spt_id"])
    assert (data["form"], data["period"], data["amount_payable"], data["late"]) == (
        "spt_tahunan_op", "2025", "900000", True)
    printed = pdf_text((await signing_api.get(f"/v1/receipts/{filed['receipt']['number']}/pdf",
                                              headers=headers)).content)
    for part in ("SPT Tahunan PPh Orang Pribadi", "2025", "KAP-KJS 411125-200", "Rp900.000", "Kurang Bayar"):
        assert part in printed, part

    # a pembetulan: the next version of the same form, on the same path. Raising the tax needs the Art 8(2)
    # interest rate of the month the interest starts (March 2026, the filing deadline), which the KMK table does not
    # have yet: refused before signing, never guessed. Lowering it files at once as SPTCorrected.
    draft = (await put(f"{OP}/draft", {"figures": {**FIGURES, "tax_due": "7000000"},
                                       "attachments": ["bukti_potong"]})).json()
    assert (draft["open_return"]["version"], draft["amount_due"]) == (1, "1900000")
    calls = identity.signing_calls
    assert problem(await submit()) == (422, "sanctions.interest_rate_unknown")
    assert identity.signing_calls == calls
    await put(f"{OP}/draft", {"figures": {**FIGURES, "tax_due": "5500000"}, "attachments": ["bukti_potong"]})
    corrected = (await submit()).json()
    assert (corrected["spt_version"], corrected["status"], corrected["tax_raise"], corrected["outcome"],
            corrected["shows_overpayment_or_loss"], corrected["receipt"]["late"]) == (
        1, "filed", "0", "kurang_bayar", True, False)
    (_, _, data), = await events(bus, "SPTCorrected", corrected["spt_id"])
    assert (data["form"], data["previous_spt_id"], data["amount_payable"]) == ("spt_tahunan_op", filed["spt_id"],
                                                                               "400000")
    history = (await signing_api.get(f"{OP}/versions", headers=headers)).json()
    assert [(v["version"], v["figures"]["figures"]["tax_due"]) for v in history["versions"]] == [
        (0, "6000000.00"), (1, "5500000.00")]


async def test_unifikasi_pays_per_kap_and_a_badan_overpayment_files_at_once(
        signing_api: httpx.AsyncClient, identity: StandIn, bus: Bus) -> None:
    company = registered(kind="company")
    npwp = company.npwp
    await bus.send(identity_handlers(), "identity-events", identity_envelopes(company))
    headers = auth(npwp)
    filer = Filer(signing_api, identity, npwp)
    body = {"credential_id": filer.credential.id, "passphrase": filer.credential.passphrase}

    unifikasi = "/v1/returns/spt-masa-pph-unifikasi/2026-03"
    await signing_api.put(f"{unifikasi}/draft", headers=headers, json={"attachments": ["daftar_bukti_potong"],
                          "figures": {"withholdings": [
                              {"kap_kjs": "411124-104", "documents": 3, "gross": "10000000", "pph": "200000"},
                              {"kap_kjs": "411128-403", "documents": 1, "gross": "5000000", "pph": "500000"}]}})
    submitted = (await signing_api.post(f"{unifikasi}/submission", headers=headers, json=body)).json()
    assert [(p["kap_kjs"], p["amount"], p["payment_due_date"]) for p in submitted["payments"]] == [
        ("411124-104", "200000", "2026-04-15"), ("411128-403", "500000", "2026-04-15")]
    assert len(await events(bus, "SPTPaymentRequested", submitted["spt_id"])) == 2

    badan = "/v1/returns/spt-tahunan-badan/2025"
    draft = (await signing_api.put(f"{badan}/draft", headers=headers, json={
        "attachments": ["laporan_keuangan"], "figures": {
            "gross_revenue": "4800000000", "net_income": "-75000000", "tax_due": "0", "credit_withheld": "12000000",
            "assets": [{"code": "012", "description": "rekening giro", "value": "150000000"}]}})).json()
    assert (draft["outcome"], draft["overpayment"], draft["shows_loss"]) == ("lebih_bayar", "12000000", True)
    filed = (await signing_api.post(f"{badan}/submission", headers=headers, json=body)).json()
    assert (filed["status"], filed["outcome"], filed["overpayment"], filed["receipt"]["late"], filed["stps"]) == (
        "filed", "lebih_bayar", "12000000", False, [])  # due 30 Apr 2026
    (_, _, data), = await events(bus, "SPTSubmitted", filed["spt_id"])
    assert (data["form"], data["outcome"]) == ("spt_tahunan_badan", "lebih_bayar")
    codes = {c["code"] for c in (await signing_api.get("/v1/error-codes")).json()}
    assert {"form.unknown", "form.field_unknown", "form.field_required", "form.field_invalid",
            "form.attachment_unknown", "correction.under_audit", "audit.not_found", "skp.kind_mismatch"} <= codes


async def test_instalments_granted_for_the_pph29_file_the_waiting_return(
        signing_api: httpx.AsyncClient, identity: StandIn, bus: Bus) -> None:
    """PMK-81/2024 Art 114: the PPh 29 of an annual return may be paid in instalments. payment grants them on the
    return's code (InstalmentGranted naming the SPT) and expires that code just after: the return is filed as of its
    submission, with no NTPN, and the expiry that follows changes nothing."""
    person = registered(kind="individual")
    npwp = person.npwp
    await bus.send(identity_handlers(), "identity-events", identity_envelopes(person))
    headers = auth(npwp)
    await signing_api.put(f"{OP}/draft", json={"figures": FIGURES, "attachments": ["bukti_potong"]}, headers=headers)
    filer = Filer(signing_api, identity, npwp)
    submitted = (await signing_api.post(f"{OP}/submission", headers=headers, json={
        "credential_id": filer.credential.id, "passphrase": filer.credential.passphrase})).json()
    assert submitted["status"] == "awaiting_payment"
    (_, _, request), = await events(bus, "SPTPaymentRequested", submitted["spt_id"])

    granted_at = datetime(2026, 4, 20, 10, 0, tzinfo=JAKARTA)
    grant = instalments_granted(request, granted_at=granted_at)
    handlers = payment_handlers(FixedClock(date(2026, 4, 20)))
    await bus.send(handlers, "payment-events", [envelope(grant, key=npwp), envelope(grant, key=npwp),
                                                envelope(billing_expired(request, expired_at=granted_at), key=npwp)])

    filed = (await signing_api.get(f"{OP}/submission", headers=headers)).json()
    assert (filed["status"], filed["receipt"]["filed_at"], filed["receipt"]["ntpn"]) == (
        "filed", submitted["submitted_at"], None)
    assert [(p["kap_kjs"], p["status"], p["arrangement_id"]) for p in filed["payments"]] == [
        ("411125-200", "instalment", grant.arrangement_id)]
    (_, _, data), = await events(bus, "SPTSubmitted", filed["spt_id"])  # once, however often the grant came
    assert (data["ntpn"], data["amount_payable"]) == (None, "900000")
