"""Registration of residents (NIK), foreigners (passport, any nationality) and companies (AHU record, by their PIC),
checked against the registries, confirmed by OTP codes to the e-mail address and the phone, ending in a person, an
account and (through `identity.taxpayers.service.create_taxpayer`) a taxpayer with a new NPWP16 and NITKU."""
