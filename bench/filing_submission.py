"""filing's submission figure (issue 13, Performance): SPT Masa PPN submitted end to end, signature included, target
>= 600 SPT/s, and p99 < 300 ms at an offered 100/s; beside the floors measured in the same run.

- Seeded straight into a fresh filing database (migrated with kit.migrations.upgrade), as the tests' `seed` does:
  N PKP companies (the replica rows `taxpayer`, `pkp_status_change` identity's events would have made), half with a
  nil SPT Masa PPN of March 2026 (no prefill rows), half lebih bayar (one `ppn_output` row of Rp1,100,000 PPN and a
  draft carrying Rp1,500,000 compensation). The API's clock is 15 April 2026 (on time, no STP).
- identity: a real `uvicorn identity.main:app` process (`bench.invoice_signing._Identity`: its own database, CA), a
  person with a Kode Otorisasi (scrypt-sealed key) issued over HTTP, filing's internal client (`identity:sign`).
  The signer opens ONE signing session (`POST /v1/signing-credentials/{id}/sessions`: one passphrase check, bound to
  the login session `sid`) and every submission signs with it (`--signing passphrase` instead sends the passphrase
  each call: one scrypt per identity call, the floor below says what that costs).
- filing: the app in this process (httpx ASGITransport: routing, auth, validation, idempotency, the desk), calling
  identity over real HTTP, as in production. The load generator shares the process (and its CPU).
- Measured: (a) one by one (`POST /v1/returns/spt-masa-ppn/2026-03/submission`, one return per call) at 64
  concurrent clients: SPT/s, and the mean size of the groups filing's desk made of them (group commit: one read, one
  identity call, one transaction per group); (a') at an offered 100/s (open loop): p50/p99 and group size; (b)
  `POST /v1/returns/submissions` with 500 returns per call, one call after another: SPT/s. For (a) and (b): the SQL
  statements filing sends (a SQLAlchemy `before_cursor_execute` listener on every engine of the process), the wall
  time of each step (read and check, identity's signature, check again and write, the answers read: the desk's and
  the batch's step functions wrapped), and the CPU each SPT cost in this process, in identity's process and in the
  embedded PostgreSQL's processes (psutil), with the rate that CPU allows on this machine's cores if nothing else ran.
- Floors, in the same run: scrypt derivations/s at identity's parameters (N=2^14, r=8, p=1; one thread: what a
  passphrase check per submission would cap one core at), ECDSA P-256 signatures/s (one thread), single-row INSERT
  transactions/s into filing's database at 64 concurrent clients (one row, one commit), `GET /healthz` through the
  same app and client at 64 clients, and the submission POST itself refused before the desk (a token without
  `filing:submit`: authentication, body validation and every dependency, no work) at 64 clients, with its CPU.
- Checked (not timed): every submission answered 200 `filed`, as many `spt` rows filed and `SPTSubmitted` outbox
  rows, and a sample of signatures verifies with the credential's certificate.

`await run(server_url=None)` returns rows {name, value, unit, target, ok};
`.venv/bin/python -m bench.filing_submission [--one-by-one N] [--batched N] [--signing session|passphrase]
[--idempotency-keys] [server_url]`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import psutil
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from pydantic import SecretStr
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from bench.infra import drop_databases
from bench.invoice_signing import _Identity
from devstack.postgres import EmbeddedPostgres, ensure_databases
from devstack.processes import free_port
from filing.main import create_app
from filing.settings import FilingSettings, IdentityClientSettings
from filing.submissions import batch as batch_module
from filing.submissions import desk as desk_module
from filing.submissions.desk import SubmissionDesk
from identity.models import Account, Person
from identity.passwords import Passwords
from identity.pjap.service import register_client
from identity.settings import LoginSettings
from identity.tokens import TokenIssuer
from kit.auth import JWKSCache
from kit.clock import FixedClock
from kit.db import UnitOfWork, create_engine, create_sessionmaker
from kit.migrations import upgrade
from kit.settings import DatabaseSettings, KafkaSettings
from kit.testing.service import api_client
from kit.testing.tokens import TokenMaker
from sandbox.liveness import running_sandbox

TARGET_RATE = 600.0
TARGET_P99_MS = 300.0
OFFERED = 100.0
CONCURRENCY = 64
BATCH = 500
ONE_BY_ONE, PACED_S, BATCHED = 2000, 10, 5000
HTTP_FLOOR = 3000
PASSPHRASE = "Bench#Lapor2026"
TODAY = date(2026, 4, 15)
PERIOD = "2026-03"
SCOPES = ["filing:read", "filing:submit"]


def _row(name: str, value: float | None, unit: str, target: tuple[str, float] | None = None,
         ok: bool | None = None) -> dict[str, Any]:
    if target is not None and value is not None and ok is None:
        ok = value >= target[1] if target[0] == ">=" else value < target[1]
    shown = None if target is None else f"{target[0]} {target[1]:,g}"
    return {"name": f"filing: {name}", "value": value, "unit": unit, "target": shown, "ok": ok}


async def run(server_url: str | None = None, *, one_by_one: int = ONE_BY_ONE, batched: int = BATCHED,
              signing: str = "session", idempotency_keys: bool = False) -> list[dict[str, Any]]:
    workdir = Path(tempfile.mkdtemp(prefix="lontar-bench-filing-submission-"))
    postgres = None
    server_url = server_url or os.environ.get("LONTAR_TEST_DATABASE_URL")
    suffix = uuid.uuid4().hex[:8]
    filing_db, id_db = f"bench_filesub_{suffix}", f"bench_idfile_{suffix}"
    try:
        if not server_url:
            postgres = EmbeddedPostgres(workdir / "postgres", port=free_port(), durable=True)
            await asyncio.to_thread(postgres.start)
            server_url = postgres.url()
        await ensure_databases(server_url, [filing_db, id_db])
        base = server_url.rpartition("/")[0]
        filing_url, id_url = f"{base}/{filing_db}", f"{base}/{id_db}"
        await asyncio.to_thread(upgrade, "filing", filing_url)  # Alembic runs its own loop: keep it off this one
        await asyncio.to_thread(upgrade, "identity", id_url)
        with running_sandbox() as liveness_url:
            identity = _Identity(id_url, liveness_url, workdir)
            identity.env["IDENTITY_DATABASE__POOL_SIZE"] = "10"
            try:
                await asyncio.to_thread(identity.start)
                return await _measure(identity, filing_url, one_by_one, batched, signing,
                                      postgres_pid=postgres.proc.pid if postgres and postgres.proc else None,
                                      idempotency_keys=idempotency_keys)
            finally:
                identity.stop()
    finally:
        if postgres is not None:
            await asyncio.to_thread(postgres.stop)
        elif server_url:
            await drop_databases(server_url, [filing_db, id_db])
        shutil.rmtree(workdir, ignore_errors=True)


class _Signer:
    def __init__(self, account_id: uuid.UUID, credential: dict[str, Any], client_id: str, client_secret: str,
                 sid: str, personal: str) -> None:
        self.account_id, self.credential, self.client_id, self.client_secret = (account_id, credential, client_id,
                                                                                client_secret)
        self.sid, self.personal = sid, personal


async def _signer(identity: _Identity) -> _Signer:
    """A person (a consultant) with a Kode Otorisasi issued over HTTP, logged in (`sid`), and filing's client."""
    engine = create_engine(identity.settings.database, application_name="bench.filing_submission.identity",
                           pool_size=1)
    sessions = create_sessionmaker(engine)
    try:
        async with sessions() as s:
            nik = "3171" + f"{random.randrange(10**12):012d}"
            person = Person(kind="resident", full_name="Bench Konsultan", nik=nik, identity_number=nik)
            s.add(person)
            await s.flush()
            account = Account(person_id=person.id, email=f"{uuid.uuid4().hex[:10]}@contoh.id",
                              phone="081234567890", status="active")
            s.add(account)
            await s.commit()
            account_id = account.id
        client, secret = await register_client(
            UnitOfWork(sessions), Passwords(LoginSettings()), None, name="filing (bench)", scopes=["identity:sign"],
            kind="internal", rate_limit_per_minute=10_000_000, ip="bench")
    finally:
        await engine.dispose()
    sid = uuid.uuid4().hex
    personal, _ = TokenIssuer(identity.settings).issue(subject=str(account_id), scopes=["identity:self"],
                                                       extra={"sid": sid})
    async with httpx.AsyncClient(base_url=identity.url, timeout=30) as http:
        issued = await http.post("/v1/signing-credentials", headers={"authorization": f"Bearer {personal}"},
                                 json={"kind": "kode_otorisasi", "passphrase": PASSPHRASE,
                                       "liveness_reference": "ok-bench"})
        if issued.status_code != 201:
            raise RuntimeError(f"credential not issued: {issued.status_code} {issued.text}")
    return _Signer(account_id, issued.json(), client.client_id, secret, sid, personal)


