"""SKB (Surat Keterangan Bebas) for withholding, PER-8/PJ/2025 Art 70-73 (tax-rules.md §7.2): a taxpayer applies,
an officer decides within 5 working days, an SKB holds to the end of the tax year and withholders read it."""
