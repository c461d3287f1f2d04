"""``socialops simulate``: the whole system on one machine (ARCHITECTURE.md section 5)."""
