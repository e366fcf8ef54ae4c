"""gunicorn settings for the web processes (stateless; scale them behind a load balancer)."""
import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8080')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("CONNECTOR_WEB_THREADS", "32"))  # a lookup holds a thread for one AEP round trip
timeout = 30
graceful_timeout = 20
keepalive = 5
max_requests = 5000
# Request limits: gunicorn bounds the request line and headers; it has no body limit of its own, so the
# body is bounded by the app (Flask MAX_CONTENT_LENGTH, 1 MiB, enforced on what is read: gunicorn marks
# its input as terminated, so chunked bodies are cut off too) and each handler caps its own lower.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
max_requests_jitter = 500
# Access lines without query strings: lookups carry identities in them.
accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss'
errorlog = "-"
