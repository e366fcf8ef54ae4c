"""WSGI entry point for gunicorn (`gunicorn -c deploy/gunicorn.conf.py connector.wsgi:app`).

Settings come from the environment; queue consumers run in `aep-connector worker` processes, so
web processes start none (CONNECTOR_WORKER_THREADS applies to `serve` and `demo` only).
"""
import os

from connector import create_app
from connector.logs import setup

setup(os.environ.get("CONNECTOR_LOG_LEVEL", "INFO"))
app = create_app()
