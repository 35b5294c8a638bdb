"""deploy/ as an operator gets it: rendered with kustomize, validated offline, checked against a stated policy, and
started from its own manifests.

- Schemas: every rendered object of both overlays and of deploy/kafka strictly against Kubernetes' OpenAPI
  (kubernetes-validate, unknown fields rejected), for the oldest and newest Kubernetes we support; the
  CloudNativePG `Cluster`s and Strimzi `KafkaTopic`/`KafkaUser`s against the operators' CRDs vendored in
  deploy/crds/ (structural schema with unknown fields rejected, as `kubectl apply --validate=strict` does; the
  CRDs' CEL rules are not evaluated here).
- Policy (`test_the_workloads_follow_the_policy` says it): probes, resources, security contexts, PDBs and HPAs.
- Settings: whatever a service requires in production (`kit.settings.RequiredInProd`) is in its ConfigMap or its
  secret.example.yaml, and every variable there is one the service reads.
- Start (slow): the prod overlay's migrate Jobs, APIs and workers run as processes with the environment the
  manifests give them, `ENV=prod` included; every probe must answer 200 and a registration must reach all four
  replicas. What the test changes is listed in `on_this_machine` (database, broker) and `listen_locally` (ports,
  since the processes share one network namespace), and nothing else.

Needs kubectl >= 1.31 (or kustomize >= 5.1) on PATH; without either the tests skip and say so.
"""

from __future__ import annotations

import copy
import json
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import kubernetes_validate
import pytest
import yaml
from pydantic import BaseModel

from devstack.processes import free_port, spawn, stop
from devstack.testing.infra import Infra
from filing.settings import FilingSettings
from identity.keys import generate as generate_identity_keys
from identity.settings import IdentitySettings
from invoice.settings import InvoiceSettings
from kit.settings import RELAX_ENV, BaseServiceSettings, required_in_prod
from kit.testing.events import random_npwp
from notification.settings import NotificationSettings
from payment.settings import PaymentSettings

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
OVERLAYS = ("dev", "prod")
SETTINGS: dict[str, type[BaseServiceSettings]] = {
    "identity": IdentitySettings, "invoice": InvoiceSettings, "filing": FilingSettings, "payment": PaymentSettings,
    "notification": NotificationSettings}
SERVICES = tuple(SETTINGS)
# The oldest Kubernetes deploy/README.md supports, and the newest kubernetes-validate knows.
K8S_VERSIONS = ("1.31.0", kubernetes_validate.latest_version())
CRDS = {
    "postgresql.cnpg.io/Cluster": DEPLOY / "crds" / "cloudnative-pg" / "postgresql.cnpg.io_clusters.yaml",
    "kafka.strimzi.io/KafkaTopic": DEPLOY / "crds" / "strimzi" / "043-Crd-kafkatopic.yaml",
    "kafka.strimzi.io/KafkaUser": DEPLOY / "crds" / "strimzi" / "044-Crd-kafkauser.yaml",
}


# -- rendering ---------------------------------------------------------------------------------------------------

@cache
def _render(path: str) -> tuple[dict[str, Any], ...]:
    if kubectl := shutil.which("kubectl"):
        argv = [kubectl, "kustomize", path]
    elif kustomize := shutil.which("kustomize"):
        argv = [kustomize, "build", path]
    else:
        pytest.skip("deploy manifests not rendered: neither kubectl (>= 1.31) nor kustomize (>= 5.1) is on PATH")
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"{' '.join(argv)} failed:\n{done.stderr}"
    return tuple(doc for doc in yaml.safe_load_all(done.stdout) if doc)


def rendered(target: str) -> list[dict[str, Any]]:
    """A deep copy of what kustomize renders for `overlays/<target>` or, for "kafka", deploy/kafka."""
    path = DEPLOY / "kafka" if target == "kafka" else DEPLOY / "k8s" / "overlays" / target
    return copy.deepcopy(list(_render(str(path))))


def of_kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] == kind]


