"""Data-driven forms (pure): the packaged schemas load and hold together, every entry is checked against its field
with a stable code and `details.path`, and the payments per KAP-KJS, balance and outcome follow from the entries."""

from decimal import Decimal
from typing import Any

import pytest

from filing.calendar.periods import TaxPeriod, TaxYear
from filing.forms.schema import compute, form, forms, from_data, missing_fields, validate
from filing.obligations.kinds import Obligation as O

D = Decimal


def test_the_packaged_forms_load() -> None:
    assert {name: (s.obligation, s.kap, s.annual) for name, s in forms().items()} == {
        "spt_masa_pph21": (O.SPT_MASA_PPH, "411121", False),
        "spt_masa_pph_unifikasi": (O.SPT_MASA_PPH, "411124", False),
        "spt_tahunan_op": (O.SPT_TAHUNAN_OP, "411125", True),
        "spt_tahunan_badan": (O.SPT_TAHUNAN_BADAN, "411126", True),
    }
    assert form("spt_tahunan_op").period("2025") == TaxYear(2025)
    assert form("spt_masa_pph21").period("2026-03") == TaxPeriod(2026, 3)


@pytest.mark.parametrize(("name", "period"), [("spt_tahunan_op", "2025-03"), ("spt_tahunan_badan", "25"),
                                              ("spt_masa_pph21", "2026"), ("spt_masa_pph21", "2026-13")])
def test_a_period_of_the_wrong_shape_is_refused(name: str, period: str) -> None:
    with pytest.raises(Exception) as raised:
        form(name).period(period)
    assert getattr(raised.value, "code", None) == "period.invalid"


def test_an_unknown_form_is_not_found() -> None:
    with pytest.raises(Exception) as raised:
        form("spt_masa_ppn_pemungut")
    assert getattr(raised.value, "code", None) == "form.unknown"


def test_a_schema_naming_a_field_it_lacks_is_refused_when_it_loads() -> None:
    with pytest.raises(ValueError, match="tax_owed is not a field"):
        from_data({"form": "x", "title": "X", "obligation": "spt_masa_pph", "kap": "411121",
                   "fields": {"tax": {"type": "amount"}}, "required": ["tax_owed"]})


ASSET = {"code": "061", "description": "rumah tinggal", "year_acquired": 2019, "value": "850000000"}


@pytest.mark.parametrize(("name", "figures", "attachments", "code", "path"), [
    ("spt_tahunan_op", {"gross": "1"}, [], "form.field_unknown", "/figures/gross"),
    ("spt_tahunan_op", {"tax_due": "1.005"}, [], "amount.too_many_decimals", "/figures/tax_due"),
    ("spt_tahunan_op", {"tax_due": "-1"}, [], "amount.negative", "/figures/tax_due"),
    ("spt_tahunan_op", {"tax_due": "1e30"}, [], "amount.too_large", "/figures/tax_due"),
    ("spt_tahunan_op", {"tax_due": "satu juta"}, [], "form.field_invalid", "/figures/tax_due"),
    ("spt_tahunan_op", {"tax_due": 1.5}, [], "form.field_invalid", "/figures/tax_due"),  # floats are not money
    ("spt_tahunan_op", {"net_income": "-1.001"}, [], "amount.too_many_decimals", "/figures/net_income"),
    ("spt_tahunan_op", {"assets": [ASSET, {**ASSET, "code": "070"}]}, [], "form.field_invalid",
     "/figures/assets/1/code"),
    ("spt_tahunan_op", {"assets": [{"code": "061", "value": "1"}]}, [], "form.field_required",
     "/figures/assets/0/description"),
    ("spt_tahunan_op", {"assets": [{**ASSET, "year_acquired": "2019"}]}, [], "form.field_invalid",
     "/figures/assets/0/year_acquired"),
    ("spt_tahunan_op", {"assets": [{**ASSET, "description": "x" * 201}]}, [], "form.field_invalid",
     "/figures/assets/0/description"),
    ("spt_tahunan_op", {"debts": {"code": "101"}}, [], "form.field_invalid", "/figures/debts"),
    ("spt_tahunan_op", {}, ["bukti_potong", "foto_ktp"], "form.attachment_unknown", "/attachments/1"),
    ("spt_masa_pph21", {"employees": -3}, [], "form.field_invalid", "/figures/employees"),
    ("spt_masa_pph_unifikasi", {"withholdings": [{"kap_kjs": "411211-100", "gross": "1", "pph": "1"}]}, [],
     "form.field_invalid", "/figures/withholdings/0/kap_kjs"),
])
def test_entries_are_checked_against_their_field(name: str, figures: dict[str, Any], attachments: list[str],
                                                 code: str, path: str) -> None:
    with pytest.raises(Exception) as raised:
        validate(form(name), figures, attachments)
    assert (getattr(raised.value, "code", None), raised.value.details["path"]) == (code, path)  # type: ignore[attr-defined]


