"""A PKP company made the one way (`create_taxpayer`, through the factories): PKP from its start date in the history
the API shows, and its signer acts for it with the signer's scopes only."""

from __future__ import annotations

from datetime import date

from identity.main import create_app
from kit.testing.service import api_client
from services.identity.tests.factories import (
    claims,
    make_account,
    make_person,
    make_pkp_company,
    person_headers,
    taxpayer_headers,
)


async def test_a_pkp_company_reads_as_pkp_and_its_signer_acts_for_it(settings, sessions) -> None:  # type: ignore[no-untyped-def]
    async with sessions() as s:
        pic, signer = await make_person(s, "Pak Pimpinan"), await make_person(s, "Bu Penanda Tangan")
        signer_account = await make_account(s, signer)
        company = await make_pkp_company(s, pic=pic, signer=signer, pkp_since=date(2021, 7, 1))
        await s.commit()
    async with api_client(create_app(settings)) as http:
        history = (await http.get(f"/v1/taxpayers/{company.npwp}/pkp-status",
                                  headers=taxpayer_headers(settings, company.npwp))).json()
        assert [(p["is_pkp"], p["effective_date"]) for p in history] == [(True, "2021-07-01")]

        own = person_headers(settings, signer_account)
        me = (await http.get("/v1/me", headers=own)).json()
        assert {t["npwp"]: t["roles"] for t in me["taxpayers"]} == {company.npwp: ["signer"]}
        exchanged = await http.post("/v1/oauth/token", data={
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "subject_token": own["authorization"].removeprefix("Bearer "),
            "subject_token_type": "urn:ietf:params:oauth:token-type:access_token",
            "resource": f"urn:lontar:taxpayer:{company.npwp}"})
        assert exchanged.status_code == 200, exchanged.text
        acting = claims(exchanged.json()["access_token"])
        assert acting["sub"] == company.npwp and acting["act"]["name"] == "Bu Penanda Tangan"
        assert "invoice:sign" in acting["scope"].split() and "roles:manage" not in acting["scope"].split()
