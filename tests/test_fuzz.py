"""Fuzzing as a test (issue 12): schemathesis against every service's OpenAPI, with a fixed seed, once without a token
and once as a real taxpayer, asserting no 5xx and that every answer matches its documented schema.

The five APIs run in this process (uvicorn on loopback, one event loop in a thread) on the session's real PostgreSQL;
schemathesis runs as its CLI in a subprocess against them. Two profiles:

- quick (this test, in `make test`): about 25 examples per operation, the `examples` and `fuzzing` phases;
- deep (`make fuzz`, not in CI): `LONTAR_FUZZ=deep`, 300 examples per operation plus the `coverage` and `stateful`
  phases. Its figures are printed (pytest -s) and written to `fuzz-report/deep/summary.json`.

Requests and 5xx are counted by the services themselves (kit's `http_requests_total`), so a 5xx cannot go unseen;
the authenticated run first checks that its token is taken.

A failure names the operation and the check; schemathesis' own report (JUnit and the JSON run report) is in the
report folder for the reproduction (`curl` line included).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import text

import filing.main
import identity.main
import invoice.main
import notification.main
import payment.main
from contracts.envelope import Envelope
from contracts.identity import TaxpayerRegistered
from devstack.testing.infra import Infra
from filing.settings import FilingSettings
from identity.roles import FULL, PERSON_SCOPES
from identity.settings import IdentitySettings, OTPSettings, TokenSettings
from identity.tokens import TokenIssuer
from invoice.settings import InvoiceSettings
from kit.auth import JWKSCache
from kit.db import create_engine, create_sessionmaker
from kit.metrics import HTTP_REQUESTS
from kit.replica import apply_taxpayer_registered
from kit.sealing import generate_keypair
from kit.settings import BaseServiceSettings
from kit.testing.events import envelope_for
from kit.testing.service import free_port, service_settings
from kit.testing.tokens import TokenMaker
from notification.settings import NotificationSettings
from payment.settings import PaymentSettings
from services.identity.tests.factories import make_account, make_person, make_taxpayer

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
SEED = 20261206
PROFILES: dict[str, dict[str, Any]] = {
    "quick": {"max_examples": 25, "phases": "examples,fuzzing", "workers": 2},
    # one worker: the coverage phase run on two threads trips a CPython 3.11 bug in hypothesis (ast.parse of lambdas)
    "deep": {"max_examples": 300, "phases": "examples,coverage,fuzzing,stateful", "workers": 1},
}
PROFILE = os.environ.get("LONTAR_FUZZ", "quick")
REPORTS = Path(os.environ.get("LONTAR_FUZZ_REPORTS", ROOT / "fuzz-report"))
CHECKS = "not_a_server_error,response_schema_conformance"
SERVICES = ("identity", "invoice", "filing", "payment", "notification")
TOKEN_TTL_S = 6 * 3600  # the deep profile runs for many minutes: its tokens must outlive it
# A route each service answers only to a valid token: the authenticated run checks its token is taken, first and last.
WHOAMI = {"identity": "/v1/me", "invoice": "/v1/invoices", "filing": "/v1/obligations?from=2026-01&to=2026-02",
          "payment": "/v1/ledger", "notification": "/v1/inbox"}
MAKER = TokenMaker()  # the key every service but identity trusts here; identity verifies its own tokens
FIGURES: dict[str, dict[str, Any]] = {}  # per run, written to <reports>/<profile>/summary.json at the end


@dataclass
class Service:
    name: str
    url: str
    npwp: str
    token: str


class Servers:
    """The APIs on loopback, in one event loop on a thread of their own (their lifespans run there)."""

    def __init__(self, apps: dict[str, FastAPI]) -> None:
        self.ports = {name: free_port() for name in apps}
        self.servers = {name: uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.ports[name],
                                                            log_config=None, access_log=False, lifespan="on"))
                        for name, app in apps.items()}
        self.thread = threading.Thread(target=lambda: asyncio.run(self._serve()), name="fuzz-apis", daemon=True)

    async def _serve(self) -> None:
        await asyncio.gather(*(server.serve() for server in self.servers.values()))

    def __enter__(self) -> Servers:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not all(server.started for server in self.servers.values()):
            assert self.thread.is_alive() and time.monotonic() < deadline, "the APIs did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        for server in self.servers.values():
            server.should_exit = True
        self.thread.join(30)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"


def _identity_settings(infra: Infra) -> IdentitySettings:
    base = service_settings(infra, IdentitySettings, "identity")
    key = Ed25519PrivateKey.generate().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                     serialization.NoEncryption()).decode()
    login = base.login.model_copy(update={"argon2_memory_kib": 1024, "argon2_time_cost": 1})
    otp = OTPSettings(notification_public_key=generate_keypair()[1])
    tokens = TokenSettings(signing_key=SecretStr(key), access_ttl_s=TOKEN_TTL_S)
    return base.model_copy(update={"otp": otp, "login": login, "tokens": tokens})


def _run(coroutine_factory: Callable[[], Any]) -> Any:
    return asyncio.run(coroutine_factory())


async def _seed_identity(settings: IdentitySettings) -> tuple[str, str]:
    """A resident with an account and their own taxpayer; their token as the password grant issues it."""
    engine = create_engine(settings.database, application_name="test.fuzz")
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            person = await make_person(session, "Ani Fuzz")
            account = await make_account(session, person)
            taxpayer = await make_taxpayer(session, npwp=person.nik, name="Ani Fuzz", kind="individual",
                                           person_id=person.id)
        token, _ = TokenIssuer(settings).issue(subject=str(account.id), scopes=[*PERSON_SCOPES, *FULL],
                                               taxpayer_ids=[taxpayer.npwp], extra={"name": person.full_name})
        return taxpayer.npwp, token
    finally:
        await engine.dispose()


async def _seed_replica(settings: BaseServiceSettings, npwp: str, *, pkp_since: date | None = None) -> None:
    """The taxpayer in the service's registry replica, as identity's TaxpayerRegistered leaves it (and PKP in
    invoice's, as its PKPStatusChanged would)."""
    event = TaxpayerRegistered(taxpayer_id=str(uuid.uuid4()), npwp=npwp, nitku=npwp + "000000", name="PT Fuzz Jaya",
                               kind="company", registered_at=datetime(2024, 1, 1, tzinfo=UTC))
    engine = create_engine(settings.database, application_name="test.fuzz")
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            await apply_taxpayer_registered(session, Envelope.model_validate(envelope_for(event, key=npwp)), event)
            if pkp_since is not None:
                await session.execute(text(
                    "INSERT INTO pkp_status_change (npwp, effective_date, is_pkp, source_sequence, event_id) "
                    "VALUES (:n, :d, 1, 1, :e)"), {"n": npwp, "d": pkp_since, "e": uuid.uuid4()})
    finally:
        await engine.dispose()


def _company_npwp() -> str:
    return "0" + f"{uuid.uuid4().int % 10**15:015d}"


@pytest.fixture(scope="module")
def services(infra: Infra) -> Iterator[dict[str, Service]]:
    id_settings = _identity_settings(infra)
    settings: dict[str, BaseServiceSettings] = {
        "identity": id_settings,
        "invoice": service_settings(infra, InvoiceSettings, "invoice"),
        "filing": service_settings(infra, FilingSettings, "filing"),
        "payment": service_settings(infra, PaymentSettings, "payment"),
        "notification": service_settings(infra, NotificationSettings, "notification"),
    }
    jwks = {name: JWKSCache(s.auth, keys=MAKER.jwks()) for name, s in settings.items() if name != "identity"}
    apps = {
        "identity": identity.main.create_app(id_settings),
        "invoice": invoice.main.create_app(settings["invoice"], jwks=jwks["invoice"]),  # type: ignore[arg-type]
        "filing": filing.main.create_app(settings["filing"], jwks=jwks["filing"]),  # type: ignore[arg-type]
        "payment": payment.main.create_app(settings["payment"], jwks=jwks["payment"]),  # type: ignore[arg-type]
        "notification": notification.main.create_app(settings["notification"],  # type: ignore[arg-type]
                                                     jwks=jwks["notification"]),
    }
    id_npwp, id_token = _run(lambda: _seed_identity(id_settings))
    company = _company_npwp()
    for name in ("invoice", "filing", "payment", "notification"):
        _run(lambda name=name: _seed_replica(settings[name], company,
                                             pkp_since=date(2020, 1, 1) if name == "invoice" else None))
    person = str(uuid.uuid4())
    company_token = MAKER.make(subject=company, scopes=FULL, taxpayer_ids=[company], expires_in=TOKEN_TTL_S,
                               act={"sub": person, "name": "Ani Fuzz"})
    with Servers(apps) as servers:
        yield {name: Service(name, servers.url(name), id_npwp if name == "identity" else company,
                             id_token if name == "identity" else company_token) for name in SERVICES}
    _summarise()


def _summarise() -> None:
    if not FIGURES:
        return
    total = {key: sum(f[key] for f in FIGURES.values())
             for key in ("operations", "test_cases", "requests", "server_errors", "schema_violations")}
    (REPORTS / PROFILE / "summary.json").write_text(json.dumps({"profile": PROFILE, "seed": SEED, "total": total,
                                                                "runs": FIGURES}, indent=2))
    rows = [f"{run:<24}{f['operations']:>6}{f['test_cases']:>9}{f['requests']:>9}{f['server_errors']:>6}"
            f"{f['schema_violations']:>8}{f['seconds']:>8}" for run, f in FIGURES.items()]
    print(f"\nfuzz profile {PROFILE}, seed {SEED}\n{'run':<24}{'ops':>6}{'cases':>9}{'requests':>9}{'5xx':>6}"
          f"{'schema':>8}{'s':>8}\n" + "\n".join(rows) + f"\n{'total':<24}{total['operations']:>6}"
          f"{total['test_cases']:>9}{total['requests']:>9}{total['server_errors']:>6}{total['schema_violations']:>8}")


def _config(folder: Path, npwp: str) -> Path:
    """schemathesis.toml: the taxpayer's NPWP offered where an NPWP goes (most of the time, not always)."""
    lines = ["[dictionaries.npwp]", f'values = ["{npwp}"]', "", "[parameters]"]
    for key in ("path.npwp", "query.npwp", "query.taxpayer", "body.npwp", "body.seller_npwp"):
        lines.append(f'"{key}" = {{ dictionary = "npwp", probability = 0.8 }}')
    path = folder / "schemathesis.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _schemathesis(service: Service, authenticated: bool, folder: Path) -> subprocess.CompletedProcess[str]:
    profile = PROFILES[PROFILE]
    folder.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(_config(folder, service.npwp)),
               "run", f"{service.url}/openapi.json", "--checks", CHECKS, "--phases", profile["phases"],
               "--max-examples", str(profile["max_examples"]), "--seed", str(SEED), "--workers", str(profile["workers"]),
               "--generation-database", "none", "--request-timeout", "30", "--no-color", "--suppress-health-check",
               "all", "--report", "junit,json", "--report-dir", str(folder), "--warnings", "off"]
    if authenticated:
        command += ["--header", f"Authorization: Bearer {service.token}"]
    return subprocess.run(command, capture_output=True, text=True, cwd=folder, timeout=3600, check=False)


