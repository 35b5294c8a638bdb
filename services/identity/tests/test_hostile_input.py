"""Issue 12, items 1, 4, 6 and 10 on identity: text PostgreSQL cannot store (NUL) or that shows another name (bidi
controls), too long, forged cursors and huge bodies are refused with a coded 4xx, and nothing is stored."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from identity.main import create_app
from kit.testing.events import random_npwp
from kit.testing.hostile import JSON, MiB, forged_cursor, peak_memory, raw_json, streamed
from kit.testing.service import api_client
from services.identity.tests.conftest import RESIDENT, foreigner
from services.identity.tests.factories import officer_headers, service_headers, taxpayer_headers


async def _count(sessions: Any, table: str) -> int:
    async with sessions() as s:
        return int((await s.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())


def _codes(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


@pytest.mark.parametrize("body, field, code", [
    ({**RESIDENT, "full_name": "Fuzz\u0000Nul"}, "full_name", "text.invalid_character"),  # item 1
    ({**RESIDENT, "full_name": "Budi \u202eOTNAS"}, "full_name", "text.invalid_character"),  # item 10: bidi override
    ({**RESIDENT, "full_name": "Budi\u2066 Santoso"}, "full_name", "text.invalid_character"),  # bidi isolate
    ({**RESIDENT, "full_name": "Budi\ud800"}, "full_name", "text.invalid_character"),  # lone surrogate
    ({**RESIDENT, "full_name": "Budi <script>"}, "full_name", "name.invalid_character"),  # not a name
    ({**RESIDENT, "nik": "3171\u00000000000001"}, "nik", "text.invalid_character"),
    (foreigner(birth_place="Kota\u0000Nul"), "birth_place", "text.invalid_character"),  # item 1
    (foreigner(birth_place="K" * 10_000), "birth_place", "text.too_long"),  # item 10
    (foreigner(stay_permit_number="2C11\u0000"), "stay_permit_number", "text.invalid_character"),
    (foreigner(password="Passw0rd\ud800x"), "password", "text.invalid_character"),
])
async def test_registration_refuses_bad_text_and_stores_nothing(settings, sessions, body, field, code) -> None:
    async with api_client(create_app(settings)) as http:
        before = await _count(sessions, "registration")
        response = await http.post("/v1/registrations", content=raw_json(body), headers=JSON)
        assert _codes(response) == (422, code), response.text
        assert field in response.json()["errors"][0]["loc"]
        assert await _count(sessions, "registration") == before


async def test_reset_login_role_person_and_taxpayer_name_with_nul_are_422(settings, sessions) -> None:
    npwp = random_npwp()
    async with api_client(create_app(settings)) as http:
        resets = await _count(sessions, "password_reset")
        reset = await http.post("/v1/password-resets", content=raw_json({"login": "3171\u00000000000001"}),
                                headers=JSON)
        assert _codes(reset) == (422, "text.invalid_character")
        assert await _count(sessions, "password_reset") == resets

        write, read = {**service_headers(settings, "registry:write"), **JSON}, service_headers(settings, "registry:read")
        created = await http.post("/internal/v1/taxpayers", content=raw_json({"npwp": npwp, "name": "PT \u0000"}),
                                  headers=write)
        assert _codes(created) == (422, "text.invalid_character")
        flipped = await http.post("/internal/v1/taxpayers", headers=write,
                                  content=raw_json({"npwp": npwp, "name": "PT Maju \u202eJAYA"}))
        assert _codes(flipped) == (422, "text.invalid_character")
        arabic_indic = "".join(chr(0x0660 + int(d)) for d in npwp)  # digits, but not the ones an NPWP has
        other_digits = await http.post("/internal/v1/taxpayers", headers=write,
                                       content=raw_json({"npwp": arabic_indic, "name": "PT Maju"}))
        assert _codes(other_digits) == (422, "request.invalid")
        assert (await http.get(f"/internal/v1/taxpayers/{npwp}", headers=read)).status_code == 404
        assert (await http.get(f"/internal/v1/taxpayers/{arabic_indic}", headers=read)).status_code == 422

        grants = await _count(sessions, "role_grant")
        role = await http.post(f"/v1/taxpayers/{npwp}/roles", headers={**taxpayer_headers(settings, npwp), **JSON},
                               content=raw_json({"person": "3171\u00000000000001", "role": "drafter"}))
        assert _codes(role) == (422, "text.invalid_character")
        assert await _count(sessions, "role_grant") == grants


@pytest.mark.parametrize("created_at", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00",
                                        "2025-01-01T00:00:00", 12345, "not a date"])
async def test_audit_log_refuses_forged_cursors(settings, created_at) -> None:
    async with api_client(create_app(settings)) as http:
        response = await http.get("/internal/v1/audit-events", headers=officer_headers(settings),
                                  params={"cursor": forged_cursor(created_at)})
        assert _codes(response) == (400, "pagination.invalid_cursor"), response.text
        nul = await http.get("/internal/v1/audit-events", headers=officer_headers(settings),
                             params={"actor": "a\u0000b"})
        assert _codes(nul) == (422, "text.invalid_character")


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
async def test_a_50_mib_body_is_413_without_being_held(settings, sessions, declared) -> None:
    size = 50 * MiB
    headers = {**JSON, **({"content-length": str(size)} if declared else {})}
    async with api_client(create_app(settings)) as http:
        before = await _count(sessions, "registration")
        with peak_memory() as peak:
            response = await http.post("/v1/registrations", content=streamed(size), headers=headers)
        assert _codes(response) == (413, "request.too_large")
        assert response.headers["content-type"] == "application/problem+json"
        assert peak.bytes < 8 * MiB, f"{peak.bytes / MiB:.1f} MiB held for one request"
        assert await _count(sessions, "registration") == before
