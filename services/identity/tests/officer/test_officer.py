"""NIK-NPWP matching then login with the NIK (seed 14); PKP history and the legacy import keeping PKP status and
e-mail exactly, with its reconciliation report (seeds 3, 13)."""

from __future__ import annotations

from sqlalchemy import text

from identity.main import create_app
from kit.testing.service import api_client
from services.identity.tests.factories import bearer, officer_headers, random_npwp15, taxpayer_headers


async def test_legacy_import_keeps_pkp_and_email_exactly_and_reports_conflicts(settings, sessions) -> None:
    pkp, plain = random_npwp15(), random_npwp15()
    bad = pkp[:8] + str((int(pkp[8]) + 1) % 10) + pkp[9:]
    csv_text = ("npwp15,name,kind,is_pkp,pkp_since,email,phone,address\n"
                f"{pkp},PT Lama Jaya,company,ya,2019-04-01,Finance.Dept@LamaJaya.CO.ID,081200000001,Jakarta\n"
                f"{plain},CV Tanpa PKP,company,tidak,,kontak@cvtanpa.id,,Bandung\n"
                f"{bad},PT Salah Cek,company,ya,,x@y.id,,\n")
    async with api_client(create_app(settings)) as http:
        report = (await http.post("/internal/v1/legacy-imports", headers={**officer_headers(settings),
                                  "content-type": "text/csv"}, content=csv_text)).json()
        assert (report["rows"], report["created"], len(report["errors"])) == (3, 2, 1)
        assert report["errors"][0]["line"] == 4

        again = (await http.post("/internal/v1/legacy-imports", headers={**officer_headers(settings),
                                 "content-type": "text/csv"}, content=csv_text.replace("CV Tanpa PKP", "CV Lain"))).json()
        assert again["unchanged"] == 1 and again["conflicts"][0]["differences"]["name"]["legacy"] == "CV Lain"
        no_columns = await http.post("/internal/v1/legacy-imports", headers={**officer_headers(settings),
                                     "content-type": "text/csv"}, content="a,b\n1,2\n")
        assert no_columns.status_code == 422

        # A legacy taxpayer existed before its import day: a decision may go back past it, and wins from its date.
        decided = await http.post(f"/internal/v1/taxpayers/0{plain}/pkp-status", headers=officer_headers(settings),
                                  json={"is_pkp": True, "effective_date": "2026-01-01"})
        assert decided.status_code == 200, decided.text
        assert (decided.json()[0]["is_pkp"], decided.json()[0]["source"]) == (False, "legacy_import")
        assert (decided.json()[-1]["is_pkp"], decided.json()[-1]["effective_date"]) == (True, "2026-01-01")
        history = await http.get(f"/v1/taxpayers/0{plain}/pkp-status", headers=taxpayer_headers(settings, "0" + plain))
        assert history.json()[-1]["is_pkp"] is True, history.json()
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
        await http.post("/internal/v1/legacy-imports", headers={**officer_headers(settings), "content-type": "text/csv"},
                        content=f"npwp15,name,kind,is_pkp,email\n{legacy},Joko Prasetyo,individual,ya,joko@lama.id\n")
        mismatch = await http.post(f"/internal/v1/taxpayers/0{legacy}/nik-matching", headers=officer_headers(settings),
                                   json={"nik": "3171011708450001"})
        assert mismatch.status_code == 422
        matched = await http.post(f"/internal/v1/taxpayers/0{legacy}/nik-matching", headers=officer_headers(settings),
                                  json={"nik": joko_nik})
        assert matched.status_code == 200 and matched.json()["npwp"] == joko_nik

        joko = {"kind": "resident", "nik": joko_nik, "full_name": "Joko Prasetyo", "birth_date": "1987-11-04",
                "email": "joko@baru.id", "phone": "081277778888", "password": "JokoPass123"}
        done = await flows.register(http, joko)
        assert done["npwp"] == joko_nik
        token = await flows.token(http, joko)
        profile = (await http.get(f"/v1/taxpayers/{joko_nik}/profile", headers=bearer(token))).json()
        assert profile["is_pkp"] is True and profile["name"] == "Joko Prasetyo"
    async with sessions() as s:
        history = (await s.execute(text("SELECT old_npwp FROM npwp_change c JOIN taxpayer t ON t.id = c.taxpayer_id "
                                        "WHERE t.npwp = :n"), {"n": joko_nik})).scalars().all()
    assert history == ["0" + legacy]
