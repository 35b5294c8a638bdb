"""Taxpayers: the one way a taxpayer is created (`service.create_taxpayer`), `/v1/me`, the profile, contacts, refund
bank accounts, PKP status history, representatives' roles, and the minimal internal taxpayer records."""
