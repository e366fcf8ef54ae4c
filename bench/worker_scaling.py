"""Enrichments per minute with 1, 2 and 4 worker processes (Redis queue, PostgreSQL state).

A backlog of tickets is queued, then N `aep-connector worker` processes (2 threads each) drain it
against the emulators with AEP and Zendesk latency injected; the rate is tickets done per minute.

    python bench/worker_scaling.py [--tickets 300] [--aep-latency-ms 100] [--zendesk-latency-ms 50]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

import redis
from results_io import publish
from sqlalchemy import text

from connector.config import Settings
from connector.runtime import build_runtime
from connector.sandbox.aep import AepSandbox
from connector.sandbox.zendesk import ZendeskSandbox

POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
QUEUE = "redis://127.0.0.1:6379/9"


def run(workers: int, tickets: int, aep: AepSandbox, zd: ZendeskSandbox) -> dict:
    zd.world.reset_data()
    zd.world.rate_limit = 10**9
    for ticket_id in range(201, 201 + tickets):
        zd.world._add_ticket(ticket_id, 1001 + ticket_id % 200, 1001 + ticket_id % 200)
    redis.Redis.from_url(QUEUE).flushdb()
    settings = Settings(**aep.settings_overrides(), **zd.settings_overrides(), database_url=POSTGRES,
                        queue_url=QUEUE, worker_threads=0)
    runtime = build_runtime(settings)
    with runtime.store.engine.begin() as conn:
        conn.execute(text("TRUNCATE deliveries, jobs, audit, settings_kv"))
    for ticket_id in range(201, 201 + tickets):
        key = f"zendesk:ticket:{ticket_id}"
        runtime.store.accept(delivery_key=f"bench:{key}", record_key=key, provider="zendesk")
        runtime.queue.enqueue(key)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONNECTOR_")}
    env.update({f"CONNECTOR_{k.upper()}": str(v) for k, v in {**aep.settings_overrides(),
                                                               **zd.settings_overrides()}.items()})
    env.update({"CONNECTOR_DATABASE_URL": POSTGRES, "CONNECTOR_QUEUE_URL": QUEUE, "CONNECTOR_WORKER_THREADS": "2",
                "CONNECTOR_ZENDESK_RATE_LIMIT": "1000000", "CONNECTOR_LOG_LEVEL": "ERROR"})
    start = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-m", "connector.cli", "worker"], env=env, stderr=subprocess.DEVNULL)
             for _ in range(workers)]
    try:
        while True:
            with runtime.store.engine.connect() as conn:
                done = conn.execute(text("SELECT count(*) FROM jobs WHERE status = 'done'")).scalar()
            if done >= tickets or time.perf_counter() - start > 600:
                break
            time.sleep(0.25)
        elapsed = time.perf_counter() - start
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)
        runtime.close()
    return {"workers": workers, "tickets": tickets, "done": int(done), "seconds": round(elapsed, 1),
            "per_minute": round(done * 60 / elapsed, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=300)
    parser.add_argument("--aep-latency-ms", type=float, default=100.0)
    parser.add_argument("--zendesk-latency-ms", type=float, default=50.0)
    args = parser.parse_args()
    aep, zd = AepSandbox().start(), ZendeskSandbox().start()
    aep.faults.update(latency_ms=args.aep_latency_ms)
    zd.faults.update(latency_ms=args.zendesk_latency_ms)
    try:
        rows = [run(n, args.tickets, aep, zd) for n in (1, 2, 4)]
    finally:
        aep.stop()
        zd.stop()
    print(f"{'workers':>7} {'tickets':>8} {'seconds':>8} {'per min':>9} {'vs 1':>6}")
    for row in rows:
        print(f"{row['workers']:>7} {row['done']:>8} {row['seconds']:>8} {row['per_minute']:>9} "
              f"{row['per_minute'] / rows[0]['per_minute']:>6.2f}")
    publish("worker_scaling", {"aep_latency_ms": args.aep_latency_ms, "zendesk_latency_ms": args.zendesk_latency_ms,
                               "runs": rows})


if __name__ == "__main__":
    main()
