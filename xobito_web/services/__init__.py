"""The product's rules in plain Python. Nothing here imports Reflex."""