async def _open_session(identity: _Identity, signer: _Signer, budget: int) -> dict[str, str] | None:
    """One passphrase check at identity; None when identity has no signing sessions (then the passphrase is sent)."""
    async with httpx.AsyncClient(base_url=identity.url, timeout=30) as http:
        r = await http.post(f"/v1/signing-credentials/{signer.credential['id']}/sessions",
                            headers={"authorization": f"Bearer {signer.personal}"},
                            json={"passphrase": PASSPHRASE, "ttl_s": 3600, "max_signatures": budget})
    if r.status_code in (404, 405):
        return None
    if r.status_code != 201:
        raise RuntimeError(f"session not opened: {r.status_code} {r.text[:300]}")
    return {"id": r.json()["session_id"], "secret": r.json()["session_secret"]}


async def _seed(sessions: Any, n: int) -> list[str]:
    """n PKP companies, even ones nil, odd ones lebih bayar (prefill row + draft with compensation)."""
    async with sessions() as s, s.begin():
        await s.execute(text(
            "INSERT INTO taxpayer (npwp, taxpayer_id, nitku, name, kind, registered_at, source_sequence) "
            "SELECT '7' || lpad(i::text, 15, '0'), 'tp-' || i, '7' || lpad(i::text, 15, '0') || '000000', "
            "'PT Bench ' || i, 'company', '2024-01-10T03:00:00Z', 1 FROM generate_series(1, CAST(:n AS int)) AS i"),
            {"n": n})
        await s.execute(text(
            "INSERT INTO pkp_status_change (taxpayer_id, source_sequence, effective_date, is_pkp, npwp, event_id) "
            "SELECT 'tp-' || i, 2, DATE '2025-01-01', true, '7' || lpad(i::text, 15, '0'), gen_random_uuid() "
            "FROM generate_series(1, CAST(:n AS int)) AS i"), {"n": n})
        await s.execute(text(
            "INSERT INTO ppn_output (npwp, period, transaction_code, invoices, dpp, ppn) "
            "SELECT '7' || lpad(i::text, 15, '0'), :p, '01', 1, 11000000, 1100000 "
            "FROM generate_series(1, CAST(:n AS int)) AS i WHERE i % 2 = 1"), {"n": n, "p": PERIOD})
        await s.execute(text(
            "INSERT INTO spt (id, npwp, form, period, version, status, compensation, revision) "
            "SELECT gen_random_uuid(), '7' || lpad(i::text, 15, '0'), 'spt_masa_ppn', :p, 0, 'draft', 1500000, 1 "
            "FROM generate_series(1, CAST(:n AS int)) AS i WHERE i % 2 = 1"), {"n": n, "p": PERIOD})
    async with sessions() as s, s.begin():
        await s.execute(text("ANALYZE"))
    return [f"7{i:015d}" for i in range(1, n + 1)]


