"""Seed item 24, the annual-return half ("KSWP wrong for those who filed their SPT in late December 2024 or January
2025"), on the whole stack as `make run` starts it (the `stack` fixture), through the public and officer APIs only.

An officer legacy-imports an individual registered in the legacy system in 2020 (NPWP15, `registered_on`) and
matches it to the person's NIK; the person registers with the NIK and logs in, keeping the taxpayer. A requesting
agency's standard KSWP is not valid, `spt_tahunan_not_filed`, naming the last two tax years whose SPT Tahunan OP
deadline passed (asked of filing's public deadlines, so the years follow the day the test runs on). The taxpayer
files the later one, late, through the API (draft, then submission signed with a Kode Otorisasi): the agency's next
KSWP, asked at once, counts it as filed and the other still not; once the other is filed too, the KSWP is valid.

A late return's Art 7(1) STP falls due a month after filing: from December 2026 in 2027, whose days off the stack
does not ship. Any year the scenario needs without a list gets the tax month's SYNTHETIC one (1 January only, basis
"SKB-TEST-... (synthetic, tests only)"; tests/tax_month/reference.py), published as an officer would through
filing's API process, which uses it at once: no worker needs it here (payment records the STP's debt from the due
date the event carries), so there is no refresh interval to wait for.
"""

from __future__ import annotations

from datetime import date

import httpx

from devstack.stack import Stack
from kit.testing.messaging import eventually
from services.identity.tests.factories import random_npwp15
from tests.tax_month.actors import PASSPHRASE, PASSWORD, Api, Cast, register_person
from tests.tax_month.dates import Dates
from tests.tax_month.kswp import ask, returns
from tests.tax_month.reference import CALENDAR_BASIS, REFERENCE

# identity/data/population_registry.json; no other test on the stack registers this NIK
AGUS = {"kind": "resident", "nik": "3515140508680001", "full_name": "Agus Salim", "birth_date": "1968-08-05"}
REGISTERED_ON = "2020-03-02"  # in the legacy system
OP = "/v1/returns/spt-tahunan-op"
NIHIL = {"figures": {"net_income": "0", "tax_due": "0"}, "attachments": ["bukti_potong"]}


async def calendars_for(api: Api, years: range, today: date) -> None:
    """Every year in `years` has a list of days off: the synthetic one where filing has none (tax month's step 0)."""
    for year in years:
        known = await api.http.get(f"{api.url('filing')}/v1/working-calendar/{year}")
        if known.status_code == 200:
            continue
        assert known.json()["code"] == "calendar.year_unknown", known.text
        days = [{"date": f"{year}-01-01", "kind": "national_holiday", "name": f"Tahun Baru {year} Masehi (synthetic)"}]
        await api.call("PUT", "filing", f"/internal/v1/calendar/{year}", headers=api.officer(*REFERENCE),
                       expect=(200, 201), json={"basis": {"number": CALENDAR_BASIS, "signed_on": str(today)},
                                                "days": days})


async def last_two_years_due(api: Api, today: date) -> list[str]:
    """The last two tax years whose SPT Tahunan OP deadline (effective: rolled over days off) passed on `today`, the
    later first, as filing's KSWP picks them."""
    passed: list[str] = []
    year = today.year - 1  # this year's is never due yet
    while len(passed) < 2:
        deadline = await api.call("GET", "filing", "/v1/deadlines",
                                  params={"obligation": "spt_tahunan_op", "period": str(year)})
        if today > date.fromisoformat(deadline["due_date"]):
            passed.append(str(year))
        year -= 1
    return passed


