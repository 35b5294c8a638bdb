"""The working-day calendar (weekends, national holidays, cuti bersama, kept as data) and tax periods."""