async def _measure(identity: _Identity, url: str, one_by_one: int, batched: int, signing: str, *,
                   postgres_pid: int | None, idempotency_keys: bool) -> list[dict[str, Any]]:
    signer = await _signer(identity)
    pids = {"identity": identity.proc.pid if identity.proc else None, "PostgreSQL": postgres_pid}
    paced = int(OFFERED * PACED_S)
    total = one_by_one + paced + batched
    settings = FilingSettings(
        database=DatabaseSettings(dsn=url, pool_size=CONCURRENCY, max_overflow=0), kafka=KafkaSettings(
            enable_idempotence=False), worker_port=free_port(), log_level="ERROR",
        identity=IdentityClientSettings(base_url=identity.url, client_id=signer.client_id,
                                        client_secret=SecretStr(signer.client_secret)))
    engine = create_engine(settings.database, application_name="bench.filing_submission", pool_size=2)
    sessions = create_sessionmaker(engine)
    maker = TokenMaker()
    notes: list[dict[str, Any]] = []
    try:
        seed_started = time.perf_counter()
        npwps = await _seed(sessions, total)
        seed_s = time.perf_counter() - seed_started
        session = await _open_session(identity, signer, total + 10) if signing == "session" else None
        used = "signing session" if session is not None else "passphrase per call"
        if signing == "session" and session is None:
            notes.append(_row("identity has no signing sessions yet: measured with the passphrase per call", None,
                              ""))
        key: dict[str, Any] = {"signing_session": session} if session else {"passphrase": PASSPHRASE}
        credential_id = signer.credential["id"]

        def token(taxpayers: list[str]) -> dict[str, str]:
            return {"authorization": "Bearer " + maker.make(
                subject=str(signer.account_id), scopes=SCOPES, taxpayer_ids=taxpayers, expires_in=3600,
                act={"sub": str(signer.account_id), "name": "Bench Konsultan"}, sid=signer.sid)}

        app = create_app(settings, jwks=JWKSCache(settings.auth, keys=maker.jwks()), clock=FixedClock(TODAY))
        one, rest = npwps[:one_by_one], npwps[one_by_one:]
        slow, batch_npwps = rest[:paced], rest[paced:]
        one_headers = [token([n]) for n in one]
        slow_headers = [token([n]) for n in slow]
        batches = [batch_npwps[i:i + BATCH] for i in range(0, len(batch_npwps), BATCH)]
        batch_headers = [token(b) for b in batches]
        async with api_client(app) as http:
            async def submit(i: int, headers: dict[str, str]) -> tuple[float, int, str]:
                if idempotency_keys:  # as a careful client sends: the key costs its claim and its stored answer
                    headers = {**headers, "Idempotency-Key": uuid.uuid4().hex}
                started = time.perf_counter()
                r = await http.post(f"/v1/returns/spt-masa-ppn/{PERIOD}/submission", headers=headers,
                                    json={"credential_id": credential_id, **key})
                status = r.json().get("status") if r.status_code == 200 else r.json().get("code")
                return time.perf_counter() - started, r.status_code, str(status)

            # warm-up: first requests pay for imports, JWKS, identity's token, pools (not counted)
            await asyncio.gather(*(submit(i, h) for i, h in enumerate(one_headers[:20])))
            one, one_headers = one[20:], one_headers[20:]
            desk = app.state.lontar.get(SubmissionDesk)

            print(f"  (a) {len(one):,} one by one at {CONCURRENCY} clients ({used})", file=sys.stderr, flush=True)
            groups = _Groups(desk)
            with _counted() as one_statements, _phases(desk_module) as one_phases, _cpu(pids) as one_cpu:
                results, elapsed = await _closed_loop([lambda h=h: submit(0, h) for h in one_headers], CONCURRENCY)
            one_groups = groups.since()
            one_ok = sum(1 for _, code, st in results if code == 200 and st == "filed")
            one_rate = len(results) / elapsed

            print(f"  (a') {len(slow):,} at an offered {OFFERED:.0f}/s", file=sys.stderr, flush=True)
            groups = _Groups(desk)
            paced_results = await _open_loop([lambda h=h: submit(0, h) for h in slow_headers], OFFERED)
            paced_groups = groups.since()
            latencies = sorted(t * 1000 for t, _, _ in paced_results)
            paced_ok = sum(1 for _, code, st in paced_results if code == 200 and st == "filed")
            failures = Counter(f"{code} {st}" for _, code, st in [*results, *paced_results]
                               if (code, st) != (200, "filed"))

            print(f"  (b) {len(batch_npwps):,} in batches of {BATCH}", file=sys.stderr, flush=True)
            batch_ok, batch_times = 0, []
            started = time.perf_counter()
            with _counted() as batch_statements, _phases(batch_module) as batch_phases, _cpu(pids) as batch_cpu:
                for b, headers in zip(batches, batch_headers, strict=True):
                    t0 = time.perf_counter()
                    r = await http.post("/v1/returns/submissions", headers=headers, json={
                        "credential_id": credential_id, **key,
                        "returns": [{"npwp": n, "form": "spt_masa_ppn", "period": PERIOD} for n in b]})
                    batch_times.append(time.perf_counter() - t0)
                    if r.status_code == 200:
                        batch_ok += r.json()["filed"]
                        failures.update(f"batch item {(x['error'] or {}).get('code')}" for x in r.json()["items"]
                                        if x["status"] != "filed")
                    else:
                        failures[f"batch {r.status_code} {r.json().get('code')}"] += len(b)
            batch_elapsed = time.perf_counter() - started

            print("  floors", file=sys.stderr, flush=True)

            async def healthz() -> None:
                await http.get("/healthz")

            _, http_elapsed = await _closed_loop([healthz] * HTTP_FLOOR, CONCURRENCY)
            # the submission's own HTTP path (token checked, body validated, every dependency), refused before
            # the desk: a token without filing:submit
            reader = {"authorization": "Bearer " + maker.make(
                subject=str(signer.account_id), scopes=["filing:read"], taxpayer_ids=[one[0]], expires_in=3600,
                act={"sub": str(signer.account_id), "name": "Bench Konsultan"}, sid=signer.sid)}

            async def refused() -> None:
                r = await http.post(f"/v1/returns/spt-masa-ppn/{PERIOD}/submission", headers=reader,
                                    json={"credential_id": credential_id, **key})
                assert r.status_code == 403, r.text

            with _cpu({}) as refused_cpu:
                _, refused_elapsed = await _closed_loop([refused] * HTTP_FLOOR, CONCURRENCY)
        batch_rate = len(batch_npwps) / batch_elapsed
        http_rate = HTTP_FLOOR / http_elapsed
        scrypt_rate = await asyncio.to_thread(_scrypt_rate, 30)
        ecdsa_rate = await asyncio.to_thread(_ecdsa_rate, 3000)
        insert_rate = await _raw_insert_rate(sessions, 3000)
        checks = await _verify(sessions, signer.credential["certificate_pem"])
    finally:
        await engine.dispose()

    submitted = one_ok + paced_ok + batch_ok
    expected = len(one) + len(slow) + len(batch_npwps)
    checked_ok = checks["filed"] >= expected and checks["SPTSubmitted"] >= expected and checks["bad signatures"] == 0
    p50 = statistics.median(latencies) if latencies else None
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else None
    return [
        *notes,
        _row(f"seeding {total:,} PKP taxpayers, half nil, half lebih bayar (not measured)", round(seed_s, 1), "s"),
        _row(f"(a) one by one, {used}{', an Idempotency-Key each' if idempotency_keys else ''}, {CONCURRENCY} "
             "concurrent clients", round(one_rate), "SPT/s", (">=", TARGET_RATE)),
        _row(f"(a) at an offered {OFFERED:.0f}/s for {PACED_S} s: p99", None if p99 is None else round(p99),
             "ms", ("<", TARGET_P99_MS)),
        _row(f"(a) at an offered {OFFERED:.0f}/s: p50", None if p50 is None else round(p50), "ms"),
        _row(f"(b) batches of {BATCH}, one identity call each, {used}", round(batch_rate), "SPT/s",
             (">=", TARGET_RATE)),
        _row(f"(b) one batch of {BATCH}: median", round(statistics.median(batch_times) * 1000), "ms"),
        _row("(a) groups the desk made of the one-by-one submissions: mean size", one_groups, "SPT/group"),
        _row(f"(a') at an offered {OFFERED:.0f}/s: mean group size", paced_groups, "SPT/group"),
        _row("(a) SQL statements per submission, one by one", round(len(one_statements) / max(1, len(one)), 1),
             "stmt"),
        _row(f"(b) SQL statements per return, batches of {BATCH}",
             round(len(batch_statements) / max(1, len(batch_npwps)), 2), "stmt"),
        _row(f"(b) SQL statements per batch of {BATCH}", round(len(batch_statements) / max(1, len(batches)), 1),
             "stmt"),
        *_cpu_rows("(a) one by one", one_cpu, len(one)),
        *_cpu_rows("(b) batched", batch_cpu, len(batch_npwps)),
        *_phase_rows("(a)", one_phases, elapsed),
        *_phase_rows("(b)", batch_phases, batch_elapsed),
        _row("floor: scrypt N=2^14 r=8 p=1 (one passphrase check), one thread", round(scrypt_rate, 1), "KDF/s"),
        _row("(a) one by one / scrypt floor (what a passphrase per submission would cap)",
             round(one_rate / scrypt_rate, 1), "x"),
        _row("floor: ECDSA P-256 signatures, one thread", round(ecdsa_rate), "sig/s"),
        _row("(b) batched / ECDSA floor", round(100 * batch_rate / ecdsa_rate, 1), "%"),
        _row(f"floor: single-row INSERT transactions, {CONCURRENCY} clients", round(insert_rate), "tx/s"),
        _row("(a) one by one / raw inserts", round(100 * one_rate / insert_rate, 1), "%"),
        _row("(b) batched / raw inserts", round(100 * batch_rate / insert_rate, 1), "%"),
        _row(f"floor: GET /healthz through the same app and client, {CONCURRENCY} clients", round(http_rate),
             "req/s"),
        _row("(a) one by one / GET /healthz", round(100 * one_rate / http_rate, 1), "%"),
        _row(f"floor: the submission POST refused before the desk (403), {CONCURRENCY} clients",
             round(HTTP_FLOOR / refused_elapsed), "req/s"),
        _row("floor: its CPU per request in this process (app and load generator)",
             round(1000 * refused_cpu["filing and load generator"] / HTTP_FLOOR, 2), "ms"),
        _row("(a) one by one / the refused POST", round(100 * one_rate * refused_elapsed / HTTP_FLOOR, 1), "%"),
        _row("checked: answered filed, spt filed, SPTSubmitted rows, signatures verified (sample)",
             min(submitted, checks["filed"], checks["SPTSubmitted"]), "SPT", (">=", expected),
             ok=checked_ok and submitted == expected),
        *([_row("not filed: " + ", ".join(f"{k} x{v}" for k, v in failures.most_common(4)),
                sum(failures.values()), "SPT", ok=False)] if failures else []),
    ]


