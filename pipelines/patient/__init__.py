"""Patient-level indicators from a pseudonymised prescription extract (see contract.py)."""
