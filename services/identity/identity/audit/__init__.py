"""The audit log: every security-relevant action, written by each slice in the same transaction as the action
(`identity.audit.service.record`), and read by officers (`GET /internal/v1/audit-events`)."""
