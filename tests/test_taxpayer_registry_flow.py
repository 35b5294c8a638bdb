"""TaxpayerRegistered from identity reaches the registry replica of every other service, through the real broker."""

from __future__ import annotations

import httpx

from devstack.config import SERVICES
from devstack.stack import Stack
from kit.testing.events import random_npwp as new_npwp
from kit.testing.messaging import eventually

REPLICAS = [s for s in SERVICES if s != "identity"]


async def replicated_everywhere(http: httpx.AsyncClient, stack: Stack, npwp: str) -> bool:
    for service in REPLICAS:
        response = await http.get(f"{stack.config.api_url(service)}/internal/v1/taxpayers/{npwp}")
        if response.status_code != 200:
            return False
    return True


async def test_a_registered_taxpayer_reaches_all_four_replicas(stack: Stack) -> None:
    npwp = new_npwp()
    async with httpx.AsyncClient(timeout=5) as http:
        created = await http.post(f"{stack.config.api_url('identity')}/internal/v1/taxpayers",
                                  json={"npwp": npwp, "name": "PT Lontar Sejahtera", "kind": "company"})
        assert created.status_code == 201, created.text
        taxpayer = created.json()
        assert taxpayer["nitku"] == npwp + "000000"

        await eventually(lambda: replicated_everywhere(http, stack, npwp), 30, "replicas")
        for service in REPLICAS:
            replica = (await http.get(f"{stack.config.api_url(service)}/internal/v1/taxpayers/{npwp}")).json()
            assert replica == {"npwp": npwp, "taxpayer_id": taxpayer["id"], "nitku": npwp + "000000",
                               "name": "PT Lontar Sejahtera", "kind": "company"}


async def test_bad_input_gets_problem_json_and_changes_nothing(stack: Stack) -> None:
    identity = stack.config.api_url("identity")
    npwp = new_npwp()
    async with httpx.AsyncClient(timeout=5) as http:
        first = await http.post(f"{identity}/internal/v1/taxpayers", json={"npwp": npwp, "name": "CV Satu"})
        assert first.status_code == 201
        again = await http.post(f"{identity}/internal/v1/taxpayers", json={"npwp": npwp, "name": "CV Dua"})
        assert again.status_code == 409
        assert again.headers["content-type"] == "application/problem+json"
        assert again.json()["code"] == "taxpayer.already_registered"
        assert (await http.get(f"{identity}/internal/v1/taxpayers/{npwp}")).json()["name"] == "CV Satu"

        bad = await http.post(f"{identity}/internal/v1/taxpayers", json={"npwp": "12345", "name": "X"})
        assert bad.status_code == 422
        body = bad.json()
        assert body["code"] == "request.invalid" and body["errors"][0]["loc"] == ["body", "npwp"]
        assert (await http.get(f"{identity}/internal/v1/taxpayers/0000000000012345")).status_code == 404
        unknown_field = await http.post(f"{identity}/internal/v1/taxpayers",
                                        json={"npwp": new_npwp(), "name": "X", "admin": True})
        assert unknown_field.status_code == 422

        await eventually(lambda: replicated_everywhere(http, stack, npwp), 30, "replicas")
        for service in REPLICAS:  # the rejected duplicate did not overwrite the first registration anywhere
            replica = (await http.get(f"{stack.config.api_url(service)}/internal/v1/taxpayers/{npwp}")).json()
            assert replica["name"] == "CV Satu"
