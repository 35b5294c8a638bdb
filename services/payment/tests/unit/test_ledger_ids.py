"""The bulk import's ids as text are the ids the `uuid` module gives: uuid5 the same value, v7 well formed and
ordered by time."""

from __future__ import annotations

import time
import uuid

import pytest

from payment.ledger.ids import time_ordered_id, uuid5_hex
from payment.ledger.rules import transfer_id, transfer_id_hex


@pytest.mark.parametrize("name", ["", "debt:0190e7c2-4d1a-7b3c-8d2e-0123456789ab#0", "Nguyễn Thị Minh Khai", "x" * 500])
def test_uuid5_as_text_is_the_uuid_module_s(name: str) -> None:
    namespace = uuid.uuid4()
    assert uuid5_hex(namespace, name) == uuid.uuid5(namespace, name).hex
    assert transfer_id_hex(name, 3) == transfer_id(name, 3).hex


def test_a_time_ordered_id_is_a_uuid7_in_canonical_text_and_later_ones_sort_after() -> None:
    ids = [time_ordered_id() for _ in range(2000)]
    parsed = [uuid.UUID(i) for i in ids]
    assert all(str(u) == i and u.version == 7 and u.variant == uuid.RFC_4122 for u, i in zip(parsed, ids, strict=True))
    assert len(set(ids)) == len(ids)
    before = time_ordered_id()
    time.sleep(0.002)  # a later millisecond
    assert time_ordered_id() > before
    millis = int(before.replace("-", "")[:12], 16)
    assert abs(millis - time.time_ns() // 1_000_000) < 60_000
