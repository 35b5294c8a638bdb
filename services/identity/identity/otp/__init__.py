"""One-time codes, used by registration, password reset and contact changes: issued and checked inside the caller's
transaction (`identity.otp.service`), delivered by the notification service, whose outcomes come back as events
(`identity.otp.handlers`)."""
