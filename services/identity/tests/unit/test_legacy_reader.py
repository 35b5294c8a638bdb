"""The legacy CSV reader's `registered_on` (seed item 24: the years a legacy taxpayer owes an SPT Tahunan count from
its registration in the legacy system) and the stable code of every row it refuses; the difference report with what
is already here. Pure, table-driven: `legacy.read` and `legacy.differences` with a fixed day."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from identity.models import Taxpayer
from identity.officer import legacy
from kit.clock import JAKARTA

TODAY = date(2026, 12, 6)
HEADER = "npwp15,name,kind,is_pkp,pkp_since,email,registered_on\n"
NPWP15 = "010016103051000"


def one_row(*, is_pkp: str = "tidak", pkp_since: str = "", registered_on: str = "", npwp15: str = NPWP15,
            name: str = "Joko Prasetyo") -> legacy.LegacyRow | legacy.RowError:
    (row,) = legacy.read(HEADER + f"{npwp15},{name},individual,{is_pkp},{pkp_since},j@lama.id,{registered_on}\n",
                         today=TODAY)
    return row


@pytest.mark.parametrize(("fields", "registered_on"), [
    ({}, None),                                                          # absent: the import day (now)
    ({"registered_on": " 2020-03-02 "}, date(2020, 3, 2)),
    ({"registered_on": "2026-12-06"}, TODAY),                            # today is not the future
    ({"registered_on": "1984-01-01"}, date(1984, 1, 1)),                 # the first day NPWPs existed
    ({"registered_on": "2020-03-02", "is_pkp": "ya", "pkp_since": "2020-03-02"}, date(2020, 3, 2)),
    ({"registered_on": "2018-01-15", "is_pkp": "ya", "pkp_since": "2021-07-01"}, date(2018, 1, 15)),
])
def test_a_registration_date_is_read_as_a_day(fields: dict[str, str], registered_on: date | None) -> None:
    row = one_row(**fields)
    assert isinstance(row, legacy.LegacyRow), row
    assert row.registered_on == registered_on


@pytest.mark.parametrize(("fields", "code"), [
    ({"registered_on": "2026-12-07"}, "legacy_import.registered_in_future"),
    ({"registered_on": "2999-01-01"}, "legacy_import.registered_in_future"),
    ({"registered_on": "1983-12-31"}, "legacy_import.registered_too_early"),
    ({"registered_on": "0020-03-02"}, "legacy_import.registered_too_early"),
    ({"registered_on": "2020-03-02", "is_pkp": "ya", "pkp_since": "2019-04-01"},
     "legacy_import.registered_after_pkp_since"),
    ({"registered_on": "2020-03-02", "pkp_since": "2019-04-01"},  # a former PKP: the dates still disagree
     "legacy_import.registered_after_pkp_since"),
    ({"registered_on": "02-03-2020"}, "legacy_import.date_invalid"),
    ({"registered_on": "20200302"}, "legacy_import.date_invalid"),  # Python 3.11 would read it; the file says ISO
    ({"registered_on": "2020-02-30"}, "legacy_import.date_invalid"),
    ({"registered_on": "2020-03-02T10:00"}, "legacy_import.date_invalid"),
    ({"pkp_since": "01-04-2019", "is_pkp": "ya"}, "legacy_import.date_invalid"),
    ({"npwp15": "010016104051000"}, "legacy_import.npwp15_invalid"),   # check digit
    ({"npwp15": "01001610305100"}, "legacy_import.npwp15_invalid"),    # 14 digits
    ({"name": " "}, "legacy_import.name_empty"),
    ({"name": "x" * 201}, "legacy_import.text_invalid"),
    ({"name": "Joko\u200bPrasetyo"}, "legacy_import.text_invalid"),  # a zero-width space no API takes
    ({"is_pkp": "mungkin"}, "legacy_import.is_pkp_invalid"),
])
def test_a_row_that_cannot_be_imported_says_why_with_a_stable_code(fields: dict[str, str], code: str) -> None:
    row = one_row(**fields)
    assert isinstance(row, legacy.RowError), row
    assert (row.line, row.code) == (2, code) and code in legacy.ROW_CODES and row.error


def test_the_date_checks_take_the_import_day_given() -> None:
    (row,) = legacy.read(HEADER + f"{NPWP15},Joko Prasetyo,individual,tidak,,j@lama.id,2026-12-07\n",
                         today=date(2026, 12, 7))
    assert isinstance(row, legacy.LegacyRow) and row.registered_on == date(2026, 12, 7)


def _here(registered_at: datetime) -> Taxpayer:
    return Taxpayer(name="Joko Prasetyo", email="j@lama.id", is_pkp=False, registered_at=registered_at)


@pytest.mark.parametrize(("here", "registered_on", "differences"), [
    # 00:00 WIB of 2 March 2020 is 1 March in UTC: compared as Jakarta days, the same
    (datetime(2020, 3, 1, 17, 0, tzinfo=UTC), "2020-03-02", {}),
    (datetime(2020, 3, 2, tzinfo=JAKARTA), "2020-03-02", {}),
    (datetime(2026, 12, 1, 3, 0, tzinfo=UTC), "2020-03-02",
     {"registered_on": {"here": "2026-12-01", "legacy": "2020-03-02"}}),
    (datetime(2026, 12, 1, 3, 0, tzinfo=UTC), "", {}),  # the row gives none: nothing to compare
])
def test_a_registration_date_differing_from_here_is_reported(here: datetime, registered_on: str,
                                                              differences: dict[str, object]) -> None:
    row = one_row(registered_on=registered_on)
    assert isinstance(row, legacy.LegacyRow), row
    assert legacy.differences(_here(here), row) == differences
