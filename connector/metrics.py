"""Prometheus metrics (exposed at /metrics). Labels carry no identities, only services and outcomes."""
from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

DELIVERIES = Counter("connector_deliveries", "Inbound CRM deliveries (webhooks, callouts, Outbound Messages)",
                     ["endpoint", "status"])
ENRICHMENTS = Histogram("connector_enrichment_seconds", "Time to process one enrichment job",
                        ["provider", "outcome"], buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
UPSTREAM = Histogram("connector_upstream_seconds", "Calls to AEP, Zendesk and Salesforce",
                     ["service", "status"], buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
CACHE = Counter("connector_profile_cache_lookups", "Profile cache lookups", ["result"])
RATE_LIMIT_WAITS = Counter("connector_rate_limit_waits", "Jobs rescheduled because a remote limit was reached",
                           ["service"])
QUEUE_DEPTH = Gauge("connector_queue_depth", "Jobs waiting in the queue (ready and scheduled)")
JOBS = Gauge("connector_jobs", "Enrichment jobs by status", ["status"])
OLDEST_PENDING = Gauge("connector_oldest_pending_job_seconds", "Age of the oldest pending job")


def observe_response(service: str, status: int | str, seconds: float) -> None:
    UPSTREAM.labels(service=service, status=str(status)).observe(seconds)
