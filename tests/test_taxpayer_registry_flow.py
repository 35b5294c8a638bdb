"""TaxpayerRegistered from identity reaches the registry replica of every other service, through the real broker."""

from __future__ import annotations

import json

import httpx

from devstack.clients import SERVICE_CLIENT_SCOPES, SERVICE_CLIENTS_FILE
from devstack.config import SERVICES
from devstack.stack import Stack
from devstack.testing.tokens import registry_headers
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
    async with httpx.AsyncClient(timeout=5, headers=registry_headers(stack)) as http:
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
    async with httpx.AsyncClient(timeout=5, headers=registry_headers(stack)) as http:
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


async def test_make_run_gives_each_calling_service_its_client_and_the_registry_wants_a_token(stack: Stack) -> None:
    """invoice and filing get their own internal clients at identity (kit.access), registered by the stack and
    passed as `<SERVICE>_IDENTITY__*`; their tokens carry their scopes and nothing else."""
    identity = stack.config.api_url("identity")
    clients = json.loads((stack.config.data_dir / SERVICE_CLIENTS_FILE).read_text())
    assert set(clients) == set(SERVICE_CLIENT_SCOPES)
    async with httpx.AsyncClient(timeout=5) as http:
        for service, client in clients.items():
            env = stack.service_env(service)
            p = service.upper()
            assert env[f"{p}_IDENTITY__CLIENT_ID"] == client["client_id"]
            assert env[f"{p}_IDENTITY__BASE_URL"] == identity
            issued = await http.post(f"{identity}/v1/oauth/token", data={
                "grant_type": "client_credentials", "client_id": client["client_id"],
                "client_secret": env[f"{p}_IDENTITY__CLIENT_SECRET"]})
            assert issued.status_code == 200, issued.text
            assert issued.json()["scope"].split() == SERVICE_CLIENT_SCOPES[service]
            wrong = await http.get(f"{identity}/internal/v1/taxpayers/{new_npwp()}",
                                   headers={"authorization": f"Bearer {issued.json()['access_token']}"})
            assert wrong.status_code == 403 and wrong.json()["code"] == "auth.missing_scope"
        for service in SERVICES:
            assert (await http.get(f"{stack.config.api_url(service)}/internal/v1/taxpayers/{new_npwp()}")
                    ).status_code == 401
