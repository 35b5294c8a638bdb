"""Roles granted by the PIC and impersonation only with a role (seeds 6, 10), a payroll-sensitive role (seed 19),
PJAP delegation with `act` and per-client rate limits, NIK-NPWP matching then login with the NIK (seed 14), PKP
history and legacy import keeping PKP status and e-mail exactly (seeds 3, 13), contacts confirmed on the new
address and profile updates (seeds 5, 7, 9), and the audit log."""

from __future__ import annotations

import secrets

import jwt
from sqlalchemy import text

from identity.main import create_app
from identity.tokens import TokenIssuer
from kit.identifiers import luhn_ok
from kit.testing.service import api_client

EXCHANGE = {"grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "subject_token_type": "urn:ietf:params:oauth:token-type:access_token"}
RINA = {"kind": "resident", "nik": "3276055708900002", "full_name": "Rina Marlina", "birth_date": "1990-08-17",
        "email": "rina@example.id", "phone": "081211110001", "password": "RinaPass123"}
AGUS = {"kind": "resident", "nik": "3515140508680001", "full_name": "Agus Salim", "birth_date": "1968-08-05",
        "email": "agus@example.id", "phone": "081211110002", "password": "AgusPass123"}
SRI = {"kind": "resident", "nik": "3515144508680002", "full_name": "Sri Wahyuni", "birth_date": "1968-08-05",
       "email": "sri@example.id", "phone": "081211110003", "password": "SriPass1234"}
CV_MAJU = "AHU-0055555.AH.01.01.TAHUN2021"


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def officer(settings) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return bearer(TokenIssuer(settings).issue(subject="officer-1", scopes=["identity:officer"])[0])


def claims(token: str) -> dict:  # type: ignore[type-arg]
    return jwt.decode(token, options={"verify_signature": False})


async def token_for(http, person: dict) -> str:  # type: ignore[no-untyped-def,type-arg]
    response = await http.post("/v1/oauth/token", data={"grant_type": "password", "username": person["nik"],
                                                        "password": person["password"]})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


async def act_for(http, token: str, npwp: str):  # type: ignore[no-untyped-def]
    return await http.post("/v1/oauth/token", data={**EXCHANGE, "subject_token": token,
                                                    "resource": f"urn:lontar:taxpayer:{npwp}"})


def random_npwp15() -> str:
    body = "02" + f"{secrets.randbelow(10**6):06d}"
    return body + next(d for d in "0123456789" if luhn_ok(body + d)) + "017000"


async def test_pic_grants_roles_and_only_role_holders_act_for_the_company(settings, sessions, flows) -> None:
    await flows.clean(RINA["nik"], AGUS["nik"], SRI["nik"])
    async with sessions() as s, s.begin():
        await s.execute(text("UPDATE taxpayer SET ahu_number = NULL WHERE ahu_number = :a"), {"a": CV_MAJU})
    async with api_client(create_app(settings)) as http:
        for person in (RINA, AGUS, SRI):
            await flows.register(http, person)
        rina = await token_for(http, RINA)
        company = await flows.register(http, {"kind": "company", "ahu_number": CV_MAJU, "email": "pajak@majubersama.id",
                                              "phone": "081399990000"}, bearer(rina))
        npwp = company["npwp"]
        agus, sri = await token_for(http, AGUS), await token_for(http, SRI)

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

        audit = (await http.get("/internal/v1/audit-events", headers=officer(settings),
                                params={"acting_for": npwp, "limit": 50})).json()["items"]
        actions = [e["action"] for e in audit]
        assert actions.count("role_granted") == 4 and "role_revoked" in actions and "impersonation_denied" in actions
        not_officer = await http.get("/internal/v1/audit-events", headers=bearer(rina))
        assert not_officer.status_code == 403
    async with sessions() as s:
        events = (await s.execute(text("SELECT event_type FROM outbox WHERE key = :k ORDER BY seq"),
                                  {"k": npwp})).scalars().all()
    assert events.count("RepresentativeGranted") == 5 and events.count("RepresentativeRevoked") == 2


async def test_pjap_acts_only_with_a_delegation_and_within_its_rate(settings, flows) -> None:
    async with api_client(create_app(settings)) as http:
        client = (await http.post("/internal/v1/clients", headers=officer(settings), json={
            "name": "PJAP Contoh", "scopes": ["invoice:read", "invoice:draft"], "rate_limit_per_minute": 3})).json()
        person = flows.foreigner()
        npwp = (await flows.register(http, person))["npwp"]
        own = (await flows.login(http, npwp, person["password"])).json()["access_token"]

        def grant(resource: str | None = None) -> dict[str, str]:
            data = {"grant_type": "client_credentials", "client_id": client["client_id"],
                    "client_secret": client["client_secret"]}
            return {**data, "resource": resource} if resource else data

        plain = await http.post("/v1/oauth/token", data=grant())
        assert claims(plain.json()["access_token"])["sub"] == client["client_id"]
        undelegated = await http.post("/v1/oauth/token", data=grant(f"urn:lontar:taxpayer:{npwp}"))
        assert undelegated.status_code == 403

        delegated = await http.post(f"/v1/taxpayers/{npwp}/pjap-delegations", headers=bearer(own),
                                    json={"client_id": client["client_id"], "scopes": ["invoice:read", "filing:submit"]})
        assert delegated.status_code == 201 and delegated.json()["scopes"] == "invoice:read"
        acting = claims((await http.post("/v1/oauth/token", data=grant(f"urn:lontar:taxpayer:{npwp}"))
                         ).json()["access_token"])
        assert acting["sub"] == npwp and acting["act"]["sub"] == client["client_id"]
        assert acting["scope"] == "invoice:read" and acting["tid"] == [npwp]

        limited = await http.post("/v1/oauth/token", data=grant())
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1

        wrong_secret = await http.post("/v1/oauth/token", data={**grant(), "client_secret": "nope"})
        assert wrong_secret.json()["code"] in ("oauth.invalid_client", "rate_limited")
        revoked = await http.delete(f"/v1/taxpayers/{npwp}/pjap-delegations/{client['client_id']}",
                                    headers=bearer(own))
        assert revoked.status_code == 204


async def test_legacy_import_keeps_pkp_and_email_exactly_and_reports_conflicts(settings, sessions) -> None:
    pkp, plain = random_npwp15(), random_npwp15()
    bad = pkp[:8] + str((int(pkp[8]) + 1) % 10) + pkp[9:]
    csv_text = ("npwp15,name,kind,is_pkp,pkp_since,email,phone,address\n"
                f"{pkp},PT Lama Jaya,company,ya,2019-04-01,Finance.Dept@LamaJaya.CO.ID,081200000001,Jakarta\n"
                f"{plain},CV Tanpa PKP,company,tidak,,kontak@cvtanpa.id,,Bandung\n"
                f"{bad},PT Salah Cek,company,ya,,x@y.id,,\n")
    async with api_client(create_app(settings)) as http:
        report = (await http.post("/internal/v1/legacy-imports", headers={**officer(settings),
                                  "content-type": "text/csv"}, content=csv_text)).json()
        assert (report["rows"], report["created"], len(report["errors"])) == (3, 2, 1)
        assert report["errors"][0]["line"] == 4

        again = (await http.post("/internal/v1/legacy-imports", headers={**officer(settings),
                                 "content-type": "text/csv"}, content=csv_text.replace("CV Tanpa PKP", "CV Lain"))).json()
        assert again["unchanged"] == 1 and again["conflicts"][0]["differences"]["name"]["legacy"] == "CV Lain"
        no_columns = await http.post("/internal/v1/legacy-imports", headers={**officer(settings),
                                     "content-type": "text/csv"}, content="a,b\n1,2\n")
        assert no_columns.status_code == 422

        decided = await http.post(f"/internal/v1/taxpayers/0{plain}/pkp-status", headers=officer(settings),
                                  json={"is_pkp": True, "effective_date": "2026-01-01"})
        assert [p["is_pkp"] for p in decided.json()] == [False, True]
    async with sessions() as s:
        row = (await s.execute(text("SELECT is_pkp, email FROM taxpayer WHERE npwp = :n"), {"n": "0" + pkp})).one()
        since = (await s.execute(text("SELECT effective_date::text FROM pkp_status_period p JOIN taxpayer t "
                                      "ON t.id = p.taxpayer_id WHERE t.npwp = :n AND p.is_pkp"), {"n": "0" + pkp})
                 ).scalar_one()
    assert tuple(row) == (True, "Finance.Dept@LamaJaya.CO.ID") and since == "2019-04-01"


async def test_nik_matching_then_the_person_logs_in_with_the_nik(settings, sessions, flows) -> None:
    joko_nik = "3311120411870003"
    await flows.clean(joko_nik)
    legacy = random_npwp15()
    async with api_client(create_app(settings)) as http:
        await http.post("/internal/v1/legacy-imports", headers={**officer(settings), "content-type": "text/csv"},
                        content=f"npwp15,name,kind,is_pkp,email\n{legacy},Joko Prasetyo,individual,ya,joko@lama.id\n")
        mismatch = await http.post(f"/internal/v1/taxpayers/0{legacy}/nik-matching", headers=officer(settings),
                                   json={"nik": "3171011708450001"})
        assert mismatch.status_code == 422
        matched = await http.post(f"/internal/v1/taxpayers/0{legacy}/nik-matching", headers=officer(settings),
                                  json={"nik": joko_nik})
        assert matched.status_code == 200 and matched.json()["npwp"] == joko_nik

        joko = {"kind": "resident", "nik": joko_nik, "full_name": "Joko Prasetyo", "birth_date": "1987-11-04",
                "email": "joko@baru.id", "phone": "081277778888", "password": "JokoPass123"}
        done = await flows.register(http, joko)
        assert done["npwp"] == joko_nik
        token = await token_for(http, joko)
        profile = (await http.get(f"/v1/taxpayers/{joko_nik}/profile", headers=bearer(token))).json()
        assert profile["is_pkp"] is True and profile["name"] == "Joko Prasetyo"
    async with sessions() as s:
        history = (await s.execute(text("SELECT old_npwp FROM npwp_change c JOIN taxpayer t ON t.id = c.taxpayer_id "
                                        "WHERE t.npwp = :n"), {"n": joko_nik})).scalars().all()
    assert history == ["0" + legacy]


async def test_profile_contacts_and_bank_accounts(settings, sessions, codes, flows) -> None:
    person = flows.foreigner()
    async with api_client(create_app(settings)) as http:
        npwp = (await flows.register(http, person))["npwp"]
        token = (await flows.login(http, npwp, person["password"])).json()["access_token"]
        updated = await http.patch(f"/v1/taxpayers/{npwp}/profile", headers=bearer(token),
                                   json={"address": "Jl. Kemang Raya 1, Jakarta"})
        assert updated.json()["address"] == "Jl. Kemang Raya 1, Jakarta"

        change = (await http.post(f"/v1/taxpayers/{npwp}/contact-changes", headers=bearer(token),
                                  json={"email": "New.Address@example.cn"})).json()
        subject = None
        async with sessions() as s:
            subject = (await s.execute(text("SELECT subject_id FROM otp_challenge WHERE destination = :d"),
                                       {"d": "New.Address@example.cn"})).scalar_one()
        confirm = {"channel": "email", "new_value": "New.Address@example.cn"}
        wrong = await http.post(f"/v1/taxpayers/{npwp}/contact-changes/{change['change_id']}/confirm",
                                headers=bearer(token), json={**confirm, "code": "000000"})
        assert wrong.json()["code"] == "otp.invalid"
        ok = await http.post(f"/v1/taxpayers/{npwp}/contact-changes/{change['change_id']}/confirm",
                             headers=bearer(token), json={**confirm, "code": await codes.latest(subject, "email")})
        assert ok.json()["email"] == "New.Address@example.cn"
        me = (await http.get("/v1/me", headers=bearer(token))).json()
        assert me["email"] == "New.Address@example.cn"

        bank = await http.post(f"/v1/taxpayers/{npwp}/bank-accounts", headers=bearer(token), json={
            "bank_code": "008", "account_number": "1234567890", "account_name": "Zhang Wei", "is_refund_account": True})
        assert bank.status_code == 201
        assert len((await http.get(f"/v1/taxpayers/{npwp}/bank-accounts", headers=bearer(token))).json()) == 1
        other = await http.get("/v1/taxpayers/3171011708450001/bank-accounts", headers=bearer(token))
        assert other.status_code in (403, 404)
    async with sessions() as s:
        changed = (await s.execute(text("SELECT payload->'data'->'changed' FROM outbox WHERE key = :k "
                                        "AND event_type = 'TaxpayerUpdated' ORDER BY seq"), {"k": npwp})).scalars().all()
    assert changed == [["address"], ["email"]]