class _Groups:
    """The desk's groups from now on: `since()` is their mean size."""

    def __init__(self, desk: SubmissionDesk) -> None:
        self.desk, self.groups, self.requests = desk, desk.groups, desk.requests

    def since(self) -> float | None:
        groups = self.desk.groups - self.groups
        return round((self.desk.requests - self.requests) / groups, 1) if groups else None


_STEPS = (("prepare_many", "step 1: read and check"), ("sign", "step 2: identity signs"),
          ("record_many", "step 3: check again, write"), ("read_many", "step 3: the answers read"))


@contextmanager
def _phases(module: Any) -> Iterator[dict[str, list[float]]]:
    """Wall time of each call of the three steps `module` (the desk, or the batch) makes, by wrapping them."""
    spent: dict[str, list[float]] = {name: [] for name, _ in _STEPS}
    originals = {name: getattr(module, name) for name, _ in _STEPS}

    def timed(name: str) -> Callable[..., Awaitable[Any]]:
        async def call(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await originals[name](*args, **kwargs)
            finally:
                spent[name].append(time.perf_counter() - started)
        return call

    for name, _ in _STEPS:
        setattr(module, name, timed(name))
    try:
        yield spent
    finally:
        for name, original in originals.items():
            setattr(module, name, original)


def _phase_rows(label: str, spent: dict[str, list[float]], elapsed: float) -> list[dict[str, Any]]:
    """Per step: mean ms per call, and the share of the phase's wall time spent in it (two groups in flight at once
    can make the shares add up to more than 100 %)."""
    return [_row(f"{label} {title}: mean per call ({len(spent[name])} calls), share of wall time",
                 round(1000 * statistics.mean(spent[name]), 1) if spent[name] else None,
                 f"ms, {100 * sum(spent[name]) / elapsed:.0f} %") for name, title in _STEPS]


@contextmanager
def _cpu(pids: dict[str, int | None]) -> Iterator[dict[str, float]]:
    """CPU seconds used meanwhile by this process (filing's app and the load generator: all its threads), and by the
    process trees of identity and of the embedded PostgreSQL (its backends), in the dict once the block is left."""
    def now() -> dict[str, float]:
        return {"filing and load generator": time.process_time(),
                **{name: _tree_cpu(pid) for name, pid in pids.items() if pid is not None}}

    used: dict[str, float] = {}
    started = now()
    try:
        yield used
    finally:
        used.update({name: value - started[name] for name, value in now().items()})


def _tree_cpu(pid: int) -> float:
    try:
        root = psutil.Process(pid)
        tree = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0.0
    for process in tree:
        try:
            times = process.cpu_times()
        except psutil.Error:  # a backend that ended meanwhile
            continue
        total += times.user + times.system
    return total


def _cpu_rows(label: str, used: dict[str, float], count: int) -> list[dict[str, Any]]:
    """CPU ms per SPT in each process, and the rate the sum allows on this machine's cores if nothing else ran
    (the single event loop of filing's process is capped by its own share alone)."""
    per = {name: 1000 * seconds / max(1, count) for name, seconds in used.items()}
    total = sum(per.values())
    cores = os.cpu_count() or 1
    own = per["filing and load generator"]
    return [
        *(_row(f"{label}: CPU per SPT, {name}", round(ms, 2), "ms") for name, ms in per.items()),
        _row(f"{label}: CPU per SPT, all of them; the rate it allows on {cores} idle cores", round(total, 2),
             f"ms -> {cores * 1000 / total:,.0f} SPT/s" if total else "ms"),
        _row(f"{label}: the rate one event loop allows at its own CPU per SPT", round(1000 / own) if own else None,
             "SPT/s"),
    ]


@contextmanager
def _counted() -> Iterator[list[str]]:
    """The SQL statements every engine of this process sends meanwhile (filing's app: the bench's own engine is
    idle then; identity is another process)."""
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(Engine, "before_cursor_execute", count)


async def _closed_loop(work: list[Callable[[], Awaitable[Any]]], concurrency: int) -> tuple[list[Any], float]:
    queue = list(reversed(work))
    results: list[Any] = []

    async def client() -> None:
        while queue:
            results.append(await queue.pop()())

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return results, time.perf_counter() - started


async def _open_loop(work: list[Callable[[], Awaitable[Any]]], rate: float) -> list[Any]:
    """Each call started at its scheduled time (i / rate), whatever the earlier ones are doing."""
    started = time.perf_counter()
    tasks = []
    for i, call in enumerate(work):
        delay = started + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(call()))
    return list(await asyncio.gather(*tasks))


