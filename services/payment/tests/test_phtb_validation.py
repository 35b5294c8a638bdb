"""PPh PHTB validation through the API on the real database: a 411128-402 code names the transfer; the seller or a
notary (PPAT) requests the validation; the rules validate at once (letter number, PDF with QR, `PHTBValidated`, a
webhook row for each land office of the NOP's region) or queue it for an officer with the reasons; the land office
reads it by NOP and NTPN; refusals change nothing."""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

import pytest
from pydantic import SecretStr

from contracts.payment import PHTBValidated
from kit.testing.events import random_npwp
from kit.webhooks import WebhookSettings
from payment.settings import PaymentSettings
from services.payment.tests.conftest import World
from services.payment.tests.factories import mandiri_body, officer_token, taxpayer_token
from services.payment.tests.phtb_support import (
    NOP,
    drawn_rects,
    land_office_token,
    paid_phtb_code,
    pdf_text,
    ppat_token,
    qr_runs,
    random_nop,
)


@pytest.fixture
def settings(settings: PaymentSettings) -> PaymentSettings:
    return settings.model_copy(update={"webhooks": WebhookSettings(
        secret=SecretStr("phtb-test-secret"), allowed_networks=["127.0.0.1/32"])})


def request_body(paid: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {"seller_npwp": paid["seller"], "buyer_id": paid["buyer"], "nop": paid["nop"],
            "gross_value": paid["value"], "category": "general", "ntpn": paid["ntpn"], **changes}


async def validations_of(world: World, seller: str) -> int:
    return int(await world.scalar("SELECT count(*) FROM phtb_validation WHERE seller_npwp = :s", s=seller))


async def test_a_phtb_billing_code_names_the_property_value_and_buyer(world: World) -> None:
    seller, buyer = random_npwp(), random_npwp()
    base = mandiri_body(seller, kap_kjs="411128-402", period="2026-11", amount="50000000")
    for body, error, details in [
        (base, "billing.transfer_required", {"missing": ["buyer_id", "nop", "transfer_value"]}),
        ({**base, "nop": NOP, "buyer_id": buyer}, "billing.transfer_required", {"missing": ["transfer_value"]}),
        ({**base, "nop": "31.71.010", "transfer_value": "2000000000", "buyer_id": buyer}, "phtb.nop_invalid",
         {"reason": "length"}),
        ({**base, "nop": NOP, "transfer_value": "2000000000.5", "buyer_id": buyer}, "billing.amount_invalid",
         {"reason": "not_whole_rupiah"}),
        (mandiri_body(seller, nop=NOP), "billing.transfer_not_applicable", {"fields": ["nop"]}),
    ]:
        refused = await world.http.post("/v1/billing-codes", json=body, headers=taxpayer_token(seller))
        assert (refused.status_code, refused.json()["code"]) == (422, error), refused.text
        assert refused.json()["details"] == details, refused.json()
    assert await world.scalar("SELECT count(*) FROM billing WHERE npwp = :n", n=seller) == 0

    code = await world.new_code(seller, kap_kjs="411128-402", period="2026-11", amount="50000000", nop=NOP,
                                transfer_value=2_000_000_000, buyer_id=buyer)
    read = (await world.http.get(f"/v1/billing-codes/{code['code']}", headers=taxpayer_token(seller))).json()
    assert (read["nop"], read["transfer_value"], read["buyer_id"]) == ("317101000100201230", "2000000000", buyer)
    plain = await world.new_code(seller)
    assert (plain["nop"], plain["transfer_value"], plain["buyer_id"]) == (None, None, None)


async def test_the_seller_is_validated_at_once_and_the_land_office_reads_it(world: World) -> None:
    paid = await paid_phtb_code(world)
    region = paid["nop"][:4]
    here, elsewhere = f"land-office-{uuid.uuid4().hex[:6]}", f"land-office-{uuid.uuid4().hex[:6]}"
    for client, prefixes in ((here, [region]), (elsewhere, ["99" if region[:2] != "99" else "98"])):
        put = await world.http.put("/v1/land-office/webhook", headers=land_office_token(client),
                                   json={"url": f"http://127.0.0.1:9/{client}", "nop_prefixes": prefixes})
        assert put.status_code == 200, put.text

    seller = taxpayer_token(paid["seller"])
    key = {"Idempotency-Key": str(uuid.uuid4())}
    r = await world.http.post("/v1/phtb/validations", json=request_body(paid, seller_npwp=None),
                              headers={**seller, **key})
    assert r.status_code == 201, r.text
    v = r.json()
    assert (v["status"], v["decided_by"], v["reasons"], v["requester_kind"]) == ("validated", "rules", [], "taxpayer")
    assert re.fullmatch(r"SKV-PHTB/20\d\d/\d{8}", v["number"]), v["number"]
    assert (v["ntpn"], v["billing_code"], v["tax_amount"], v["rate_percent"], v["gross_value"]) == (
        paid["ntpn"], paid["code"], "50000000", "2.5", "2000000000")
    again = await world.http.post("/v1/phtb/validations", json=request_body(paid, seller_npwp=None),
                                  headers={**seller, **key})
    assert (again.status_code, again.json()) == (201, v)
    repeated = await world.http.post("/v1/phtb/validations", json=request_body(paid), headers=seller)
    assert (repeated.status_code, repeated.json()["code"]) == (409, "phtb.validation_exists")
    assert repeated.json()["details"] == {"validation_id": v["id"], "status": "validated"}
    assert await validations_of(world, paid["seller"]) == 1

    [(key_, event)] = [(k, e) for k, e in await world.events("PHTBValidated", npwp=paid["seller"])]
    assert key_ == paid["seller"] and isinstance(event, PHTBValidated)
    assert (event.number, event.nop, event.ntpn, event.tax_amount, event.decided_by, event.kap_kjs) == (
        v["number"], paid["nop"], paid["ntpn"], "50000000", "rules", "411128-402")
    assert await world.scalar("SELECT (payload->>'sequence')::int FROM outbox WHERE event_type = 'PHTBValidated' "
                              "AND payload->>'subject' = :s", s=v["id"]) == 2
    deliveries = await world.rows("SELECT client_id, state, body FROM webhook_delivery WHERE subject_id = :s",
                                  s=uuid.UUID(v["id"]))
    assert [(d["client_id"], d["state"]) for d in deliveries] == [(here, "pending")]
    assert f'"number":"{v["number"]}"' in deliveries[0]["body"]

    found = await world.http.get("/v1/land-office/phtb-validations", headers=land_office_token(here),
                                 params={"nop": v["nop_formatted"], "ntpn": paid["ntpn"].lower()})
    assert found.status_code == 200 and found.json() == v, found.text
    by_number = await world.http.get("/v1/land-office/phtb-validations", headers=land_office_token(elsewhere),
                                     params={"nop": paid["nop"], "number": v["number"]})
    assert by_number.json()["id"] == v["id"]
    for params, status, error in [({"nop": random_nop(), "ntpn": paid["ntpn"]}, 404, "phtb.validation_not_found"),
                                  ({"nop": paid["nop"]}, 422, "phtb.lookup_key_required"),
                                  ({"nop": "12", "ntpn": paid["ntpn"]}, 422, "phtb.nop_invalid")]:
        missing = await world.http.get("/v1/land-office/phtb-validations", headers=land_office_token(), params=params)
        assert (missing.status_code, missing.json()["code"]) == (status, error)
    refused = await world.http.get("/v1/land-office/phtb-validations", headers=seller,
                                   params={"nop": paid["nop"], "ntpn": paid["ntpn"]})
    assert (refused.status_code, refused.json()["code"]) == (403, "auth.land_office_required")

    letter = await world.http.get(v["letter_path"], headers=land_office_token(here))
    assert letter.status_code == 200 and letter.headers["content-type"] == "application/pdf", letter.text
    text = pdf_text(letter.content)
    for element in ("SURAT KETERANGAN VALIDASI", v["number"], v["nop_formatted"], paid["seller"], paid["buyer"],
                    "Rp 2.000.000.000", "2,5%", "Rp 50.000.000", paid["ntpn"], paid["code"], v["verification_url"]):
        assert element in text, (element, text)
    assert drawn_rects(letter.content) == qr_runs(v["verification_url"])
    public = await world.http.get(v["verification_url"].removeprefix(world.settings.public_url))
    assert public.status_code == 200, public.text
    assert public.json()["number"] == v["number"] and public.json()["seller_npwp_masked"].endswith(paid["seller"][-3:])
    assert paid["seller"] not in public.text and paid["buyer"] not in public.text


async def test_a_notary_request_that_does_not_match_waits_for_an_officer(world: World) -> None:
    paid = await paid_phtb_code(world)
    notary, other_notary = ppat_token(f"ppat-{uuid.uuid4().hex[:6]}"), ppat_token(f"ppat-{uuid.uuid4().hex[:6]}")
    r = await world.http.post("/v1/phtb/validations", json=request_body(paid, gross_value="2100000000"),
                              headers=notary)
    assert r.status_code == 201, r.text
    pending = r.json()
    assert (pending["status"], pending["number"], pending["letter_path"], pending["requester_kind"]) == (
        "pending", None, None, "ppat")
    assert [(x["code"], x.get("expected"), x.get("found")) for x in pending["reasons"]] == [
        ("phtb.amount_mismatch", "52500000", "50000000"), ("phtb.value_mismatch", "2100000000", "2000000000")]
    assert await world.events("PHTBValidated", npwp=paid["seller"]) == []
    assert (await world.http.get(f"/v1/phtb/validations/{pending['id']}/letter", headers=notary)).json()["code"] == \
        "phtb.not_validated"

    queue, cursor = [], None
    while True:
        page = (await world.http.get("/internal/v1/phtb/validations", headers=officer_token(),
                                     params={"limit": 50, **({"cursor": cursor} if cursor else {})})).json()
        queue += [item["id"] for item in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert pending["id"] in queue

    for headers, status in ((notary, 200), (taxpayer_token(paid["seller"]), 200), (officer_token(), 200),
                            (officer_token(scopes=("payment:read",)), 404), (other_notary, 404),
                            (taxpayer_token(paid["buyer"]), 404), (land_office_token(), 404)):
        seen = await world.http.get(f"/v1/phtb/validations/{pending['id']}", headers=headers)
        assert seen.status_code == status, (headers, seen.text)

    approve = f"/internal/v1/phtb/validations/{pending['id']}/approve"
    assert (await world.http.post(approve, json={}, headers=notary)).json()["code"] == "auth.officer_required"
    approved = await world.http.post(approve, json={"note": "Nilai menurut akta: Rp 2,1 M; selisih disetor."},
                                     headers=officer_token())
    assert approved.status_code == 200, approved.text
    a = approved.json()
    assert (a["status"], a["decided_by"], a["decision_note"][:5]) == ("validated", "officer", "Nilai")
    [(_, event)] = await world.events("PHTBValidated", npwp=paid["seller"])
    assert (event.decided_by, event.officer_account_id, event.number) == ("officer", "officer-console", a["number"])
    twice = await world.http.post(approve, json={}, headers=officer_token())
    assert (twice.status_code, twice.json()["code"], twice.json()["details"]) == (409, "phtb.already_decided",
                                                                                  {"status": "validated"})

    # The same payment named for another property: the officer sees it, and cannot validate it twice.
    reuse = await world.http.post("/v1/phtb/validations", json=request_body(paid, nop=random_nop()), headers=notary)
    assert {x["code"] for x in reuse.json()["reasons"]} == {"phtb.ntpn_already_used", "phtb.nop_mismatch"}
    refused = await world.http.post(f"/internal/v1/phtb/validations/{reuse.json()['id']}/approve", json={},
                                    headers=officer_token())
    assert (refused.status_code, refused.json()["code"]) == (409, "phtb.ntpn_already_used")
    reject = f"/internal/v1/phtb/validations/{reuse.json()['id']}/reject"
    assert (await world.http.post(reject, json={}, headers=officer_token())).json()["code"] == "phtb.note_required"
    rejected = await world.http.post(reject, json={"note": "NTPN sudah dipakai"}, headers=officer_token())
    assert (rejected.status_code, rejected.json()["status"]) == (200, "rejected")
    assert len(await world.events("PHTBValidated", npwp=paid["seller"])) == 1


async def test_requests_the_rules_cannot_check_and_refusals(world: World) -> None:
    seller, buyer = random_npwp(), random_npwp()
    token = taxpayer_token(seller)
    base = {"buyer_id": buyer, "nop": random_nop(), "gross_value": "1000000000"}
    exempt = await world.http.post("/v1/phtb/validations", headers=token,
                                   json={**base, "category": "government_public_purpose"})
    assert exempt.status_code == 201, exempt.text
    assert (exempt.json()["status"], exempt.json()["tax_amount"], [x["code"] for x in exempt.json()["reasons"]]) == (
        "pending", "0", ["phtb.exemption_needs_review"])
    unknown = await world.http.post("/v1/phtb/validations", headers=token,
                                    json={**base, "ntpn": "0000AAAA1111BBBB"})
    assert [x["code"] for x in unknown.json()["reasons"]] == ["phtb.payment_not_found"]
    assert await validations_of(world, seller) == 2

    for headers, body, status, error in [
        (token, base, 422, "phtb.ntpn_required"),
        (token, {**base, "ntpn": "0000AAAA1111BBBB", "category": "luxury"}, 422, "phtb.category_unknown"),
        (token, {**base, "ntpn": "0000AAAA1111BBBB", "nop": "31.71.01A.001.002-0123.0"}, 422, "phtb.nop_invalid"),
        (token, {**base, "ntpn": "short"}, 422, "confirmation.ntpn_invalid"),
        (token, {**base, "ntpn": "0000AAAA1111BBBB", "gross_value": 1.5}, 422, "request.invalid"),
        (token, {**base, "ntpn": "0000AAAA1111BBBB", "seller_npwp": random_npwp()}, 403, "auth.taxpayer_forbidden"),
        (taxpayer_token(seller, scopes=("payment:read",)), {**base, "ntpn": "0000AAAA1111BBBB"}, 403,
         "auth.missing_scope"),
        (ppat_token(), {**base, "ntpn": "0000AAAA1111BBBB"}, 422, "phtb.seller_required"),
        ({}, base, 401, "unauthorized"),
    ]:
        refused = await world.http.post("/v1/phtb/validations", headers=headers, json=body)
        assert (refused.status_code, refused.json()["code"]) == (status, error), refused.text
    assert await validations_of(world, seller) == 2

    for method, path, headers, body, status, error in [
        ("GET", "/internal/v1/phtb/validations", token, None, 403, "auth.officer_required"),
        ("GET", f"/v1/phtb/validations/{uuid.uuid4()}", token, None, 404, "phtb.validation_not_found"),
        ("POST", f"/internal/v1/phtb/validations/{uuid.uuid4()}/approve", officer_token(), {}, 404,
         "phtb.validation_not_found"),
        ("GET", f"/v1/public/phtb-validations/{exempt.json()['id']}/verification", {}, None, 404,
         "phtb.validation_not_found"),
        ("PUT", "/v1/land-office/webhook", land_office_token(), {"url": "http://169.254.169.254/latest"}, 422,
         "webhook.url_forbidden"),
        ("PUT", "/v1/land-office/webhook", land_office_token(), {"url": "ftp://bpn.example/x"}, 422,
         "webhook.url_invalid"),
        ("PUT", "/v1/land-office/webhook", land_office_token(), {"url": "https://bpn.example/x",
                                                                 "nop_prefixes": ["31x"]}, 422,
         "phtb.nop_prefix_invalid"),
        ("PUT", "/v1/land-office/webhook", ppat_token(), {"url": "https://bpn.example/x"}, 403,
         "auth.land_office_required"),
        ("GET", "/v1/land-office/webhook", land_office_token(f"lo-{uuid.uuid4().hex[:6]}"), None, 404,
         "phtb.subscription_not_found"),
    ]:
        refused = await world.http.request(method, path, headers=headers, json=body)
        assert (refused.status_code, refused.json()["code"]) == (status, error), (path, refused.text)


async def test_one_payment_validates_one_transfer_even_when_asked_five_times_at_once(world: World) -> None:
    paid = await paid_phtb_code(world)
    answers = await asyncio.gather(*(
        world.http.post("/v1/phtb/validations", json=request_body(paid), headers=ppat_token()) for _ in range(5)))
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409, 409], [a.text for a in answers]
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"phtb.validation_exists"}
    assert await world.scalar("SELECT count(*) FROM phtb_validation WHERE ntpn = :n", n=paid["ntpn"]) == 1
    assert len(await world.events("PHTBValidated", npwp=paid["seller"])) == 1
