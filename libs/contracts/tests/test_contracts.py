"""Envelope, registry and the contract snapshots that stop a breaking change from slipping through."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

import contracts
from contracts.filing import WrittenWarningIssued
from contracts.identity import TaxpayerRegistered
from contracts.registry import InvalidEvent, UnknownEvent, parse, payload_of, registered
from contracts.snapshots import breaking_changes, schema_of, snapshot_path
from contracts.topics import TOPICS

EVENT = TaxpayerRegistered(taxpayer_id=str(uuid.uuid4()), npwp="0123456789012345", nitku="0123456789012345000000",
                           name="PT Contoh", kind="company", registered_at=datetime(2026, 11, 22, tzinfo=UTC))


def envelope(**overrides: object) -> dict:  # type: ignore[type-arg]
    raw = {"id": str(uuid.uuid4()), "type": "TaxpayerRegistered", "version": 1, "source": "identity",
           "subject": EVENT.taxpayer_id, "sequence": 1, "partition_key": EVENT.npwp,
           "time": "2026-11-22T10:00:00Z", "data": payload_of(EVENT)}
    raw.update(overrides)
    return raw


def test_parse_returns_the_typed_event() -> None:
    env, event = parse(envelope())
    assert isinstance(event, TaxpayerRegistered)
    assert event == EVENT
    assert env.partition_key == "0123456789012345"


def test_consumers_read_tolerantly_fields_added_by_newer_producers() -> None:
    raw = envelope(extra_envelope_field="x")
    raw["data"] = {**raw["data"], "added_later": 1}
    assert parse(raw)[1] == EVENT


def test_registration_contacts_are_optional_fields_added_to_v1() -> None:
    """TaxpayerRegistered v1 gained `email` and `phone` (for notification's first notice): optional, so events
    published before still parse (no contacts), and the change is not breaking against v1 as first published."""
    assert EVENT.email is None and EVENT.phone is None  # an event from before carries none: read as not known
    raw = envelope()
    raw["data"] = {**raw["data"], "email": "wp@example.id", "phone": "081234567890"}
    event = parse(raw)[1]
    assert isinstance(event, TaxpayerRegistered)
    assert (event.email, event.phone) == ("wp@example.id", "081234567890")
    first_published = copy.deepcopy(schema_of(TaxpayerRegistered))
    for added in ("email", "phone"):
        del first_published["properties"][added]
    assert breaking_changes(first_published, schema_of(TaxpayerRegistered)) == []
    assert {"email", "phone"}.isdisjoint(schema_of(TaxpayerRegistered)["required"])


def test_unknown_type_or_version_is_reported_as_unknown_not_invalid() -> None:
    with pytest.raises(UnknownEvent):
        parse(envelope(type="InvoiceSignedInTheFuture"))
    with pytest.raises(UnknownEvent):
        parse(envelope(version=9))


@pytest.mark.parametrize("mutate", [
    lambda e: e.pop("id"),
    lambda e: e.update(id="not-a-uuid"),
    lambda e: e.update(version=0),
    lambda e: e["data"].update(npwp="123"),
    lambda e: e["data"].pop("name"),
    lambda e: e["data"].update(kind="alien"),
])
def test_malformed_envelopes_and_payloads_are_invalid(mutate) -> None:  # type: ignore[no-untyped-def]
    raw = copy.deepcopy(envelope())
    mutate(raw)
    with pytest.raises(InvalidEvent):
        parse(raw)


def test_money_never_travels_as_float_and_payloads_are_json() -> None:
    assert json.loads(json.dumps(payload_of(EVENT)))["registered_at"].startswith("2026-11-22T00:00:00")


@pytest.mark.parametrize("model", list(registered().values()), ids=lambda m: f"{m.type}.v{m.version}")
def test_every_contract_matches_its_snapshot_without_breaking_changes(model) -> None:  # type: ignore[no-untyped-def]
    path = snapshot_path(model)
    assert path.exists(), f"no snapshot for {model.type} v{model.version}: run `make contracts-snapshot`"
    old = json.loads(path.read_text())
    problems = breaking_changes(old, schema_of(model))
    assert not problems, f"breaking change to {model.type} v{model.version}: {problems}; publish a v{model.version + 1}"


def test_breaking_change_detection() -> None:
    old = schema_of(TaxpayerRegistered)
    removed = copy.deepcopy(old)
    del removed["properties"]["name"]
    retyped = copy.deepcopy(old)
    retyped["properties"]["kind"] = {"type": "integer"}
    new_required = copy.deepcopy(old)
    new_required["properties"]["branch"] = {"type": "string"}
    new_required["required"].append("branch")
    optional_added = copy.deepcopy(old)
    optional_added["properties"]["branch"] = {"type": "string"}

    assert breaking_changes(old, removed) == ["field 'name' removed"]
    assert "changed type" in breaking_changes(old, retyped)[0]
    assert breaking_changes(old, new_required) == ["field 'branch' is newly required"]
    assert breaking_changes(old, optional_added) == []


def test_topics_declared_for_production_match_the_list_the_stack_creates() -> None:
    manifest = Path(__file__).parents[3] / "deploy" / "kafka" / "topics.yaml"
    declared = {
        doc["metadata"]["name"]: (doc["spec"]["partitions"], int(doc["spec"]["config"]["retention.ms"]))
        for doc in yaml.safe_load_all(manifest.read_text()) if doc and doc.get("kind") == "KafkaTopic"
    }
    assert declared == {t.name: (t.partitions, t.retention_ms) for t in TOPICS}


def test_importing_the_package_registers_every_contract() -> None:
    assert ("TaxpayerRegistered", 1) in contracts.registered()


def test_written_warning_issued_is_a_v1_filing_contract_with_its_snapshot() -> None:
    """WrittenWarningIssued v1 (filing's Surat Teguran, the taxpayer's notice of it): registered, its snapshot is the
    model's schema, and it refuses what filing must not send (a route's spelling of the form, a
    malformed period or NPWP, an empty letter number)."""
    assert contracts.registered()[("WrittenWarningIssued", 1)] is WrittenWarningIssued
    snapshot = json.loads(snapshot_path(WrittenWarningIssued).read_text())
    assert snapshot == json.loads(json.dumps(schema_of(WrittenWarningIssued)))
    assert (snapshot["x-source"], snapshot["x-event-version"]) == ("filing", 1)
    assert set(snapshot["required"]) == {"warning_id", "letter_number", "npwp", "form", "period", "issued_on",
                                         "overpayment_filing_limit", "recorded_at", "officer_account_id"}
    event = WrittenWarningIssued(warning_id=str(uuid.uuid4()), letter_number="ST-00123/WPJ.04/KP.0103/2025",
                                 npwp="0123456789012345", form="spt_tahunan_op", period="2022",
                                 issued_on=date(2026, 4, 15), overpayment_filing_limit=date(2025, 12, 31),
                                 recorded_at=datetime(2026, 4, 15, 3, tzinfo=UTC), officer_account_id="officer-1")
    raw = envelope(type="WrittenWarningIssued", source="filing", subject=event.warning_id, data=payload_of(event))
    assert parse(raw)[1] == event
    for change in ({"form": "spt-tahunan-op"}, {"period": "2022-13"}, {"npwp": "123"}, {"letter_number": ""}):
        with pytest.raises(ValidationError):
            WrittenWarningIssued(**{**event.model_dump(), **change})