async def test_a_legacy_taxpayer_s_kswp_counts_each_annual_return_as_soon_as_it_is_filed(stack: Stack) -> None:
    dates, cast = Dates.now(), Cast()
    async with httpx.AsyncClient(timeout=60) as http:
        api = Api(stack, http)
        # the due dates of the returns and of a late return's STP (a month on) all fall in years with days off
        await calendars_for(api, range(dates.today.year - 1, dates.next_year + 1), dates.today)
        later, earlier = await last_two_years_due(api, dates.today)

        # -- an officer imports the legacy taxpayer, registered in 2020, and matches it to the NIK ----------------
        officer = api.officer("identity:officer")
        npwp15, nik = random_npwp15(), AGUS["nik"]
        report = await api.call("POST", "identity", "/internal/v1/legacy-imports",
                                headers={**officer, "content-type": "text/csv"},
                                content=f"npwp15,name,kind,is_pkp,email,registered_on\n{npwp15},{AGUS['full_name']},"
                                        f"individual,tidak,{cast.email('agus.lama')},{REGISTERED_ON}\n")
        assert (report["created"], report["errors"], report["conflicts"]) == (1, [], []), report
        matched = await api.call("POST", "identity", f"/internal/v1/taxpayers/0{npwp15}/nik-matching",
                                 headers=officer, json={"nik": nik})
        assert matched["npwp"] == nik, matched

        # -- the person registers with the NIK and logs in: the legacy taxpayer is theirs --------------------------
        person = await register_person(api, cast, "agus", {**AGUS, "email": cast.email("agus"),
                                                           "phone": cast.unique_phone(1), "password": PASSWORD})
        me = person.headers()
        profile = await api.call("GET", "identity", f"/v1/taxpayers/{nik}/profile", headers=me)
        assert (person.npwp, profile["id"], profile["name"]) == (nik, matched["id"], AGUS["full_name"]), profile

        # filing's replica has the taxpayer under the NIK, registered in 2020: both years are owed and overdue
        async def owed() -> bool:
            listed = await api.call("GET", "filing", "/v1/obligations", headers=me, expect=(200, 404),
                                    params={"npwp": nik, "from": f"{earlier}-01", "to": f"{later}-12"})
            annual = {o["period"]: o["status"] for o in listed.get("items", []) if o["obligation"] == "spt_tahunan_op"}
            return annual == {earlier: "overdue", later: "overdue"}

        await eventually(owed, 60, f"filing owing the SPT Tahunan OP {earlier} and {later} of {nik}")

        # -- the agency's KSWP: not valid, both years named ---------------------------------------------------------
        first = await ask(api, nik, AGUS["full_name"], "standard")
        assert (first["status"], first["reasons"]) == ("invalid", ["spt_tahunan_not_filed"]), first
        assert returns(first, "spt_tahunan_filed") == [(later, True, False), (earlier, True, False)], first

        # -- the taxpayer files the later year, late; the next KSWP, at once, counts it ----------------------------
        credential = await api.call("POST", "identity", "/v1/signing-credentials", headers=me, expect=201, json={
            "kind": "kode_otorisasi", "passphrase": PASSPHRASE, "liveness_reference": f"ok-kswp-{cast.tag}"})

        async def files(year: str) -> None:
            await api.call("PUT", "filing", f"{OP}/{year}/draft", headers=me, params={"npwp": nik}, json=NIHIL)
            filed = await api.call("POST", "filing", f"{OP}/{year}/submission", headers=me, params={"npwp": nik},
                                   json={"credential_id": credential["id"], "passphrase": PASSPHRASE})
            assert (filed["status"], filed["outcome"], filed["receipt"]["late"]) == ("filed", "nihil", True), filed

        await files(later)
        second = await ask(api, nik, AGUS["full_name"], "standard")
        assert (second["status"], second["reasons"]) == ("invalid", ["spt_tahunan_not_filed"]), second
        assert returns(second, "spt_tahunan_filed") == [(later, True, True), (earlier, True, False)], second

        # -- and the other: valid ------------------------------------------------------------------------------------
        await files(earlier)
        third = await ask(api, nik, AGUS["full_name"], "standard")
        assert (third["status"], third["reasons"]) == ("valid", []), third
        assert returns(third, "spt_tahunan_filed") == [(later, True, True), (earlier, True, True)], third
