"""Use-cases: orchestrate the pure core and the adapters, which they take as arguments."""
