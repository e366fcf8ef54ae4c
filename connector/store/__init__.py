"""SQLAlchemy state: delivery idempotency keys, enrichment jobs, audit ledger, dead letters."""
