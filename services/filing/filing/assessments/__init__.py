"""Tax assessments (SKP) issued after an audit: their kind, Art 13(2) interest and how they are paid."""
