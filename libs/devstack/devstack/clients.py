"""Machine clients the local stack registers at identity, once per data folder, with identity's own command
(`python -m identity.clients create ...`, run as a process: libraries never import services), kept in a file of the
data folder (mode 0600) so a restart reuses them:

- one `internal` client per service that calls another service's `/internal` routes (invoice and filing sign
  through identity's `POST /internal/v1/signatures`, scope `identity:sign`); their id and secret reach the service
  as `<SERVICE>_IDENTITY__CLIENT_ID` / `_CLIENT_SECRET`, as a Kubernetes Secret gives them in production;
- the bank sandbox's client (`devstack.bank`);
- the partners a person trying the stack acts as (`partner-clients.json`): a notary (PPAT, kind `ppat`, scope
  `payment:phtb`) who requests PPh PHTB validations for a seller, and a land office (kind `land_office`, scope
  `payment:land_office`) that reads them and subscribes to their webhook. `python -m devstack token --client ppat`
  (or `land_office`) prints a token identity issues to that client (client credentials), as the partner's own
  system would get it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SERVICE_CLIENTS_FILE = "service-clients.json"
# What each calling service may do at the others (kit.access); a service that calls nobody has no client.
SERVICE_CLIENT_SCOPES: dict[str, list[str]] = {"invoice": ["identity:sign"], "filing": ["identity:sign"]}


PARTNER_CLIENTS_FILE = "partner-clients.json"
# kind -> (name, scopes) of the partners' machine clients (identity's client kinds; payment checks kind and scope).
PARTNER_CLIENTS: dict[str, tuple[str, list[str]]] = {
    "ppat": ("Notaris/PPAT sandbox", ["payment:phtb"]),
    "land_office": ("Kantor Pertanahan sandbox", ["payment:land_office"]),
}


def _create_argv(kind: str, name: str, scopes: list[str]) -> list[str]:
    argv = [sys.executable, "-m", "identity.clients", "create", "--kind", kind, "--name", name]
    for scope in scopes:
        argv += ["--scope", scope]
    return argv


def _created(done: subprocess.CompletedProcess[bytes] | tuple[int, bytes, bytes], what: str) -> dict[str, str]:
    code, out, err = (done.returncode, done.stdout, done.stderr) if isinstance(done, subprocess.CompletedProcess) \
        else done
    if code != 0:
        raise RuntimeError(f"registering {what} at identity failed:\n"
                           + out.decode(errors="replace")[-2000:] + err.decode(errors="replace")[-2000:])
    client = json.loads(out.decode().strip().splitlines()[-1])
    return {"client_id": str(client["client_id"]), "client_secret": str(client["client_secret"])}


def register_client(identity_env: dict[str, str], *, kind: str, name: str, scopes: list[str]) -> dict[str, str]:
    done = subprocess.run(_create_argv(kind, name, scopes), env=identity_env, capture_output=True, timeout=120,
                          check=False)
    return _created(done, f"the client {name!r}")


def store(path: Path, value: object) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(value, f)


def ensure_service_clients(data_dir: Path, identity_env: dict[str, str]) -> dict[str, dict[str, str]]:
    """The stored service clients, those missing registered (in parallel) and stored."""
    path = data_dir / SERVICE_CLIENTS_FILE
    clients: dict[str, dict[str, str]] = json.loads(path.read_text()) if path.exists() else {}
    missing = [s for s in SERVICE_CLIENT_SCOPES if s not in clients]
    procs = {s: subprocess.Popen(_create_argv("internal", f"{s} service", SERVICE_CLIENT_SCOPES[s]), env=identity_env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE) for s in missing}
    for service, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        clients[service] = _created((proc.returncode, out, err), f"{service}'s service client")
    if missing:
        store(path, clients)
    return clients


def ensure_partner_clients(data_dir: Path, identity_env: dict[str, str]) -> dict[str, dict[str, str]]:
    """The stored partner clients (kind -> client id and secret), those missing registered (in parallel) and
    stored."""
    path = data_dir / PARTNER_CLIENTS_FILE
    clients: dict[str, dict[str, str]] = json.loads(path.read_text()) if path.exists() else {}
    missing = [kind for kind in PARTNER_CLIENTS if kind not in clients]
    procs = {kind: subprocess.Popen(_create_argv(kind, *PARTNER_CLIENTS[kind]), env=identity_env,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE) for kind in missing}
    for kind, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        clients[kind] = _created((proc.returncode, out, err), f"the {kind} client")
    if missing:
        store(path, clients)
    return clients


def partner_client(data_dir: Path, kind: str) -> dict[str, str] | None:
    """The partner client of `kind` the stack registered, or None before the first `make run`."""
    path = data_dir / PARTNER_CLIENTS_FILE
    client = json.loads(path.read_text()).get(kind) if path.exists() else None
    return dict(client) if client else None


def service_client_env(data_dir: Path, service: str) -> dict[str, str]:
    """`<SERVICE>_IDENTITY__CLIENT_ID` and `_CLIENT_SECRET` once the client is registered (nothing before)."""
    path = data_dir / SERVICE_CLIENTS_FILE
    client = json.loads(path.read_text()).get(service) if path.exists() else None
    if client is None:
        return {}
    p = service.upper()
    return {f"{p}_IDENTITY__CLIENT_ID": client["client_id"], f"{p}_IDENTITY__CLIENT_SECRET": client["client_secret"]}
