"""Durable job queue (Huey): webhooks are acknowledged after a durable enqueue; workers enrich."""
