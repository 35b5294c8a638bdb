"""The whole local stack: PostgreSQL, broker, topics, migrations, then each service's API and worker."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx

from devstack.bank import bank_sandbox_env, ensure_bank_client
from devstack.broker import EmbeddedBroker
from devstack.clients import SERVICE_CLIENT_SCOPES, ensure_partner_clients, ensure_service_clients, service_client_env
from devstack.config import SANDBOX_SMS_PROVIDERS, SERVICES, StackConfig
from devstack.postgres import EmbeddedPostgres, ensure_databases, republish_since
from devstack.processes import port_in_use, spawn, stop
from devstack.secrets import dev_secrets
from devstack.sync import run
from kit.kafka import create_topics

# The services whose PDFs (faktur, receipts, KSWP letters, BPN, PHTB validations) carry a QR code to their public
# verification, at `<SERVICE>_PUBLIC_URL`.
QR_SERVICES = ("invoice", "filing", "payment")


def api_command(service: str, host: str, port: int) -> list[str]:
    """How the stack runs a service's API. `--no-proxy-headers`: uvicorn would otherwise take the client address from
    X-Forwarded-For whenever the peer is loopback, i.e. from anyone on this machine; kit.clientip decides instead,
    trusting only the proxies in `<SERVICE>_HTTP__TRUSTED_PROXIES`."""
    return [sys.executable, "-m", "uvicorn", f"{service}.main:app", "--host", host, "--port", str(port),
            "--no-access-log", "--no-proxy-headers", "--timeout-graceful-shutdown", "10"]


class StackError(RuntimeError):
    """Something stops the stack from starting; the message says what to do."""


@dataclass
class Child:
    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None
    restarts: list[float] = field(default_factory=list)

    def start(self) -> None:
        self.proc = spawn(self.argv, env=self.env, log_path=self.log_path)


class Stack:
    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.postgres: EmbeddedPostgres | None = None
        self.broker: EmbeddedBroker | None = None
        self.children: list[Child] = []
        self._lock_file: int | None = None

    # -- addresses -------------------------------------------------------------------------------------------
    @property
    def server_url(self) -> str:
        if self.config.database_url:
            return self.config.database_url
        return f"postgresql+asyncpg://postgres@{self.config.host}:{self.config.pg_port}/postgres"

    def database_url(self, service: str) -> str:
        base, _, _ = self.server_url.rpartition("/")
        return f"{base}/{service}"

    @property
    def bootstrap(self) -> str:
        return self.config.kafka_bootstrap or f"{self.config.host}:{self.config.broker_port}"

    @property
    def logs_dir(self) -> Path:
        return self.config.data_dir / "logs"

    @property
    def sandbox_tls_dir(self) -> Path:
        return self.config.data_dir / "sandbox-tls"

    def sandbox_env(self) -> dict[str, str]:
        """`python -m sandbox`: SMTP, the SMS provider sandboxes with the dev credentials, and the bank sandbox with
        its client at identity (libs/sandbox)."""
        c = self.config
        secrets = dev_secrets(c.data_dir)
        providers = [{"name": name, "api_key": secrets[f"{_secret_prefix(name)}_API_KEY"],
                      "webhook_secret": secrets[f"{_secret_prefix(name)}_WEBHOOK_SECRET"]}
                     for name in SANDBOX_SMS_PROVIDERS]
        return {"LONTAR_SANDBOX_HOST": c.host, "LONTAR_SANDBOX_SMTP_PORT": str(c.sandbox_smtp_port),
                "LONTAR_SANDBOX_HTTP_PORT": str(c.sandbox_http_port), "LONTAR_SANDBOX_SMTP_TLS_DIR":
                str(self.sandbox_tls_dir), "LONTAR_SANDBOX_SMS_PROVIDERS": json.dumps(providers),
                **bank_sandbox_env(c.data_dir, payment_url=c.api_url("payment"), identity_url=c.api_url("identity"))}

    def _notification_providers(self) -> dict[str, str]:
        """notification's SMS providers and SMTP relay: the sandboxes."""
        c = self.config
        sandbox = json.loads(self.sandbox_env()["LONTAR_SANDBOX_SMS_PROVIDERS"])
        providers = [{**p, "base_url": f"{c.sandbox_url}/sms/{p['name']}"} for p in sandbox]
        return {
            "NOTIFICATION_SMS__PROVIDERS": json.dumps(providers),
            "NOTIFICATION_SMTP__HOST": c.host,
            "NOTIFICATION_SMTP__PORT": str(c.sandbox_smtp_port),
            "NOTIFICATION_SMTP__CA_FILE": str(self.sandbox_tls_dir / "cert.pem"),
            "NOTIFICATION_WEBHOOK_BASE_URL": f"{c.api_url('notification')}/v1/provider-webhooks",
        }

    def service_env(self, service: str) -> dict[str, str]:
        p = service.upper()
        c = self.config
        secrets = {k: v for k, v in dev_secrets(c.data_dir).items() if k.startswith(f"{p}_")}
        if service == "notification":
            secrets |= self._notification_providers()
        if service == "identity":
            secrets["IDENTITY_CREDENTIALS__LIVENESS_URL"] = c.liveness_url
        secrets |= service_client_env(c.data_dir, service)
        if service in SERVICE_CLIENT_SCOPES:
            secrets[f"{p}_IDENTITY__BASE_URL"] = c.api_url("identity")
        if service in QR_SERVICES:  # the QR codes on their PDFs lead to this stack's own port
            secrets[f"{p}_PUBLIC_URL"] = c.api_url(service)
        return secrets | {
            f"{p}_ENV": "dev",
            f"{p}_LOG_LEVEL": c.log_level,
            f"{p}_DATABASE__DSN": self.database_url(service),
            f"{p}_KAFKA__BOOTSTRAP_SERVERS": self.bootstrap,
            f"{p}_KAFKA__ENABLE_IDEMPOTENCE": str(c.kafka_idempotence).lower(),
            # one broker on loopback: a short group session makes starts and takeovers take about a second
            f"{p}_KAFKA__SESSION_TIMEOUT_MS": "2000",
            f"{p}_KAFKA__HEARTBEAT_INTERVAL_MS": "300",
            f"{p}_AUTH__JWKS_URL": f"{c.api_url('identity')}/.well-known/jwks.json",
            f"{p}_WORKER_HOST": c.host,
            f"{p}_WORKER_PORT": str(c.worker_ports[service]),
        }

    # -- lifecycle -------------------------------------------------------------------------------------------
    def start(self, *, timeout: float = 90.0) -> None:
        c = self.config
        c.data_dir.mkdir(parents=True, exist_ok=True)
        self._take_lock()
        try:
            self._check_ports_free()
            if not c.database_url:
                self.postgres = EmbeddedPostgres(c.data_dir / "postgres", port=c.pg_port, host=c.host,
                                                 durable=c.durable)
                self.postgres.start()
            run(ensure_databases(self.server_url, list(SERVICES)))
            self._migrate()
            try:  # the bank sandbox pays as a collecting bank: identity's machine client of kind bank; invoice and
                # filing call identity with their own service clients (kind internal); a notary and a land office
                # for a person trying PPh PHTB validation
                identity_env = {**os.environ, **self.service_env("identity")}
                ensure_bank_client(c.data_dir, identity_env)
                ensure_service_clients(c.data_dir, identity_env)
                ensure_partner_clients(c.data_dir, identity_env)
            except RuntimeError as exc:
                raise StackError(str(exc)) from None
            if not c.kafka_bootstrap:
                self.broker = EmbeddedBroker(port=c.broker_port, host=c.host, log_path=self.logs_dir / "broker.log")
                self.broker.start()
            self._create_topics()
            self.children.append(Child("sandbox", [sys.executable, "-m", "sandbox"],
                                       {**os.environ, **self.sandbox_env(), "PYTHONUNBUFFERED": "1"},
                                       self.logs_dir / "sandbox.log"))  # started first: services send to it
            self.children.append(Child("liveness-sandbox", [
                sys.executable, "-m", "sandbox.liveness", "--host", c.host,
                "--port", str(c.liveness_port)], {**os.environ, "PYTHONUNBUFFERED": "1"},
                self.logs_dir / "liveness-sandbox.log"))
            for service in SERVICES:
                self._add_child(f"{service}-api", api_command(service, c.host, c.api_ports[service]), service)
                self._add_child(f"{service}-worker", [sys.executable, "-m", f"{service}.worker"], service)
            for child in self.children:
                child.start()
            self.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        for child in self.children:  # services first, so they drain before their dependencies go
            if child.proc is not None and child.proc.poll() is None:
                child.proc.terminate()
        for child in self.children:
            if child.proc is not None:
                stop(child.proc, timeout=20)
        self.children.clear()
        if self.broker is not None:
            self.broker.stop()
            self.broker = None
        if self.postgres is not None:
            self.postgres.stop()
            self.postgres = None
        self._release_lock()

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pending = {f"{s}-{kind}": url for s in SERVICES
                   for kind, url in (("api", self.config.api_url(s)), ("worker", self.config.worker_url(s)))}
        pending["sandbox"] = self.config.sandbox_url
        pending["liveness-sandbox"] = self.config.liveness_url
        with httpx.Client(timeout=2.0) as http:
            while pending:
                for name, url in list(pending.items()):
                    try:
                        if http.get(f"{url}/readyz").status_code == 200:
                            del pending[name]
                    except httpx.HTTPError:
                        pass
                for child in self.children:
                    if child.proc is not None and child.proc.poll() is not None:
                        raise StackError(f"{child.name} exited with {child.proc.returncode} while starting; "
                                         f"see {child.log_path}:\n{_tail(child.log_path)}")
                if pending and time.monotonic() > deadline:
                    raise StackError(f"not ready after {timeout:.0f}s: {', '.join(sorted(pending))}")
                time.sleep(0.2)

    def restart_broker(self) -> None:
        """Bring the embedded broker back after it stopped or died.

        Its storage is memory, so it comes back as a new, empty cluster: topics are created again before any client
        can auto-create one with the wrong partition count, and the workers are restarted so their consumers start
        from the new cluster's committed offsets (none) rather than positions in a log that no longer exists. Events
        the old broker held that some consumer group had not read yet went with it: every event published since the
        old broker started is published again (its outbox row marked unpublished before the workers start), and each
        consumer's inbox absorbs the copies it had applied. PostgreSQL holds every event, published or not.
        """
        assert self.broker is not None, "the broker is external; restart it there"
        since = self.broker.started_at
        workers = [c for c in self.children if c.name.endswith("-worker")]
        for child in workers:
            if child.proc is not None:
                stop(child.proc, timeout=20)
        self.broker.stop()
        self.broker.start()
        self._create_topics()
        if since is not None:  # a margin for the database's clock (the same host)
            run(republish_since(self.server_url, list(SERVICES), since - timedelta(seconds=5)))
        for child in workers:
            child.start()

    def _create_topics(self) -> None:
        from contracts.topics import TOPICS

        run(create_topics(self.bootstrap, [(t.name, t.partitions) for t in TOPICS]))

    def supervise_once(self) -> list[str]:
        """Restart children that died (at most 5 times a minute each), and a dead embedded broker.
        Returns what was restarted."""
        restarted = []
        if self.broker is not None and not self.broker.running:
            self.restart_broker()
            restarted.append("broker")
        for child in self.children:
            if child.proc is not None and child.proc.poll() is not None:
                now = time.monotonic()
                child.restarts = [t for t in child.restarts if now - t < 60]
                if len(child.restarts) >= 5:
                    continue
                child.restarts.append(now)
                child.start()
                restarted.append(child.name)
        return restarted

    # -- helpers ---------------------------------------------------------------------------------------------
    def _add_child(self, name: str, argv: list[str], service: str) -> None:
        env = {**os.environ, **self.service_env(service), "PYTHONUNBUFFERED": "1"}
        self.children.append(Child(name, argv, env, self.logs_dir / f"{name}.log"))

    def _migrate(self) -> None:
        procs = {s: subprocess.Popen([sys.executable, "-m", f"{s}.migrate"],
                                     env={**os.environ, **self.service_env(s)},
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for s in SERVICES}
        failed = []
        for service, proc in procs.items():
            out, _ = proc.communicate(timeout=120)
            if proc.returncode != 0:
                failed.append(f"{service}:\n{out.decode(errors='replace')[-3000:]}")
        if failed:
            raise StackError("migrations failed\n" + "\n".join(failed))

    def _take_lock(self) -> None:
        path = self.config.data_dir / "stack.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 100).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise StackError(
                f"A Lontar stack is already running on {self.config.data_dir} (pid {holder}). "
                "Stop it first (Ctrl-C in its terminal), or use another LONTAR_DATA_DIR and ports."
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._lock_file = fd

    def _release_lock(self) -> None:
        if self._lock_file is not None:
            os.close(self._lock_file)
            self._lock_file = None

    def _check_ports_free(self) -> None:
        c = self.config
        wanted = {f"{s} API": c.api_ports[s] for s in SERVICES}
        wanted |= {f"{s} worker": c.worker_ports[s] for s in SERVICES}
        wanted |= {"SMTP sandbox": c.sandbox_smtp_port, "sandbox HTTP": c.sandbox_http_port,
                   "liveness sandbox": c.liveness_port}
        if not c.database_url:
            wanted["PostgreSQL"] = c.pg_port
        if not c.kafka_bootstrap:
            wanted["broker"] = c.broker_port
        busy = [f"{name} port {port}" for name, port in wanted.items() if port_in_use(c.host, port)]
        if busy:
            raise StackError(f"ports already in use on {c.host}: {', '.join(busy)}. Another stack or program "
                             "holds them; stop it or choose other ports (see README, 'Settings').")

    def reset(self) -> None:
        self.config.data_dir.mkdir(parents=True, exist_ok=True)
        self._take_lock()
        try:
            for entry in self.config.data_dir.iterdir():
                if entry.name != "stack.lock":
                    shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        finally:
            self._release_lock()


def _secret_prefix(provider: str) -> str:
    return f"LONTAR_SANDBOX_{provider.upper().replace('-', '_')}"


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
