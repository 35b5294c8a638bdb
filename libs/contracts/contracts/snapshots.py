"""JSON Schema snapshots of every contract, and the rule for what counts as a breaking change.

`python -m contracts.snapshots` rewrites the snapshot files (run it after an additive change and commit the result);
the contract test fails when a model no longer matches its snapshot in a way that would break a consumer.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from contracts.registry import Contract, registered

SNAPSHOT_DIR = Path(__file__).parent / "schemas"


def schema_of(model: type[Contract]) -> dict[str, Any]:
    schema = model.model_json_schema(mode="serialization")
    schema["x-event-type"] = model.type
    schema["x-event-version"] = model.version
    schema["x-source"] = model.source
    return schema


def snapshot_path(model: type[Contract]) -> Path:
    return SNAPSHOT_DIR / f"{model.type}.v{model.version}.json"


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What in `new` would break a consumer written against `old` (same type and version).

    Breaking: a field removed, a field's type changed, a field that was optional becoming required, a new required
    field (old producers' events would no longer parse in a consumer on the new model).
    """
    problems: list[str] = []
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    old_req, new_req = set(old.get("required", [])), set(new.get("required", []))
    for name, spec in old_props.items():
        if name not in new_props:
            problems.append(f"field {name!r} removed")
        elif _shape(spec) != _shape(new_props[name]):
            problems.append(f"field {name!r} changed type: {_shape(spec)} -> {_shape(new_props[name])}")
    for name in sorted(new_req - old_req):
        problems.append(f"field {name!r} is newly required")
    return problems


def _shape(spec: dict[str, Any]) -> Any:
    """The part of a property schema that defines its type (descriptions and titles may change freely)."""
    keys = ("type", "format", "anyOf", "enum", "const", "items", "$ref", "pattern")
    return {k: spec[k] for k in keys if k in spec}


def write_all() -> list[Path]:
    SNAPSHOT_DIR.mkdir(exist_ok=True)
    written = []
    for model in registered().values():
        path = snapshot_path(model)
        path.write_text(json.dumps(schema_of(model), indent=2, sort_keys=True) + "\n")
        written.append(path)
    return written


if __name__ == "__main__":
    import contracts  # noqa: F401  (registers every contract)

    for p in write_all():
        print(f"wrote {p}", file=sys.stderr)
