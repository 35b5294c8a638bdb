"""Returns (SPT): when a submission counts as filed, and the SPT Masa PPN arithmetic."""