def _scrypt_rate(n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        Scrypt(salt=os.urandom(16), length=32, n=2 ** 14, r=8, p=1).derive(PASSPHRASE.encode())
    return n / (time.perf_counter() - started)


def _ecdsa_rate(n: int) -> float:
    key = ec.generate_private_key(ec.SECP256R1())
    digest = os.urandom(32)
    algorithm = ec.ECDSA(Prehashed(hashes.SHA256()))
    started = time.perf_counter()
    for _ in range(n):
        key.sign(digest, algorithm)
    return n / (time.perf_counter() - started)


async def _raw_insert_rate(sessions: Any, total: int) -> float:
    """Single-row INSERT transactions/s (one row of a submission's width, one commit) at CONCURRENCY clients."""
    async with sessions() as s, s.begin():
        await s.execute(text("CREATE TABLE bench_floor (spt_id uuid PRIMARY KEY, content text, digest text, "
                             "signature text, submitted_at timestamptz)"))

    async def insert() -> None:
        async with sessions() as s, s.begin():
            await s.execute(text("INSERT INTO bench_floor VALUES (gen_random_uuid(), repeat('x', 1500), "
                                 "repeat('d', 64), repeat('s', 96), now())"))

    _, elapsed = await _closed_loop([insert] * total, CONCURRENCY)
    return total / elapsed


async def _verify(sessions: Any, certificate_pem: str) -> dict[str, int]:
    key = x509.load_pem_x509_certificate(certificate_pem.encode()).public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    async with sessions() as s:
        filed = (await s.execute(text("SELECT count(*) FROM spt WHERE status = 'filed'"))).scalar_one()
        events = (await s.execute(text("SELECT count(*) FROM outbox WHERE event_type = 'SPTSubmitted'"))).scalar_one()
        sample = (await s.execute(text("SELECT content_digest, signature FROM spt_submission "
                                       "ORDER BY random() LIMIT 300"))).all()
    bad = 0
    for r in sample:
        try:
            key.verify(base64.b64decode(r.signature), bytes.fromhex(r.content_digest),
                       ec.ECDSA(Prehashed(hashes.SHA256())))
        except Exception:  # noqa: BLE001 (any failure is a bad signature)
            bad += 1
    return {"filed": int(filed), "SPTSubmitted": int(events), "bad signatures": bad}


def main(argv: list[str]) -> int:
    import logging

    parser = argparse.ArgumentParser(prog="python -m bench.filing_submission", description=__doc__.split("\n")[0])
    parser.add_argument("server_url", nargs="?", help="PostgreSQL superuser URL (default: an embedded durable one)")
    parser.add_argument("--one-by-one", type=int, default=ONE_BY_ONE)
    parser.add_argument("--batched", type=int, default=BATCHED)
    parser.add_argument("--signing", choices=("session", "passphrase"), default="session")
    parser.add_argument("--idempotency-keys", action="store_true",
                        help="each one-by-one submission sends its own Idempotency-Key")
    args = parser.parse_args(argv)
    logging.getLogger().setLevel(logging.WARNING)
    rows = asyncio.run(run(args.server_url, one_by_one=args.one_by_one, batched=args.batched, signing=args.signing,
                           idempotency_keys=args.idempotency_keys))
    for row in rows:
        mark = "" if row["ok"] is None else ("  ok" if row["ok"] else "  FAIL")
        target = f"  (target {row['target']} {row['unit']})" if row["target"] else ""
        value = "n/a" if row["value"] is None else row["value"]
        print(f"{row['name']:<96} {value:>10} {row['unit']}{target}{mark}")
    return 1 if any(r["ok"] is False for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
