"""KSWP (tax-rules.md §7.1) for a requesting agency: valid only when the NPWP is active, the name matches and the SPT
Tahunan of the last 2 tax years (whose deadline passed) is filed; customs also the last 3 SPT Masa PPN. The answer,
its later reads and the letter are all rendered from one stored snapshot (seed 000 item 23): the letter's fields
equal the answer's, and neither moves when the data they were checked from changes. The snapshot is signed with
filing's key (ECDSA P-256): the letter, the answer and the public verification show the same signature and key id,
the signature verifies with the published key (JWKS), and a tampered snapshot fails the verification. The API's day
is 15 April 2026: the last SPT Tahunan Badan due are 2024 (30 Apr 2025) and 2023; the last SPT Masa PPN due are Feb,
Jan 2026 and Dec 2025."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from filing.kswp.signing import KeyInvalid, signer
from filing.main import create_app
from filing.settings import DEV_KSWP_SIGNING_KEY, FilingSettings, KswpSettings
from kit.auth import JWKSCache
from kit.clock import FixedClock
from kit.db import create_engine, create_sessionmaker
from kit.testing.events import outbox_envelopes, random_npwp
from kit.testing.service import api_client
from services.filing.tests.conftest import MAKER, TODAY, auth
from services.filing.tests.seed import add_taxpayer, at, file_return
from services.filing.tests.test_submission import pdf_text

PATH = "/v1/kswp"


def agency(client_id: str = "oss-bkpm", scopes: tuple[str, ...] = ("filing:kswp",)) -> dict[str, str]:
    token = MAKER.make(subject=client_id, scopes=scopes, client_kind="internal", client_id=client_id)
    return {"authorization": f"Bearer {token}"}


@pytest.fixture
async def engine(settings: FilingSettings) -> AsyncIterator[AsyncEngine]:
    e = create_engine(settings.database, application_name="test.kswp", pool_size=2)
    try:
        yield e
    finally:
        await e.dispose()


async def clean_company(engine: AsyncEngine, **overrides: Any) -> str:
    """A PKP company that filed everything the checks look at (Feb 2026 late: still filed)."""
    npwp = await add_taxpayer(engine, name="PT Contoh Lontar Sejahtera", pkp=((True, date(2025, 1, 1)),),
                              **overrides)
    for year in ("2023", "2024"):
        await file_return(engine, npwp, "spt_tahunan_badan", year, at(date(int(year) + 1, 4, 20)))
    for period, day in [("2025-12", date(2026, 1, 20)), ("2026-01", date(2026, 2, 20)), ("2026-02", date(2026, 4, 2))]:
        await file_return(engine, npwp, "spt_masa_ppn", period, at(day))
    return npwp


def public_key(jwk: dict[str, str]) -> ec.EllipticCurvePublicKey:
    """The key a JWK describes, built from its coordinates alone (as an outside verifier would)."""
    def number(field: str) -> int:
        return int.from_bytes(base64.urlsafe_b64decode(jwk[field] + "=" * (-len(jwk[field]) % 4)), "big")

    assert (jwk["kty"], jwk["crv"], jwk["alg"], jwk["use"]) == ("EC", "P-256", "ES256", "sig")
    return ec.EllipticCurvePublicNumbers(number("x"), number("y"), ec.SECP256R1()).public_key()


async def stored_snapshot(engine: AsyncEngine, kswp_id: str) -> str:
    async with engine.connect() as conn:
        return str((await conn.execute(text("SELECT snapshot FROM kswp_snapshot WHERE id = :i"),
                                       {"i": kswp_id})).scalar_one())


def request(npwp: str, **overrides: str) -> dict[str, str]:
    return {"npwp": npwp, "name": "PT. Contoh Lontar  Sejahtera", "agency": "Kementerian Investasi/BKPM",
            "service": "Izin usaha (OSS)", "variant": "customs", **overrides}


async def test_valid_answer_letter_and_verification_come_from_one_snapshot(api: httpx.AsyncClient,
                                                                           engine: AsyncEngine) -> None:
    npwp = await clean_company(engine)
    response = await api.post(PATH, json=request(npwp), headers={**agency(), "Idempotency-Key": npwp})
    assert response.status_code == 201, response.text
    answer = response.json()
    assert (answer["status"], answer["reasons"], answer["variant"], answer["taxpayer_name"]) == (
        "valid", [], "customs", "PT Contoh Lontar Sejahtera")
    assert [(c["code"], c["passed"]) for c in answer["checks"]] == [
        ("npwp_active", True), ("name_matches", True), ("spt_tahunan_filed", True), ("spt_masa_ppn_filed", True)]
    annual, masa = answer["checks"][2]["returns"], answer["checks"][3]["returns"]
    assert [(r["period"], r["due_date"], r["owed"], r["filed"]) for r in annual] == [
        ("2024", "2025-04-30", True, True), ("2023", "2024-04-30", True, True)]  # 2023: no 2024 calendar, nominal
    assert [(r["period"], r["due_date"]) for r in masa] == [
        ("2026-02", "2026-03-31"), ("2026-01", "2026-03-02"), ("2025-12", "2026-02-02")]
    assert (await api.post(PATH, json=request(npwp), headers={**agency(), "Idempotency-Key": npwp})
            ).json() == answer  # a retry replays the same answer

    # the data the check read changes: nothing already answered moves
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE taxpayer SET name = 'PT Lain' WHERE npwp = :n"), {"n": npwp})
        await conn.execute(text("DELETE FROM spt WHERE npwp = :n AND form = 'spt_tahunan_badan'"), {"n": npwp})
    read = await api.get(f"{PATH}/{answer['kswp_id']}", headers=agency())
    assert read.status_code == 200 and read.json() == answer
    letter = await api.get(f"{PATH}/{answer['kswp_id']}/letter", headers=agency())
    assert letter.status_code == 200 and letter.headers["content-type"] == "application/pdf"
    printed = pdf_text(letter.content)
    # every field of the answer is on the letter, as the answer has it
    for value in (answer["letter_number"], answer["npwp"], answer["taxpayer_name"], answer["requested_name"],
                  answer["agency"], answer["service"], answer["snapshot_digest"], answer["verification_url"]):
        assert value in printed.replace("\n", ""), value
    assert ": VALID" in printed and "Kepabeanan" in printed
    for check in answer["checks"][2:]:
        for r in check["returns"]:
            assert f"{r['period']} (batas {r['due_date']}): dilaporkan" in printed
    assert "PT Lain" not in printed

    # signed: the same signature and key id on the letter as in the answer
    assert answer["signature"] and answer["signing_key_id"] == signer(DEV_KSWP_SIGNING_KEY).key_id
    assert answer["signature_algorithm"].startswith("ECDSA P-256 SHA-256")
    assert answer["signature"] in printed.replace(" ", "") and answer["signing_key_id"] in printed
    assert "Ditandatangani secara elektronik" in printed

    code = answer["verification_code"]
    assert answer["verification_url"].endswith(f"/v1/kswp/verification/{code}")
    public = await api.get(f"{PATH}/verification/{code}")
    assert public.status_code == 200
    verification = public.json()
    assert {k: verification[k] for k in ("letter_number", "npwp", "status", "snapshot_digest", "signature",
                                         "signing_key_id", "signature_algorithm", "valid", "authentic")} == {
        "letter_number": answer["letter_number"], "npwp": "*" * 12 + npwp[-4:], "status": "valid",
        "snapshot_digest": answer["snapshot_digest"], "signature": answer["signature"],
        "signing_key_id": answer["signing_key_id"], "signature_algorithm": answer["signature_algorithm"],
        "valid": True, "authentic": True}
    # the published key (JWKS) is the one the verification names, and the signature verifies with it, outside
    # filing's code: standard ECDSA P-256 / SHA-256 over the canonical snapshot text
    jwks = (await api.get(f"{PATH}/keys")).json()
    assert [k["kid"] for k in jwks["keys"]] == [answer["signing_key_id"]] and verification["public_key"] == jwks["keys"][0]
    snapshot = await stored_snapshot(engine, answer["kswp_id"])
    assert hashlib.sha256(snapshot.encode()).hexdigest() == answer["snapshot_digest"]
    public_key(jwks["keys"][0]).verify(base64.b64decode(answer["signature"]), snapshot.encode(),
                                       ec.ECDSA(hashes.SHA256()))
    assert (await api.get(f"{PATH}/verification/{'0' * 20}")).json()["code"] == "kswp.not_found"

    sessions = create_sessionmaker(engine)
    async with sessions() as s:
        [(key, env, event)] = await outbox_envelopes(s, event_type="KSWPIssued", subjects=[answer["kswp_id"]])
    assert (key, event.status, event.snapshot_digest, event.verification_code, event.letter_number) == (
        npwp, "valid", answer["snapshot_digest"], code, answer["letter_number"])


async def test_invalid_answers_name_their_reasons(api: httpx.AsyncClient, engine: AsyncEngine) -> None:
    missing_masa = await clean_company(engine)
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM spt WHERE npwp = :n AND period = '2026-01'"), {"n": missing_masa})
    inactive = await clean_company(engine, status="non_effective")
    no_annual = await add_taxpayer(engine, kind="individual", name="Ani Wijaya", registered=date(2023, 2, 1))
    await file_return(engine, no_annual, "spt_tahunan_op", "2025", at(date(2026, 3, 30)))  # 2024 not filed

    async def ask(body: dict[str, str]) -> dict[str, Any]:
        response = await api.post(PATH, json=body, headers=agency())
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    customs = await ask(request(missing_masa))
    assert (customs["status"], customs["reasons"]) == ("invalid", ["spt_masa_ppn_not_filed"])
    assert (await ask(request(missing_masa, variant="standard")))["status"] == "valid"
    assert (await ask(request(missing_masa, name="PT Contoh Lestari")))["reasons"] == [
        "name_mismatch", "spt_masa_ppn_not_filed"]
    assert (await ask(request(inactive)))["reasons"] == ["npwp_inactive"]
    person = await ask(request(no_annual, name="ANI WIJAYA", variant="standard"))
    assert person["reasons"] == ["spt_tahunan_not_filed"]
    assert [(r["period"], r["filed"]) for r in person["checks"][2]["returns"]] == [("2025", True), ("2024", False)]
    unknown = await ask(request(random_npwp()))
    assert (unknown["status"], unknown["reasons"], unknown["taxpayer_name"]) == ("invalid", ["npwp_not_found"], None)
    letter = await api.get(f"{PATH}/{unknown['kswp_id']}/letter", headers=agency())
    assert ": TIDAK VALID" in pdf_text(letter.content) and "npwp_not_found" in pdf_text(letter.content)


async def test_only_the_requesting_agency_reads_its_answer(api: httpx.AsyncClient, engine: AsyncEngine) -> None:
    npwp = await clean_company(engine)
    answer = (await api.post(PATH, json=request(npwp), headers=agency())).json()
    for path in (f"{PATH}/{answer['kswp_id']}", f"{PATH}/{answer['kswp_id']}/letter"):
        response = await api.get(path, headers=agency("bea-cukai"))
        assert (response.status_code, response.json()["code"]) == (404, "kswp.not_found")
    for headers, expected in [({}, (401, "unauthorized")), (auth(npwp), (403, "auth.agency_required")),
                              (agency(scopes=("filing:read",)), (403, "auth.missing_scope"))]:
        response = await api.post(PATH, json=request(npwp), headers=headers)
        assert (response.status_code, response.json()["code"]) == expected
    response = await api.post(PATH, json={**request(npwp), "variant": "other"}, headers=agency())
    assert (response.status_code, response.json()["code"]) == (422, "request.invalid")


async def test_a_tampered_snapshot_fails_the_verification(api: httpx.AsyncClient, engine: AsyncEngine) -> None:
    """Whoever can write the database cannot make a letter say something else and still verify: changing the
    snapshot is seen by its digest, recomputing the digest by the signature, and pointing at another key by the
    published keys."""
    npwp = await add_taxpayer(engine, name="PT Belum Lapor")  # no SPT Tahunan filed: invalid
    answers = [(await api.post(PATH, json=request(npwp, name="PT Belum Lapor", variant="standard"),
                               headers=agency())).json() for _ in range(4)]
    assert {a["status"] for a in answers} == {"invalid"}

    async def verdict(answer: dict[str, Any]) -> tuple[bool, bool, str]:
        body = (await api.get(f"{PATH}/verification/{answer['verification_code']}")).json()
        return body["valid"], body["authentic"], body["reason"]

    assert await verdict(answers[0]) == (
        True, True, "the snapshot matches its digest and the signature verifies with the published key")
    forged = [(await stored_snapshot(engine, a["kswp_id"])).replace('"status":"invalid"', '"status":"valid"')
              for a in answers]
    async with engine.begin() as conn:
        # the snapshot alone: the digest no longer matches
        await conn.execute(text("UPDATE kswp_snapshot SET snapshot = :s WHERE id = :i"),
                           {"s": forged[0], "i": answers[0]["kswp_id"]})
        # the snapshot, its status column and a recomputed digest: the signature does not verify
        await conn.execute(text("UPDATE kswp_snapshot SET snapshot = :s, digest = :d, status = 'valid' WHERE id = :i"),
                           {"s": forged[1], "d": hashlib.sha256(forged[1].encode()).hexdigest(),
                            "i": answers[1]["kswp_id"]})
        # a key nobody published
        await conn.execute(text("UPDATE kswp_snapshot SET signing_key_id = 'not-published' WHERE id = :i"),
                           {"i": answers[2]["kswp_id"]})
        # a letter from before letters were signed
        await conn.execute(text("UPDATE kswp_snapshot SET signature = NULL, signing_key_id = NULL WHERE id = :i"),
                           {"i": answers[3]["kswp_id"]})
    assert await verdict(answers[0]) == (False, False, "the stored snapshot does not match the letter's digest")
    assert await verdict(answers[1]) == (False, False, "the signature does not verify with the published key")
    assert await verdict(answers[2]) == (False, False, "the signing key not-published is not (or no longer) published")
    assert await verdict(answers[3]) == (
        False, False, "the letter is not signed (issued before KSWP letters were signed)")
    forged_read = (await api.get(f"{PATH}/{answers[1]['kswp_id']}", headers=agency())).json()
    assert forged_read["status"] == "valid"  # what the forged row now says: the verification is what tells


async def test_after_a_key_rotation_older_letters_verify_while_their_key_is_published(
        api: httpx.AsyncClient, settings: FilingSettings, engine: AsyncEngine) -> None:
    npwp = await add_taxpayer(engine, name="PT Rotasi")
    old = (await api.post(PATH, json=request(npwp, name="PT Rotasi", variant="standard"), headers=agency())).json()
    new_key = ec.generate_private_key(ec.SECP256R1())
    new_pem = new_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode()
    old_public = signer(DEV_KSWP_SIGNING_KEY).public.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    async def rotated(previous: list[str]) -> AsyncIterator[httpx.AsyncClient]:
        keys = KswpSettings(signing_key=SecretStr(new_pem), previous_public_keys=previous)
        app = create_app(settings.model_copy(update={"kswp": keys}), jwks=JWKSCache(settings.auth, keys=MAKER.jwks()),
                         clock=FixedClock(TODAY))
        async with api_client(app) as client:
            yield client

    async for client in rotated([old_public]):
        new = (await client.post(PATH, json=request(npwp, name="PT Rotasi", variant="standard"),
                                 headers=agency())).json()
        assert new["signing_key_id"] == signer(new_pem).key_id != old["signing_key_id"]
        assert [k["kid"] for k in (await client.get(f"{PATH}/keys")).json()["keys"]] == [
            new["signing_key_id"], old["signing_key_id"]]
        for letter in (old, new):
            body = (await client.get(f"{PATH}/verification/{letter['verification_code']}")).json()
            assert (body["valid"], body["public_key"]["kid"]) == (True, letter["signing_key_id"])
    async for client in rotated([]):  # the old key withdrawn: its letters no longer verify
        body = (await client.get(f"{PATH}/verification/{old['verification_code']}")).json()
        assert (body["valid"], body["public_key"]) == (False, None)


@pytest.mark.parametrize(("kswp", "named"), [
    (KswpSettings(signing_key=SecretStr("not a key")), "FILING_KSWP__SIGNING_KEY"),
    (KswpSettings(previous_public_keys=["-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"]),
     "FILING_KSWP__PREVIOUS_PUBLIC_KEYS[0]"),
])
def test_a_bad_kswp_key_stops_the_start_not_the_first_letter(settings: FilingSettings, kswp: KswpSettings,
                                                             named: str) -> None:
    with pytest.raises(KeyInvalid, match=named.replace("[", r"\[")):
        create_app(settings.model_copy(update={"kswp": kswp}))
