"""Webhook acknowledgement rate and latency with a durable enqueue: SQLite vs Redis + PostgreSQL.

Starts `aep-connector serve` (no consumers, so the queue only grows) on each backend and fires signed
Zendesk deliveries from 8 concurrent senders; an answer (202) means the delivery is recorded and queued.

    python bench/webhook_ack.py [--deliveries 2000] [--senders 8]
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

from results_io import publish

from connector.sandbox.zendesk.hooks import sign

SECRET = "bench-secret"
POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_backend(name: str, env_extra: dict, deliveries: int, senders: int) -> dict:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONNECTOR_")}
    env.update({"CONNECTOR_AEP_CLIENT_ID": "x", "CONNECTOR_AEP_CLIENT_SECRET": "x", "CONNECTOR_AEP_ORG_ID": "x",
                "CONNECTOR_AEP_IMS_URL": "http://127.0.0.1:9", "CONNECTOR_AEP_PLATFORM_URL": "http://127.0.0.1:9",
                "CONNECTOR_ZENDESK_WEBHOOK_SECRET": SECRET, "CONNECTOR_WORKER_THREADS": "0",
                # Zendesk configured (nothing answers there: only the webhook receiver is measured)
                "CONNECTOR_ZENDESK_URL": "http://127.0.0.1:9", "CONNECTOR_ZENDESK_EMAIL": "bench@example.com",
                "CONNECTOR_ZENDESK_API_TOKEN": "x",
                "CONNECTOR_LOG_LEVEL": "ERROR", **env_extra})
    proc = subprocess.Popen([sys.executable, "-m", "connector.cli", "serve", "--port", str(port)], env=env,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                break
            except OSError:
                time.sleep(0.2)

        def sender(share: list[int]) -> list[float]:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            times = []
            for n in share:
                body = json.dumps({"ticket_id": str(n)}).encode()
                ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
                headers = {"Content-Type": "application/json", "X-Zendesk-Webhook-Invocation-Id": f"{name}-{n}",
                           "X-Zendesk-Webhook-Signature-Timestamp": ts,
                           "X-Zendesk-Webhook-Signature": sign(SECRET, ts, body)}
                start = time.perf_counter()
                conn.request("POST", "/zendesk/webhooks", body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                times.append((time.perf_counter() - start) * 1000)
                if response.status != 202:
                    raise SystemExit(f"bench: delivery answered {response.status}")
            return times

        ids = list(range(1, deliveries + 1))
        start = time.perf_counter()
        with ThreadPoolExecutor(senders) as pool:
            times = [t for share in pool.map(sender, [ids[i::senders] for i in range(senders)]) for t in share]
        elapsed = time.perf_counter() - start
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    ordered = sorted(times)
    return {"deliveries": deliveries, "acks_per_second": round(deliveries / elapsed, 1),
            "p50_ms": round(statistics.median(times), 2), "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--senders", type=int, default=8)
    args = parser.parse_args()
    import redis
    from sqlalchemy import text

    from connector.store.db import Store

    state = tempfile.mkdtemp(prefix="bench-ack-")
    redis.Redis.from_url("redis://127.0.0.1:6379/8").flushdb()
    with Store(POSTGRES).engine.begin() as conn:
        conn.execute(text("TRUNCATE deliveries, jobs, audit, settings_kv"))
    results = {
        "sqlite": run_backend("sqlite", {"CONNECTOR_DATABASE_URL": f"sqlite:///{state}/c.db",
                                         "CONNECTOR_QUEUE_URL": f"sqlite:///{state}/q.db"},
                              args.deliveries, args.senders),
        "redis_postgresql": run_backend("redis", {"CONNECTOR_DATABASE_URL": POSTGRES,
                                                  "CONNECTOR_QUEUE_URL": "redis://127.0.0.1:6379/8"},
                                        args.deliveries, args.senders),
    }
    print(f"{'backend':<18} {'acks/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for name, row in results.items():
        print(f"{name:<18} {row['acks_per_second']:>8} {row['p50_ms']:>8} {row['p99_ms']:>8}")
    publish("webhook_ack", {"senders": args.senders, "backends": results})


if __name__ == "__main__":
    main()
