"""Step 1: the companies come in. PT Sinar Timur Logistik registers with its AHU record (identity's seeded company
registry) through its director Kenji Watanabe, a Japanese passport holder who is an officer in that record and
becomes its PIC (seed 000 item 2: a foreign passport, item 10: the PIC matched to the AHU officer); he appoints a
drafter and a signer; an officer confirms the company PKP; the signer obtains a Kode Otorisasi whose certificate
bears the signer's own name (items 1, 15). The buyer, CV Maju Bersama, registers the same way through its PIC Rina
Marlina (a resident: NIK checked against the seeded population registry) and is confirmed PKP too."""

from __future__ import annotations

import jwt

from tests.tax_month.actors import PASSPHRASE, PASSWORD, Api, Cast, Person, Taxpayer, foreigner, register_person
from tests.tax_month.dates import Dates

# identity/data/company_registry.json: the director of PT Sinar Timur Logistik holds a Japanese passport
SELLER_AHU = "AHU-0098765.AH.01.01.TAHUN2019"
SELLER_NAME = "PT Sinar Timur Logistik"
SELLER_ADDRESS = "Jl. Raya Darmo 88, Surabaya"
KENJI = {"full_name": "Kenji Watanabe", "country": "JPN", "passport": "TK1234567"}
BUYER_AHU = "AHU-0055555.AH.01.01.TAHUN2021"
BUYER_NAME = "CV Maju Bersama"
RINA = {"kind": "resident", "nik": "3276055708900002", "full_name": "Rina Marlina", "birth_date": "1990-08-17"}
# the signer's name keeps its diacritics on the certificate (item 15: names carried whole)
SIGNER_NAME = "Nguyễn Thị Minh Khai"
DRAFTER_NAME = "Lars Øster"


def claims(token: str) -> dict:  # type: ignore[type-arg]
    return dict(jwt.decode(token, options={"verify_signature": False}))


async def register_company(api: Api, cast: Cast, who: str, pic: Person, ahu: str, phone_no: int) -> Taxpayer:
    done = await api.register({"kind": "company", "ahu_number": ahu, "email": cast.email(who),
                               "phone": cast.unique_phone(phone_no)}, pic.headers())
    taxpayer = Taxpayer(npwp=done["npwp"], name="", email=cast.email(who), kind="company")
    cast.taxpayers[who] = taxpayer
    return taxpayer


async def confirm_pkp(api: Api, npwp: str, since: str) -> None:
    periods = await api.call("POST", "identity", f"/internal/v1/taxpayers/{npwp}/pkp-status",
                             headers=api.officer("identity:officer"), json={"is_pkp": True, "effective_date": since})
    assert periods[-1]["is_pkp"] is True and periods[-1]["effective_date"] == since, periods


async def companies_register(api: Api, cast: Cast, dates: Dates) -> None:
    # -- the seller: a foreign director as PIC -----------------------------------------------------------------
    kenji = await register_person(api, cast, "kenji", foreigner(cast, "kenji", full_name=KENJI["full_name"],
                                                                country=KENJI["country"], passport=KENJI["passport"],
                                                                phone_no=1))
    assert kenji.npwp is None, "an identity only: Kenji is the company's PIC, not a taxpayer himself"
    seller = await register_company(api, cast, "seller", kenji, SELLER_AHU, 2)
    as_pic = await api.exchange(kenji.token, seller.npwp)
    acting = claims(as_pic)
    assert acting["sub"] == seller.npwp and acting["act"]["name"] == "Kenji Watanabe", acting
    assert acting["roles"] == {seller.npwp: ["pic"]}, acting
    me = await api.call("GET", "identity", "/v1/me", headers=kenji.headers())
    assert any(t["npwp"] == seller.npwp and "pic" in t["roles"] for t in me["taxpayers"]), me
    profile = await api.call("GET", "identity", f"/v1/taxpayers/{seller.npwp}/profile",
                             headers={"authorization": f"Bearer {as_pic}"})
    assert profile["name"] == SELLER_NAME, profile
    seller.name = profile["name"]
    # The PIC completes the company's address (the faktur PDF prints it, item 20). Its TaxpayerUpdated is also what
    # gives notification the company's e-mail today: TaxpayerRegistered carries no contacts (reported), so without
    # it no notice of the month would be e-mailed.
    updated = await api.call("PATCH", "identity", f"/v1/taxpayers/{seller.npwp}/profile",
                             headers={"authorization": f"Bearer {as_pic}"}, json={"address": SELLER_ADDRESS})
    assert updated["address"] == SELLER_ADDRESS, updated

    # -- the PIC appoints a drafter and a signer (passport holders with an identity only) ------------------------
    drafter = await register_person(api, cast, "drafter", foreigner(cast, "drafter", full_name=DRAFTER_NAME,
                                                                    country="NOR", phone_no=3))
    signer = await register_person(api, cast, "signer", foreigner(cast, "signer", full_name=SIGNER_NAME,
                                                                  country="VNM", phone_no=4))
    for person, role in ((drafter, "drafter"), (signer, "signer")):
        granted = await api.call("POST", "identity", f"/v1/taxpayers/{seller.npwp}/roles",
                                 headers={"authorization": f"Bearer {as_pic}"},
                                 json={"person": person.identity_number, "role": role}, expect=201)
        assert (granted["full_name"], granted["role"]) == (person.name, role), granted

    # -- an officer confirms the company PKP from the first day of the month it invoices in ----------------------
    await confirm_pkp(api, seller.npwp, dates.seller_pkp_since)
    history = await api.call("GET", "identity", f"/v1/taxpayers/{seller.npwp}/pkp-status",
                             headers={"authorization": f"Bearer {await api.exchange(kenji.token, seller.npwp)}"})
    # The decision holds from its date on, over the registration's own non-PKP period (restated on its day): found
    # by this scenario, where the company stayed non-PKP from its registration day on.
    assert {"is_pkp": True, "effective_date": dates.seller_pkp_since, "source": "officer"}.items() <= next(
        p for p in history if p["source"] == "officer").items(), history
    assert [p["is_pkp"] for p in history if p["effective_date"] == max(h["effective_date"] for h in history)][-1], \
        history

    # -- the signer's Kode Otorisasi, in the signer's own name ----------------------------------------------------
    credential = await api.call("POST", "identity", "/v1/signing-credentials", headers=signer.headers(), expect=201,
                                json={"kind": "kode_otorisasi", "passphrase": PASSPHRASE,
                                      "liveness_reference": f"ok-{cast.tag}"})
    assert credential["subject"]["name"] == SIGNER_NAME, credential["subject"]
    assert credential["subject"]["identity_number"] == signer.identity_number, credential["subject"]
    assert credential["status"] == "active"
    cast.credential_id = credential["id"]
    acting_signer = claims(await api.exchange(signer.token, seller.npwp))
    assert acting_signer["act"]["name"] == SIGNER_NAME and "invoice:sign" in acting_signer["scope"].split()
    acting_drafter = claims(await api.exchange(drafter.token, seller.npwp))
    assert "invoice:sign" not in acting_drafter["scope"].split()  # a drafter drafts, never signs (item 19)

    # -- the buyer: CV Maju Bersama through its resident PIC, PKP as well ---------------------------------------
    rina = await register_person(api, cast, "rina", {**RINA, "email": cast.email("rina"),
                                                     "phone": cast.unique_phone(5), "password": PASSWORD})
    buyer = await register_company(api, cast, "buyer", rina, BUYER_AHU, 6)
    buyer.name = BUYER_NAME
    await confirm_pkp(api, buyer.npwp, dates.seller_pkp_since)
