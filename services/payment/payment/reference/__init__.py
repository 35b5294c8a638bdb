"""Payment's copy of the reference data filing's officers publish (days off, KMK interest rates), from
`filing.events`, held in every process's memory over the packaged data."""
