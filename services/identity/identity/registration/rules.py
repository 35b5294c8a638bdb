"""Registration rules with no I/O: what the registries' answers and an application must agree on."""

from __future__ import annotations

from datetime import date

from identity.models import Person
from identity.names import same_name
from identity.registration.errors import PassportExpired, StayPermitExpired, UnknownCountry
from identity.registration.registries import Officer, Resident
from identity.registration.schemas import ForeignerApplication, ResidentApplication
from kit.errors import ValidationFailed


def matches_resident(resident: Resident, app: ResidentApplication) -> bool:
    """Name (as registries compare names) and birth date as in the population registry."""
    return same_name(resident.full_name, app.full_name) and resident.birth_date == app.birth_date


def check_foreigner(app: ForeignerApplication, *, today: date, countries: dict[str, str]) -> None:
    """Known countries, a passport still valid, and for an NPWP a stay permit (KITAS/KITAP) still valid."""
    for code in (app.passport_country, app.nationality):
        if code not in countries:
            raise UnknownCountry(f"{code} is not an ISO 3166-1 alpha-3 country code")
    if app.passport_expiry <= today:
        raise PassportExpired(f"the passport expired on {app.passport_expiry}")
    if app.register_as_taxpayer:
        if not app.stay_permit_number or not app.stay_permit_expiry:
            raise ValidationFailed("an NPWP for a foreigner needs a stay permit (KITAS/KITAP) and its expiry",
                                   field="stay_permit_number")
        if app.stay_permit_expiry <= today:
            raise StayPermitExpired(f"the stay permit expired on {app.stay_permit_expiry}")


def is_officer(officer: Officer, person: Person) -> bool:
    """The person is this officer of the AHU record: same NIK (or passport) and the same name."""
    if officer.nik and person.nik:
        return officer.nik == person.nik and same_name(officer.full_name, person.full_name)
    if officer.passport_number and person.passport_number:
        return (officer.passport_number.upper() == person.passport_number
                and officer.passport_country == person.passport_country
                and same_name(officer.full_name, person.full_name))
    return False
