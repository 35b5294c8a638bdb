import pytest

from notification.templating import REDACTED, Catalogue, Rendered, TemplateError, UnknownTemplate, parse_template

PARAMS = {"code": "123456", "minutes": 5, "valid_until": "10:15"}


def test_every_packaged_template_loads_in_both_languages() -> None:
    catalogue = Catalogue.load()
    purposes = ("activation", "password_reset", "contact_change", "sensitive_change", "login")
    tax = {"spt.submitted", "spt.corrected", "stp.issued", "skp.issued", "kswp.issued", "billing.created",
           "payment.confirmed", "debt.recorded", "instalment.granted", "phtb.validated", "deposit.credited",
           "deadline.approaching", "skb.issued", "skb.rejected", "billing.expiring", "instalment.due",
           "warning.issued"}
    assert {f"otp.{p}" for p in purposes} | {"taxpayer.registered", "password.changed", "login.new_device",
                                              "role.granted"} | tax == set(catalogue.templates)
    for template in catalogue.templates.values():
        assert set(template.locales) == {"id", "en"}


def test_otp_sms_in_each_language_fits_one_sms_and_warns_not_to_share() -> None:
    template = Catalogue.load().get("otp.login", "sms")
    indonesian = template.render("sms", "id", PARAMS)
    english = template.render("sms", "en", PARAMS)
    assert "123456" in indonesian.body and "JANGAN" in indonesian.body and len(indonesian.body) <= 160
    assert "NEVER share" in english.body and len(english.body) <= 160 and english.locale == "en"
    assert indonesian.subject is None


def test_redacted_rendering_keeps_the_code_out() -> None:
    rendered = Catalogue.load().get("otp.activation").render("email", "id", {**PARAMS, "code": REDACTED})
    assert "******" in rendered.body and "123456" not in rendered.body and rendered.subject


def test_unknown_locale_falls_back_to_the_default() -> None:
    rendered = Catalogue.load().get("otp.login").render("sms", "jv", PARAMS)
    assert rendered.locale == "id"


def test_missing_parameters_and_unknown_templates_or_channels_raise() -> None:
    catalogue = Catalogue.load()
    with pytest.raises(KeyError, match="code"):
        catalogue.get("otp.login").render("sms", "id", {"minutes": 5, "valid_until": "x"})
    with pytest.raises(UnknownTemplate):
        catalogue.get("no.such")
    with pytest.raises(UnknownTemplate):
        catalogue.get("taxpayer.registered", "sms")


def test_values_are_inserted_literally() -> None:
    template = Catalogue.load().get("taxpayer.registered")
    rendered = template.render("email", "id", {"name": "${npwp} {x.__class__}", "npwp": "1", "nitku": "2",
                                               "registered_on": "3"})
    assert "Yth. ${npwp} {x.__class__}," in rendered.body


@pytest.mark.parametrize("change, error", [
    ({"kind": "sms"}, "kind"),
    ({"channels": ["fax"]}, "channels"),
    ({"locales": {"id": {"sms": "x"}}}, "locales are exactly"),
    ({"locales": {"id": {"sms": "${code} ${oops}"}, "en": {"sms": "${code}"}}}, "undeclared placeholder"),
    ({"locales": {"id": {"sms": "${code"}, "en": {"sms": "${code}"}}}, "malformed placeholder"),
    ({"params": ["minutes"]}, "code"),
    ({"channels": ["sms", "email"]}, "lacks body, subject"),
    ({"formats": {"amount": "rupiah"}}, "'amount' is not a declared parameter"),
    ({"formats": {"minutes": "roman"}}, "unknown format 'roman'"),
    ({"formats": {"minutes": "label:nope"}}, "unknown format 'label:nope'"),
    ({"formats": ["minutes"]}, "formats map"),
])
def test_malformed_templates_are_refused_at_load(change: dict, error: str) -> None:  # type: ignore[type-arg]
    raw = {"name": "otp.x", "kind": "otp", "params": ["code", "minutes"], "channels": ["sms"],
           "locales": {"id": {"sms": "${code}"}, "en": {"sms": "${code} ${minutes}"}}} | change
    with pytest.raises(TemplateError, match=error):
        parse_template(raw)


def test_formatted_parameters_read_in_the_language_rendered_and_absent_ones_as_a_dash() -> None:
    template = parse_template({
        "name": "x", "kind": "notice", "params": ["amount", "due", "note"], "channels": ["inbox"],
        "formats": {"amount": "rupiah", "due": "date"},
        "locales": {"id": {"subject": "${amount}", "body": "${due} ${note}"},
                    "en": {"subject": "${amount}", "body": "${due} ${note}"}}})
    params = {"amount": "1234567", "due": "2027-01-01", "note": None}
    assert template.render("inbox", "id", params) == Rendered("Rp1.234.567,00", "1 Januari 2027 -", "id")
    assert template.render("inbox", "en", params) == Rendered("IDR 1,234,567.00", "1 January 2027 -", "en")
    assert template.render("inbox", "id", params | {"due": None}).body == "- -"
