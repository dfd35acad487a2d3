"""How fast: evaluation, search, training, encoding, imports and thread counts."""