def _served(service: str) -> dict[str, int]:
    """The answers the service has counted so far by status (kit's `http_requests_total`, in this process)."""
    by_status: dict[str, int] = {}
    for metric in HTTP_REQUESTS.collect():
        for sample in metric.samples:
            if sample.name == "http_requests_total" and sample.labels["service"] == service:
                status = sample.labels["status"]
                by_status[status] = by_status.get(status, 0) + int(sample.value)
    return by_status


def _figures(folder: Path, answers: dict[str, int]) -> dict[str, Any]:
    """What a run did and found: operations, test cases, requests and 5xx (as the service counted them), and the
    failures schemathesis reported by check."""
    report = json.loads(max(folder.glob("json-*.json")).read_text())
    by_check: dict[str, int] = {}
    for failure in report["failures"]:
        check = failure.get("check") or failure.get("name") or str(failure.get("kind", "?"))
        by_check[check] = by_check.get(check, 0) + 1
    classes = {f"{c}xx": sum(n for status, n in answers.items() if status.startswith(c)) for c in "2345"}
    return {"operations": report["operations"]["tested"], "test_cases": report["test_cases"]["generated"],
            "requests": sum(answers.values()), "server_errors": classes["5xx"], "answers": classes,
            "401": answers.get("401", 0),
            "schema_violations": by_check.get("response_schema_conformance", 0), "failures_by_check": by_check,
            "errors": len(report["errors"]), "seconds": round(report["running_time"], 1)}


