"""Roles granted by the PIC and impersonation only with a role (seeds 6, 10), a payroll-sensitive role (seed 19),
and the audit log of it all."""

from __future__ import annotations

from sqlalchemy import text

from identity.main import create_app
from kit.testing.service import api_client
from services.identity.tests.factories import bearer, claims, officer_headers

EXCHANGE = {"grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "subject_token_type": "urn:ietf:params:oauth:token-type:access_token"}
RINA = {"kind": "resident", "nik": "3276055708900002", "full_name": "Rina Marlina", "birth_date": "1990-08-17",
        "email": "rina@example.id", "phone": "081211110001", "password": "RinaPass123"}
AGUS = {"kind": "resident", "nik": "3515140508680001", "full_name": "Agus Salim", "birth_date": "1968-08-05",
        "email": "agus@example.id", "phone": "081211110002", "password": "AgusPass123"}
SRI = {"kind": "resident", "nik": "3515144508680002", "full_name": "Sri Wahyuni", "birth_date": "1968-08-05",
       "email": "sri@example.id", "phone": "081211110003", "password": "SriPass1234"}
CV_MAJU = "AHU-0055555.AH.01.01.TAHUN2021"


async def act_for(http, token: str, npwp: str):  # type: ignore[no-untyped-def]
    return await http.post("/v1/oauth/token", data={**EXCHANGE, "subject_token": token,
                                                    "resource": f"urn:lontar:taxpayer:{npwp}"})


async def test_pic_grants_roles_and_only_role_holders_act_for_the_company(settings, sessions, flows) -> None:
    await flows.clean(RINA["nik"], AGUS["nik"], SRI["nik"])
    async with sessions() as s, s.begin():
        await s.execute(text("UPDATE taxpayer SET ahu_number = NULL WHERE ahu_number = :a"), {"a": CV_MAJU})
    async with api_client(create_app(settings)) as http:
        for person in (RINA, AGUS, SRI):
            await flows.register(http, person)
        rina = await flows.token(http, RINA)
        company = await flows.register(http, {"kind": "company", "ahu_number": CV_MAJU, "email": "pajak@majubersama.id",
                                              "phone": "081399990000"}, bearer(rina))
        npwp = company["npwp"]
        agus, sri = await flows.token(http, AGUS), await flows.token(http, SRI)

        denied = await act_for(http, agus, npwp)
        assert denied.status_code == 403 and denied.json()["code"] == "auth.not_a_representative"

        as_pic = (await act_for(http, rina, npwp)).json()["access_token"]
        for who, role in ((AGUS, "drafter"), (SRI, "signer"), (SRI, "payroll_viewer")):
            granted = await http.post(f"/v1/taxpayers/{npwp}/roles", headers=bearer(as_pic),
                                      json={"person": who["nik"], "role": role})
            assert granted.status_code == 201, granted.text
        again = await http.post(f"/v1/taxpayers/{npwp}/roles", headers=bearer(as_pic),
                                json={"person": AGUS["nik"], "role": "drafter"})
        assert again.status_code == 409 and again.json()["code"] == "role.already_granted"

        as_drafter = claims((await act_for(http, agus, npwp)).json()["access_token"])
        assert as_drafter["act"]["name"] == "Agus Salim" and as_drafter["sub"] == npwp
        assert "invoice:draft" in as_drafter["scope"] and "invoice:sign" not in as_drafter["scope"]
        assert "payroll:read" not in as_drafter["scope"]
        as_signer = claims((await act_for(http, sri, npwp)).json()["access_token"])
        assert {"invoice:sign", "payroll:read"} <= set(as_signer["scope"].split())

        drafter_token = (await act_for(http, agus, npwp)).json()["access_token"]
        not_pic = await http.post(f"/v1/taxpayers/{npwp}/roles", headers=bearer(drafter_token),
                                  json={"person": AGUS["nik"], "role": "signer"})
        assert not_pic.status_code == 403

        me = (await http.get("/v1/me", headers=bearer(sri))).json()
        roles = {t["npwp"]: sorted(t["roles"]) for t in me["taxpayers"]}
        assert roles == {SRI["nik"]: ["self"], npwp: ["payroll_viewer", "signer"]}

        grants = (await http.get(f"/v1/taxpayers/{npwp}/roles", headers=bearer(as_pic))).json()
        drafter_grant = next(g for g in grants if g["role"] == "drafter")
        assert (await http.delete(f"/v1/taxpayers/{npwp}/roles/{drafter_grant['grant_id']}",
                                  headers=bearer(as_pic))).status_code == 204
        assert (await act_for(http, agus, npwp)).status_code == 403

        handover = await http.post(f"/v1/taxpayers/{npwp}/roles", headers=bearer(as_pic),
                                   json={"person": SRI["nik"], "role": "pic"})
        assert handover.status_code == 201
        assert claims((await act_for(http, sri, npwp)).json()["access_token"])["roles"][npwp].count("pic") == 1
        assert (await act_for(http, rina, npwp)).status_code == 403, "the old PIC handed the role over"

        audit = (await http.get("/internal/v1/audit-events", headers=officer_headers(settings),
                                params={"acting_for": npwp, "limit": 50})).json()["items"]
        actions = [e["action"] for e in audit]
        assert actions.count("role_granted") == 4 and "role_revoked" in actions and "impersonation_denied" in actions
        not_officer = await http.get("/internal/v1/audit-events", headers=bearer(rina))
        assert not_officer.status_code == 403
    async with sessions() as s:
        events = (await s.execute(text("SELECT event_type FROM outbox WHERE key = :k ORDER BY seq"),
                                  {"k": npwp})).scalars().all()
    assert events.count("RepresentativeGranted") == 5 and events.count("RepresentativeRevoked") == 2
