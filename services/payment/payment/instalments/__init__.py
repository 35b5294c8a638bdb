"""Instalments and postponement of a tax debt (PMK-81/2024 Art 113-117)."""