def test_entries_are_normalised_and_the_form_s_required_fields_wait_for_the_submission() -> None:
    schema = form("spt_tahunan_op")
    entries, attachments = validate(schema, {"tax_due": 1000000, "net_income": "-250000.5", "assets": [ASSET],
                                             "ptkp": None}, ["bukti_potong", "bukti_potong"])
    assert entries == {"tax_due": "1000000.00", "net_income": "-250000.50",
                       "assets": [{**ASSET, "value": "850000000.00"}]}
    assert attachments == ["bukti_potong"]
    assert missing_fields(schema, {}) == ["net_income", "tax_due"]
    assert missing_fields(schema, entries) == []


@pytest.mark.parametrize(("name", "entries", "parts", "outcome", "due", "over", "loss"), [
    # PPh 21 and 26 are paid apart, each with its KAP-KJS; an earlier overpayment of PPh 21 is credited
    ("spt_masa_pph21", {"pph21": "2500000", "pph21_credit": "500000", "pph26": "300000"},
     {"411121-100": "2000000", "411127-100": "300000"}, "kurang_bayar", "2300000", "0", False),
    ("spt_masa_pph21", {"pph21": "0"}, {"411121-100": "0", "411127-100": "0"}, "nihil", "0", "0", False),
    # Unifikasi: totals per KAP-KJS over the rows, each rounded half-up once
    ("spt_masa_pph_unifikasi", {"withholdings": [
        {"kap_kjs": "411124-104", "gross": "10000000", "pph": "200000"},
        {"kap_kjs": "411128-403", "gross": "5000000", "pph": "500000.50"},
        {"kap_kjs": "411124-104", "gross": "2000000", "pph": "40000.25"}]},
     {"411124-104": "240000", "411128-403": "500001"}, "kurang_bayar", "740001", "0", False),
    # SPT Tahunan: PPh 29 = tax due - credits (kurang bayar), or a lebih bayar; a negative net income is a loss
    ("spt_tahunan_op", {"net_income": "120000000", "tax_due": "6000000", "credit_withheld": "4500000",
                        "credit_pph25": "600000"}, {"411125-200": "900000"}, "kurang_bayar", "900000", "0", False),
    ("spt_tahunan_badan", {"net_income": "-75000000", "tax_due": "0", "credit_withheld": "12000000"},
     {"411126-200": "-12000000"}, "lebih_bayar", "0", "12000000", True),
])
def test_payments_and_balance_follow_from_the_entries(name: str, entries: dict[str, Any], parts: dict[str, str],
                                                      outcome: str, due: str, over: str, loss: bool) -> None:
    computed = compute(form(name), validate(form(name), entries, [])[0])
    assert computed.parts == {k: D(v) for k, v in parts.items()}
    assert (computed.outcome, computed.amount_due, computed.overpayment, computed.loss) == (outcome, D(due), D(over),
                                                                                              loss)
    assert computed.balance == sum(computed.parts.values())
    assert computed.payable == {k: v for k, v in computed.parts.items() if v > 0}
