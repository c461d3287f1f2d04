"""``socialops simulate``: the whole system on one machine (DESIGN.md section 5)."""
