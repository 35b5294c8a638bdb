"""Officer tools (`identity:officer`): NIK-NPWP matching, PKP status decisions, and the bulk import from the legacy
system with its reconciliation report. The PJAP register is in `identity.pjap`, the audit log in `identity.audit`."""