@pytest.mark.parametrize("authenticated", [False, True], ids=["anonymous", "taxpayer"])
@pytest.mark.parametrize("name", SERVICES)
def test_no_input_gets_a_5xx_or_an_undocumented_answer(services: dict[str, Service], name: str,
                                                       authenticated: bool) -> None:
    service = services[name]
    assert httpx.get(f"{service.url}/healthz").status_code == 200
    run = f"{name}-{'taxpayer' if authenticated else 'anonymous'}"
    folder = REPORTS / PROFILE / run
    bearer = {"authorization": f"Bearer {service.token}"}
    if authenticated:
        assert httpx.get(service.url + WHOAMI[name], headers=bearer).status_code == 200
    before = _served(name)
    result = _schemathesis(service, authenticated, folder)
    answers = {status: n - before.get(status, 0) for status, n in _served(name).items()}
    figures = _figures(folder, {status: n for status, n in answers.items() if n})
    (folder / "figures.json").write_text(json.dumps(figures, indent=2))
    FIGURES[run] = figures
    if authenticated:  # still taken at the end: what the run sent was tested as the taxpayer
        assert httpx.get(service.url + WHOAMI[name], headers=bearer).status_code == 200
    print(f"\n{PROFILE} {run}: {json.dumps(figures)}")
    assert figures["server_errors"] == 0 and result.returncode == 0, \
        f"schemathesis: {figures}\n{result.stdout[-12000:]}\n{result.stderr[-2000:]}"
