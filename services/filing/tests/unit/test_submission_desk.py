"""The desk's grouping of concurrent single submissions (pure): arrival order, a size limit, each return once per
group (a second request for the same return waits for the next group, so it sees the first one's outcome)."""

import uuid
from datetime import datetime
from typing import Any

import pytest

from filing.calendar.periods import TaxPeriod
from filing.submissions.desk import Request, SubmissionDesk, take_group
from filing.submissions.errors import SubmissionsBusy
from filing.submissions.figures import form_of
from filing.submissions.prepare import Ask
from filing.submissions.signing import Key
from kit.clock import JAKARTA

PPN = form_of("spt_masa_ppn")
CREDENTIAL = uuid.uuid4()


def _request(name: str, npwp: str, period: str = "2026-03") -> Request:
    ask = Ask(npwp, PPN, TaxPeriod.parse(period), None, None, datetime(2026, 4, 15, 10, tzinfo=JAKARTA), "ani")
    request = Request(ask, CREDENTIAL, Key("rahasia", None), done=None)  # type: ignore[arg-type]
    request.name = name  # type: ignore[attr-defined]
    return request


A1, B, A2, C, A3 = (_request("a1", "1" * 16), _request("b", "2" * 16), _request("a2", "1" * 16),
                    _request("c", "3" * 16), _request("a3", "1" * 16))
A_APRIL = _request("a-april", "1" * 16, "2026-04")


def _names(requests: list[Any]) -> list[str]:
    return [r.name for r in requests]


@pytest.mark.parametrize(("pending", "limit", "group", "rest"), [
    ([], 10, [], []),
    ([A1, B, C], 10, ["a1", "b", "c"], []),
    ([A1, B, C], 2, ["a1", "b"], ["c"]),  # at most `limit`, the rest in arrival order
    ([A1, B, A2, C, A3], 10, ["a1", "b", "c"], ["a2", "a3"]),  # a return once per group
    ([A1, A_APRIL, A2], 10, ["a1", "a-april"], ["a2"]),  # another period of the same taxpayer is another return
    ([A1, B, A2, C], 2, ["a1", "b"], ["a2", "c"]),
])
def test_a_group_takes_requests_in_order_up_to_the_limit_each_return_once(
        pending: list[Request], limit: int, group: list[str], rest: list[str]) -> None:
    taken, left = take_group(pending, limit)
    assert (_names(taken), _names(left)) == (group, rest)


def test_a_return_held_by_a_group_in_flight_waits() -> None:
    taken, left = take_group([A1, B, C], 10, busy={A1.ask.key, C.ask.key})
    assert (_names(taken), _names(left)) == (["b"], ["a1", "c"])


def test_requests_share_an_identity_call_only_with_the_same_credential_key_and_signer() -> None:
    other_key = Request(A1.ask, CREDENTIAL, Key("lain", None), done=None)  # type: ignore[arg-type]
    other_credential = Request(A1.ask, uuid.uuid4(), Key("rahasia", None), done=None)  # type: ignore[arg-type]
    assert A1.signing == B.signing
    assert len({A1.signing, other_key.signing, other_credential.signing}) == 3


async def test_a_desk_with_too_many_waiting_sheds_at_once() -> None:
    desk = SubmissionDesk(None, None, "http://filing", max_waiting=0)  # type: ignore[arg-type]
    with pytest.raises(SubmissionsBusy) as raised:
        await desk.submit(A1.ask, credential_id=CREDENTIAL, key=Key("rahasia", None))
    assert (raised.value.status, raised.value.code, raised.value.details["retry_after"]) == (503, "submission.busy", 1)
    assert (desk.waiting, desk.groups) == (0, 0)