def named(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    [found] = [o for o in of_kind(objects, kind) if o["metadata"]["name"] == name]
    return found


def config_maps(objects: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    return {o["metadata"]["name"]: o.get("data", {}) for o in of_kind(objects, "ConfigMap")}


def secret_examples() -> dict[str, dict[str, str]]:
    """Secret name -> keys and placeholder values, from every base/<svc>/secret.example.yaml."""
    examples = {}
    for path in sorted((DEPLOY / "k8s" / "base").glob("*/secret.example.yaml")):
        secret = yaml.safe_load(path.read_text())
        examples[secret["metadata"]["name"]] = {k: str(v) for k, v in secret["stringData"].items()}
    return examples


def container_env(container: dict[str, Any], configs: dict[str, dict[str, str]],
                  secrets_: dict[str, dict[str, str]]) -> dict[str, str]:
    """The environment Kubernetes gives this container: envFrom in order, then env."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        prefix = source.get("prefix", "")
        if "configMapRef" in source:
            data = configs[source["configMapRef"]["name"]]
        else:
            data = secrets_[source["secretRef"]["name"]]
        env.update({prefix + k: v for k, v in data.items()})
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = item["value"]
        else:
            ref = item["valueFrom"].get("configMapKeyRef") or item["valueFrom"]["secretKeyRef"]
            source = configs if "configMapKeyRef" in item["valueFrom"] else secrets_
            env[item["name"]] = source[ref["name"]][ref["key"]]
    return env


# -- schemas -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("target", [*OVERLAYS, "kafka"])
def test_every_rendered_object_validates_strictly(target: str) -> None:
    objects = rendered(target)
    custom = [o for o in objects if crd_key(o) in CRDS]
    assert objects and (custom or target == "dev")  # prod: the Clusters; kafka: topics and users
    failures = []
    for obj in objects:
        what = f"{obj['kind']}/{obj['metadata']['name']}"
        if obj in custom:
            failures += [f"{what}: {e}" for e in crd_errors(obj)]
            continue
        for version in K8S_VERSIONS:
            try:
                kubernetes_validate.validate(obj, version, strict=True)
            except kubernetes_validate.ValidationError as e:
                failures.append(f"{what} (Kubernetes {version}) at {'.'.join(map(str, e.path))}: {e.message}")
            except kubernetes_validate.SchemaNotFoundError:
                failures.append(f"{what}: no schema for {obj['apiVersion']} in Kubernetes {version}")
    assert not failures, "\n".join(failures)


def test_the_crd_check_rejects_what_the_operator_would() -> None:
    [cluster] = of_kind(rendered("prod"), "Cluster")[:1]
    typo = copy.deepcopy(cluster)
    typo["spec"]["storage"]["sizee"] = typo["spec"]["storage"].pop("size")
    assert any("sizee" in e for e in crd_errors(typo))
    wrong_type = copy.deepcopy(cluster)
    wrong_type["spec"]["instances"] = "three"
    assert crd_errors(wrong_type)
    [topic] = of_kind(rendered("kafka"), "KafkaTopic")[:1]
    old_api = {**topic, "apiVersion": "kafka.strimzi.io/v1beta2"}
    assert crd_errors(old_api) == ["kafka.strimzi.io/v1beta2 is not served by the vendored CRD (served: v1)"]


def crd_key(obj: dict[str, Any]) -> str:
    return f"{obj['apiVersion'].split('/')[0]}/{obj['kind']}"


@cache
def _crd(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())  # type: ignore[no-any-return]


def crd_errors(obj: dict[str, Any]) -> list[str]:
    crd = _crd(CRDS[crd_key(obj)])
    version = obj["apiVersion"].split("/")[1]
    served = [v for v in crd["spec"]["versions"] if v.get("served")]
    matching = [v for v in served if v["name"] == version]
    if not matching:
        return [f"{obj['apiVersion']} is not served by the vendored CRD "
                f"(served: {', '.join(v['name'] for v in served)})"]
    schema = strict(matching[0]["schema"]["openAPIV3Schema"])
    validator = jsonschema.Draft7Validator(schema)
    return [f"{'.'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in sorted(validator.iter_errors(obj), key=lambda e: list(map(str, e.absolute_path)))]


def strict(schema: dict[str, Any]) -> dict[str, Any]:
    """An OpenAPI v3 structural schema as the API server applies it, in JSON Schema: unknown fields are errors
    (not silently pruned) unless the schema preserves them; `nullable` and int-or-string become types."""
    s = dict(schema)
    if s.pop("x-kubernetes-int-or-string", False):
        s["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if s.pop("nullable", False) and "type" in s:
        s["type"] = [s["type"], "null"]
    if "properties" in s:
        s["properties"] = {k: strict(v) for k, v in s["properties"].items()}
        if "additionalProperties" not in s and not s.get("x-kubernetes-preserve-unknown-fields"):
            s["additionalProperties"] = False
    if isinstance(s.get("additionalProperties"), dict):
        s["additionalProperties"] = strict(s["additionalProperties"])
    if isinstance(s.get("items"), dict):
        s["items"] = strict(s["items"])
    for key in ("allOf", "anyOf", "oneOf"):
        if key in s:
            s[key] = [strict(sub) for sub in s[key]]
    return s


# -- policy ------------------------------------------------------------------------------------------------------

def pod_templates(objects: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for obj in objects:
        if obj["kind"] in ("Deployment", "Job"):
            yield obj, obj["spec"]["template"]


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_workloads_follow_the_policy(overlay: str) -> None:
    """The policy, for every Deployment and Job:
    - pods run as a non-root UID with the RuntimeDefault seccomp profile, no service-account token and no service
      links; every container has a read-only root filesystem, no privilege escalation and drops ALL capabilities
      (adding none back);
    - every container requests CPU and memory and has a memory limit (CPU requests are what the HPAs scale on);
    - every long-running container (Deployments) has startup, liveness (/healthz) and readiness (/readyz) probes on
      a port it declares, and a grace period longer than its preStop pause plus its drain time;
    - every Job has a deadline and a retry limit;
    - images are pinned to a tag (never :latest or untagged);
    - prod: every Deployment has a PodDisruptionBudget that leaves room to evict (minAvailable below its replicas
      or HPA minimum, unhealthy pods always evictable); every API has an HPA on CPU with at least 2 replicas and no
      `spec.replicas` of its own (the HPA owns the count); dev: one replica and no PDB (it would block drains).
    """
    objects = rendered(overlay)
    problems = []
    for obj, template in pod_templates(objects):
        what = f"{obj['kind']}/{obj['metadata']['name']}"
        pod = template["spec"]
        ctx = pod.get("securityContext", {})
        if not (ctx.get("runAsNonRoot") and ctx.get("runAsUser", 0) > 0):
            problems.append(f"{what}: pod must run as a non-root UID")
        if ctx.get("seccompProfile", {}).get("type") != "RuntimeDefault":
            problems.append(f"{what}: seccompProfile RuntimeDefault")
        if pod.get("automountServiceAccountToken") is not False or pod.get("enableServiceLinks") is not False:
            problems.append(f"{what}: no service-account token, no service links")
        if obj["kind"] == "Job" and not (obj["spec"].get("activeDeadlineSeconds") and "backoffLimit" in obj["spec"]):
            problems.append(f"{what}: a Job needs activeDeadlineSeconds and backoffLimit")
        for c in pod["containers"]:
            cwhat = f"{what} container {c['name']}"
            sc = c.get("securityContext", {})
            if not (sc.get("readOnlyRootFilesystem") and sc.get("allowPrivilegeEscalation") is False
                    and "ALL" in sc.get("capabilities", {}).get("drop", [])
                    and not sc.get("capabilities", {}).get("add")):
                problems.append(f"{cwhat}: read-only root, no privilege escalation, drop ALL capabilities")
            res = c.get("resources", {})
            if not ({"cpu", "memory"} <= set(res.get("requests", {})) and "memory" in res.get("limits", {})):
                problems.append(f"{cwhat}: requests cpu+memory and a memory limit")
            image = c["image"].rsplit("/", 1)[-1]
            if ":" not in image and "@" not in image or image.endswith(":latest"):
                problems.append(f"{cwhat}: image {c['image']} is not pinned")
            if obj["kind"] == "Deployment":
                problems += probe_problems(cwhat, c, pod)
    problems += disruption_problems(overlay, objects)
    assert not problems, "\n".join(problems)


def probe_problems(what: str, container: dict[str, Any], pod: dict[str, Any]) -> list[str]:
    problems = []
    ports = {p["name"] for p in container.get("ports", [])} | {p["containerPort"] for p in container.get("ports", [])}
    for probe, path in (("startupProbe", "/healthz"), ("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        get = container.get(probe, {}).get("httpGet")
        if not get or not get["path"].startswith(path) or get["port"] not in ports:
            problems.append(f"{what}: {probe} GET {path} on a declared port")
    drain = next((int(a.split("=", 1)[1]) for a in container.get("command", [])
                  if a.startswith("--timeout-graceful-shutdown=")), 0)
    pause = container.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command", [])
    pause_s = int(pause[1]) if pause[:1] == ["sleep"] else 0
    if pod.get("terminationGracePeriodSeconds", 30) <= drain + pause_s:
        problems.append(f"{what}: grace period must exceed preStop ({pause_s}s) + drain ({drain}s)")
    return problems


def disruption_problems(overlay: str, objects: list[dict[str, Any]]) -> list[str]:
    problems = []
    pdbs = of_kind(objects, "PodDisruptionBudget")
    hpas = {h["spec"]["scaleTargetRef"]["name"]: h for h in of_kind(objects, "HorizontalPodAutoscaler")}
    for dep in of_kind(objects, "Deployment"):
        name, labels = dep["metadata"]["name"], dep["spec"]["template"]["metadata"]["labels"]
        if not selects(dep["spec"]["selector"], labels):
            problems.append(f"Deployment/{name}: its selector does not select its own pods")
        mine = [p for p in pdbs if selects(p["spec"]["selector"], labels)]
        hpa = hpas.get(name)
        if overlay == "dev":
            if mine or dep["spec"].get("replicas") != 1:
                problems.append(f"Deployment/{name}: dev runs one replica without a PDB")
            continue
        if dep["metadata"]["labels"].get("app.kubernetes.io/component") == "api":
            metrics = hpa["spec"]["metrics"] if hpa else []
            if not (hpa and hpa["spec"]["minReplicas"] >= 2 and hpa["spec"]["maxReplicas"] >= hpa["spec"]["minReplicas"]
                    and any(m.get("resource", {}).get("name") == "cpu" for m in metrics)):
                problems.append(f"Deployment/{name}: an HPA on CPU with minReplicas >= 2")
            if "replicas" in dep["spec"]:
                problems.append(f"Deployment/{name}: the HPA owns the replica count (no spec.replicas)")
        replicas = hpa["spec"]["minReplicas"] if hpa else dep["spec"].get("replicas", 1)
        if len(mine) != 1:
            problems.append(f"Deployment/{name}: exactly one PDB (found {len(mine)})")
            continue
        spec = mine[0]["spec"]
        if not (0 < spec.get("minAvailable", 0) < replicas or spec.get("maxUnavailable", 0) >= 1):
            problems.append(f"Deployment/{name}: its PDB must allow an eviction with {replicas} replicas")
        if spec.get("unhealthyPodEvictionPolicy") != "AlwaysAllow":
            problems.append(f"Deployment/{name}: unhealthy pods must stay evictable")
    for target in hpas:
        if not any(d["metadata"]["name"] == target for d in of_kind(objects, "Deployment")):
            problems.append(f"HPA for {target}: no such Deployment")
    return problems


# -- settings ----------------------------------------------------------------------------------------------------

def reads(settings: type[BaseModel], names: list[str]) -> bool:
    """Whether `A__B__C` (prefix stripped, lower case) is a field path of these settings."""
    field_info = settings.model_fields.get(names[0])
    if field_info is None:
        return False
    if len(names) == 1:
        return True
    section = field_info.annotation
    return isinstance(section, type) and issubclass(section, BaseModel) and reads(section, names[1:])


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_manifests_provide_every_setting_production_requires_and_only_real_ones(overlay: str) -> None:
    objects = rendered(overlay)
    configs, examples = config_maps(objects), secret_examples()
    problems = []
    for service, settings in SETTINGS.items():
        container = named(objects, "Deployment", f"{service}-api")["spec"]["template"]["spec"]["containers"][0]
        env = container_env(container, configs, examples)
        prefix = settings.env_prefix()
        missing = [var for var in required_in_prod(settings) if var not in env]
        if missing:
            problems.append(f"{service}: no ConfigMap or Secret key for {', '.join(missing)}")
        unknown = [var for var in env if not (var.startswith(prefix)
                                              and reads(settings, var.removeprefix(prefix).lower().split("__")))]
        if unknown:
            problems.append(f"{service}: {', '.join(unknown)} are not settings of {settings.__name__} (typos?)")
    assert not problems, "\n".join(problems)


# -- start -------------------------------------------------------------------------------------------------------

@dataclass
class Pod:
    """One container of the rendered manifests, as a process on this machine."""

    name: str
    service: str
    argv: list[str]
    env: dict[str, str] = field(repr=False)
    probes: list[str] = field(default_factory=list)  # URLs
    proc: subprocess.Popen[bytes] | None = None
    log: Path | None = None


def command(container: dict[str, Any]) -> list[str]:
    """The container's command, with the image's executables (`python`, `uvicorn`) taken from this venv."""
    argv = list(container["command"])
    venv_bin = Path(sys.executable).parent
    argv[0] = sys.executable if argv[0] == "python" else str(venv_bin / argv[0])
    assert Path(argv[0]).exists(), argv
    return argv


def on_this_machine(env: dict[str, str], prefix: str, infra: Infra, database: str) -> dict[str, str]:
    """The only changes the test makes to what the manifests give a container: the database and the broker are the
    test's, and the broker's security settings go (the embedded broker speaks PLAINTEXT and has no idempotent
    producer, hence the one relaxed check, by name). Each replaced setting must have been in the manifests. Besides,
    identity's in-cluster address resolves to the local identity API once it listens (`IDENTITY_IN_CLUSTER`)."""
    kafka = f"{prefix}KAFKA__"
    for var in (f"{prefix}DATABASE__DSN", f"{kafka}BOOTSTRAP_SERVERS", f"{kafka}SECURITY_PROTOCOL",
                f"{kafka}ENABLE_IDEMPOTENCE"):
        assert var in env, f"{var} is not in the manifests"
    env = {k: v for k, v in env.items() if not k.startswith((f"{kafka}SASL_", f"{kafka}SSL_"))}
    return env | {f"{prefix}DATABASE__DSN": infra.database_url(database), f"{kafka}BOOTSTRAP_SERVERS": infra.bootstrap,
                  f"{kafka}SECURITY_PROTOCOL": "PLAINTEXT", f"{kafka}ENABLE_IDEMPOTENCE": "false",
                  RELAX_ENV: "kafka.enable_idempotence"}


IDENTITY_IN_CLUSTER = "http://identity-api.lontar.svc:8000"


def listen_locally(pod: Pod, container: dict[str, Any], prefix: str) -> None:
    """Each pod has its own network namespace; here they share one. So each port a container listens on (uvicorn's
    --port, the worker's WORKER_PORT) becomes a free one, and its probes go there; the addresses stay as given."""
    ports: dict[Any, int] = {}
    for declared in container.get("ports", []):
        local = free_port()
        ports[declared["name"]] = ports[declared["containerPort"]] = local
    for i, arg in enumerate(pod.argv):
        if arg.startswith("--port="):
            pod.argv[i] = f"--port={ports[int(arg.split('=', 1)[1])]}"
    if int(pod.env.get(f"{prefix}WORKER_PORT", "0")) in ports:  # the worker's; the API ignores it
        pod.env[f"{prefix}WORKER_PORT"] = str(ports[int(pod.env[f"{prefix}WORKER_PORT"])])
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        get = container[probe]["httpGet"]
        pod.probes.append(f"http://127.0.0.1:{ports[get['port']]}{get['path']}")


def generated_secrets(examples: dict[str, dict[str, str]], material: dict[str, dict[str, str]],
                      clients: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """A value for each key of each secret.example.yaml, and for nothing else: the key material as
    `python -m identity.keys` makes it, the internal clients identity registered, random tokens for the rest
    (placeholders CHANGE_ME, also inside JSON). DSN and Kafka password are replaced by `on_this_machine`."""
    keys = {var: value for values in material.values() for var, value in values.items()}
    for service, client in clients.items():
        keys[f"{service.upper()}_IDENTITY__CLIENT_ID"] = client["client_id"]
        keys[f"{service.upper()}_IDENTITY__CLIENT_SECRET"] = client["client_secret"]
    out: dict[str, dict[str, str]] = {}
    for name, data in examples.items():
        out[name] = {}
        for key, example in data.items():
            if key in keys:
                out[name][key] = keys[key]
            else:
                value = example
                while "CHANGE_ME" in value:
                    value = value.replace("CHANGE_ME", secrets.token_urlsafe(24), 1)
                out[name][key] = value
    return out


def run_job(pod: Pod, tmp: Path, args: list[str] | None = None) -> str:
    done = subprocess.run(pod.argv if args is None else args, env=pod.env, cwd=tmp, capture_output=True,
                          text=True, timeout=180, check=False)
    assert done.returncode == 0, f"{pod.name} failed ({done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-4000:]}"
    return done.stdout


def wait_ready(pods: list[Pod], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    pending = {pod.name: pod for pod in pods}
    last: dict[str, str] = {}
    with httpx.Client(timeout=3.0) as http:
        while pending:
            for name, pod in list(pending.items()):
                assert pod.proc is not None and pod.log is not None
                if pod.proc.poll() is not None:
                    pytest.fail(f"{name} exited with {pod.proc.returncode} while starting:\n{tail(pod.log)}")
                answers = []
                for url in pod.probes:
                    try:
                        answers.append(http.get(url).status_code)
                    except httpx.HTTPError as exc:
                        answers.append(type(exc).__name__)  # type: ignore[arg-type]
                last[name] = ", ".join(f"{url.split('/', 3)[3]} {a}" for url, a in zip(pod.probes, answers,
                                                                                       strict=True))
                if all(a == 200 for a in answers):
                    del pending[name]
            if pending and time.monotonic() > deadline:
                pytest.fail("not ready in time: " + "; ".join(f"{n}: {last.get(n)}\n{tail(p.log)}"  # type: ignore[arg-type]
                                                              for n, p in pending.items()))
            time.sleep(0.25)


def tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@pytest.mark.slow
def test_the_prod_overlay_starts_from_its_manifests_and_works(infra: Infra, tmp_path: Path) -> None:
    objects = rendered("prod")
    configs, examples = config_maps(objects), secret_examples()
    databases = {svc: f"deploy_{svc}" for svc in SERVICES}
    for name in databases.values():
        infra.create_database(name)
    image_env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8",
                 "TMPDIR": str(tmp_path), "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1"}

    def pods(service: str, secrets_: dict[str, dict[str, str]]) -> dict[str, tuple[Pod, dict[str, Any]]]:
        prefix = SETTINGS[service].env_prefix()
        found = {}
        for kind, name in (("Job", f"{service}-migrate"), ("Deployment", f"{service}-api"),
                           ("Deployment", f"{service}-worker")):
            container = named(objects, kind, name)["spec"]["template"]["spec"]["containers"][0]
            env = on_this_machine(container_env(container, configs, secrets_), prefix, infra, databases[service])
            found[name.rsplit("-", 1)[1]] = (Pod(name, service, command(container), image_env | env), container)
        return found

    running: list[Pod] = []

    def start(pod: Pod, container: dict[str, Any]) -> Pod:
        listen_locally(pod, container, SETTINGS[pod.service].env_prefix())
        pod.log = tmp_path / f"{pod.name}.log"
        pod.proc = spawn(pod.argv, env=pod.env, log_path=pod.log)
        running.append(pod)
        return pod

    try:
        # First install, as deploy/README.md orders it: identity, then the internal clients invoice and filing
        # sign with (`kubectl exec deploy/identity-api -- python -m identity.clients create ...`), then the rest.
        material = generate_identity_keys(ca_common_name="Test Signing CA")
        # filing's KSWP letters are signed with a key of its own, made as deploy/README.md says
        material["filing"] = {"FILING_KSWP__SIGNING_KEY": subprocess.run(
            [sys.executable, "-m", "filing.kswp.signing"], capture_output=True, text=True, check=True).stdout}
        first = generated_secrets(examples, material, {})
        identity = pods("identity", first)
        run_job(identity["migrate"][0], tmp_path)
        api, _ = identity["api"]
        with ThreadPoolExecutor(4) as pool:
            registered = {svc: pool.submit(run_job, api, tmp_path, [
                sys.executable, "-m", "identity.clients", "create", "--kind", "internal", "--name", svc,
                "--scope", "identity:sign"]) for svc in ("invoice", "filing")}
            # An operator's tooling client for the registry routes (every /internal route takes a service token).
            tooling = pool.submit(run_job, api, tmp_path, [
                sys.executable, "-m", "identity.clients", "create", "--kind", "internal", "--name", "registry tooling",
                "--scope", "registry:read", "--scope", "registry:write"])
            clients = {svc: json.loads(f.result().strip().splitlines()[-1]) for svc, f in registered.items()}
            operator = json.loads(tooling.result().strip().splitlines()[-1])
            everything = generated_secrets(examples, material, clients)
            everything["identity-secret"] = first["identity-secret"]  # what identity runs with
            rest = {svc: pods(svc, everything) for svc in SERVICES if svc != "identity"}
            migrations = [pool.submit(run_job, rest[svc]["migrate"][0], tmp_path) for svc in rest]
            for pod, container in (identity["api"], identity["worker"]):
                start(pod, container)
            for job in migrations:
                job.result()
        # identity's in-cluster address (its Service) is where the local identity API listens, as DNS would say:
        # the other services fetch its JWKS there to verify every token, and invoice and filing sign there.
        identity_here = identity["api"][0].probes[0].rsplit("/", 1)[0]
        for svc in rest:
            for component in ("api", "worker"):
                pod = rest[svc][component][0]
                pod.env = {k: v.replace(IDENTITY_IN_CLUSTER, identity_here) for k, v in pod.env.items()}
                start(*rest[svc][component])
        wait_ready(running, timeout=120)

        # A registration at identity reaches the replica of every other service, through the workers and the broker.
        identity_api = running[0].probes[0].rsplit("/", 1)[0]
        apis = {pod.service: pod.probes[0].rsplit("/", 1)[0] for pod in running if pod.name.endswith("-api")}
        assert apis["identity"] == identity_api
        npwp = random_npwp()
        with httpx.Client(timeout=5.0) as http:
            issued = http.post(f"{identity_api}/v1/oauth/token", data={
                "grant_type": "client_credentials", "client_id": operator["client_id"],
                "client_secret": operator["client_secret"]})
            assert issued.status_code == 200, issued.text
            tooling_token = {"authorization": f"Bearer {issued.json()['access_token']}"}
            assert http.get(f"{identity_api}/internal/v1/taxpayers/{npwp}").status_code == 401  # no token: refused
            created = http.post(f"{identity_api}/internal/v1/taxpayers", headers=tooling_token,
                                json={"npwp": npwp, "name": "PT Manifes Berjalan", "kind": "company"})
            assert created.status_code == 201, created.text
            deadline = time.monotonic() + 60
            waiting = {svc for svc in apis if svc != "identity"}
            last: dict[str, str] = {}
            while waiting and time.monotonic() < deadline:
                for svc in list(waiting):
                    replica = http.get(f"{apis[svc]}/internal/v1/taxpayers/{npwp}", headers=tooling_token)
                    last[svc] = f"{replica.status_code} {replica.text[:200]}"
                    if replica.status_code == 200:
                        assert replica.json()["taxpayer_id"] == created.json()["id"]
                        waiting.discard(svc)
                time.sleep(0.2)
            assert not waiting, f"the registration did not reach {sorted(waiting)}: {last}"

            # The internal clients registered as the README says work with what their Secrets now hold.
            for svc in ("invoice", "filing"):
                secret = everything[f"{svc}-secret"]
                token = http.post(f"{identity_api}/v1/oauth/token", data={
                    "grant_type": "client_credentials", "client_id": secret[f"{svc.upper()}_IDENTITY__CLIENT_ID"],
                    "client_secret": secret[f"{svc.upper()}_IDENTITY__CLIENT_SECRET"]})
                assert token.status_code == 200, token.text
                assert "identity:sign" in token.json()["scope"].split()
    finally:
        for pod in running:
            if pod.proc is not None and pod.proc.poll() is None:
                pod.proc.terminate()
        for pod in running:
            if pod.proc is not None:
                stop(pod.proc, timeout=20)
