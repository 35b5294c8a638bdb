"""Lontar's shared runtime. Small, boring, well tested; services build on it and never on each other."""
