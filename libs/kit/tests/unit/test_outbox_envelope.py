"""kit.outbox.envelope_json: the envelope an outbox row carries is `Envelope(...).model_dump(mode="json")`, built
directly or through `Envelope`, for every input: the producers' own, and those `Envelope` coerces or refuses."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, ClassVar

import pytest
from pydantic import ValidationError

import kit.outbox
from contracts.envelope import Envelope
from contracts.registry import Contract
from kit.outbox import envelope_json, outbox_row


class Happened(Contract):
    type: ClassVar[str] = "Happened"
    version: ClassVar[int] = 2
    source: ClassVar[str] = "kittest"

    what: str
    when: datetime


class Unnamed(Happened):
    type: ClassVar[str] = ""


AT = datetime(2026, 12, 6, 18, 55, 58, 123456, tzinfo=UTC)
ID = uuid.UUID("0190b3a2-1c4e-7000-8000-000000000001")
DATA = {"what": "it", "when": "2026-12-06T18:55:58Z", "nested": {"list": [1, None, "x"]}}
GOOD: dict[str, Any] = dict(subject="subject-1", sequence=3, key="0013121660091000", at=AT, correlation="req-42",
                            causation=None, data=DATA)
# (name, event, the fields that differ from GOOD, built without `Envelope`)
CASES: list[tuple[str, type[Contract], dict[str, Any], bool]] = [
    ("a producer's event", Happened, {}, True),
    ("no correlation id", Happened, {"correlation": None}, True),
    ("an empty correlation id", Happened, {"correlation": ""}, True),
    ("a causation id", Happened, {"causation": "event-7"}, True),
    ("whole seconds", Happened, {"at": AT.replace(microsecond=0)}, True),
    ("a millisecond", Happened, {"at": AT.replace(microsecond=1000)}, True),
    ("sequence 0", Happened, {"sequence": 0}, True),
    ("empty data", Happened, {"data": {}}, True),
    ("another time zone", Happened, {"at": AT.astimezone(timezone(timedelta(hours=7)))}, False),
    ("a naive time", Happened, {"at": AT.replace(tzinfo=None)}, False),
    ("a sequence as text", Happened, {"sequence": "5"}, False),
    ("an id as text", Happened, {"event_id": str(ID)}, False),
    ("an empty subject", Happened, {"subject": ""}, False),
    ("an empty key", Happened, {"key": ""}, False),
    ("a negative sequence", Happened, {"sequence": -1}, False),
    ("a contract without a type", Unnamed, {}, False),
    ("data that is not a dict", Happened, {"data": [1, 2]}, False),
]


@pytest.mark.parametrize(("name", "contract", "changes", "direct"), CASES, ids=[c[0] for c in CASES])
def test_the_envelope_is_pydantics(monkeypatch: pytest.MonkeyPatch, name: str, contract: type[Contract],
                                   changes: dict[str, Any], direct: bool) -> None:
    validated: list[int] = []

    class CountedEnvelope(Envelope):
        def __init__(self, **fields: Any) -> None:
            validated.append(1)
            super().__init__(**fields)

    monkeypatch.setattr(kit.outbox, "Envelope", CountedEnvelope)
    fields = {**GOOD, **changes}
    event_id = fields.pop("event_id", ID)
    event = contract(what="it", when=AT)
    try:
        expected: Any = Envelope(id=event_id, type=event.type, version=event.version, source=event.source,
                                 subject=fields["subject"], sequence=fields["sequence"],
                                 partition_key=fields["key"], time=fields["at"],
                                 correlation_id=fields["correlation"], causation_id=fields["causation"],
                                 data=fields["data"]).model_dump(mode="json")
    except ValidationError as exc:
        expected = [e["loc"] for e in exc.errors()]
    try:
        answer: Any = envelope_json(event_id, event, **fields)
    except ValidationError as exc:
        answer = [e["loc"] for e in exc.errors()]
    assert answer == expected
    if isinstance(answer, dict):
        assert list(answer) == list(expected)  # the same order of keys too
    assert not validated if direct else validated


def test_an_outbox_row_carries_it() -> None:
    row = outbox_row(Happened(what="it", when=AT), key="k", subject="s", aggregate_type="thing", sequence=1)
    envelope = Envelope.model_validate(row["payload"])
    assert envelope.model_dump(mode="json") == row["payload"]
    assert (envelope.id, envelope.type, envelope.version, envelope.partition_key) == (row["id"], "Happened", 2, "k")
    assert row["headers"] == {"event_id": str(row["id"]), "event_type": "Happened", "event_version": "2",
                              "content-type": "application/json"}
