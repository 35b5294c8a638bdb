"""Reminders before a moment a taxpayer must act by: a billing code about to expire (`BillingExpiryApproaching`, about
24 hours ahead) and an instalment about to fall due (`InstalmentDueApproaching`, from 3 days ahead), once each."""
