"""Scale-out under failure: 2 web processes and 3 workers on Redis + PostgreSQL take 2,000 signed
webhook deliveries (20 % duplicates) while one worker is SIGKILLed and Redis answers slowly for a
while; afterwards every ticket holds exactly one note, nothing is lost and Zendesk's rate limit
was never exceeded."""
from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import text

from connector.sandbox.aep import AepSandbox
from connector.sandbox.zendesk import ZendeskSandbox
from connector.store.db import Store
from tests.integration.test_backends import POSTGRES, _reachable
from tests.pgdb import scratch_database
from tests.scale.slowproxy import SlowProxy
from tests.zendesk_helpers import signed_headers

pytestmark = pytest.mark.skipif(not (_reachable(POSTGRES) and _reachable("redis://127.0.0.1:6379/0")),
                                reason="needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379")
SECRET = "scale-webhook-secret"
TICKETS = range(201, 1801)  # 1,600 new tickets
WINDOW_S, LIMIT = 10, 400  # Zendesk: 400 requests per 10 s; the connector's shared budget: 360


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout: float, what: str):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture()
def stack(tmp_path):
    aep, zd = AepSandbox().start(), ZendeskSandbox().start()
    zd.world.rate_limit, zd.world.rate_window_s = LIMIT, WINDOW_S
    for ticket_id in TICKETS:
        zd.world._add_ticket(ticket_id, 1001 + ticket_id % 200, 1001 + ticket_id % 200)
    proxy = SlowProxy(("127.0.0.1", 6379))
    redis_url = f"redis://127.0.0.1:{proxy.port}"
    import redis

    for db in (6, 7):
        redis.Redis.from_url(f"redis://127.0.0.1:6379/{db}").flushdb()
    database = contextlib.ExitStack()
    postgres = database.enter_context(scratch_database())
    store = Store(postgres)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONNECTOR_")}
    env.update({**{f"CONNECTOR_{k.upper()}": str(v) for k, v in {**aep.settings_overrides(),
                                                                  **zd.settings_overrides()}.items()},
                "CONNECTOR_ZENDESK_WEBHOOK_SECRET": SECRET, "CONNECTOR_DATABASE_URL": postgres,
                "CONNECTOR_QUEUE_URL": f"{redis_url}/6", "CONNECTOR_CACHE_URL": f"{redis_url}/7",
                "CONNECTOR_ZENDESK_RATE_LIMIT": str(int(LIMIT * 0.9)), "CONNECTOR_ZENDESK_RATE_WINDOW": str(WINDOW_S),
                "CONNECTOR_JOB_LEASE_SECONDS": "10", "CONNECTOR_WORKER_THREADS": "0", "CONNECTOR_API_KEYS": "k",
                "CONNECTOR_LOG_LEVEL": "ERROR"})
    del env["CONNECTOR_ZENDESK_APP_PUBLIC_KEY"]
    ports = [free_port(), free_port()]
    cli = [sys.executable, "-m", "connector.cli"]
    webs = [subprocess.Popen([*cli, "serve", "--port", str(p)], env=env, stderr=subprocess.DEVNULL) for p in ports]
    workers = [subprocess.Popen([*cli, "worker"], env={**env, "CONNECTOR_WORKER_THREADS": "4"},
                                stderr=subprocess.DEVNULL) for _ in range(3)]
    try:
        for port in ports:
            wait_until(lambda p=port: _ok(f"http://127.0.0.1:{p}/healthz"), 60, "web processes")
        yield {"zd": zd, "store": store, "proxy": proxy, "webs": [f"http://127.0.0.1:{p}" for p in ports],
               "workers": workers}
    finally:
        for proc in webs + workers:
            if proc.poll() is None:
                proc.terminate()
        for proc in webs + workers:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        proxy.close()
        aep.stop()
        store.engine.dispose()
        database.close()
        zd.stop()


def _ok(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def test_two_thousand_deliveries_with_a_killed_worker_and_slow_redis(stack):
    zd, store, proxy = stack["zd"], stack["store"], stack["proxy"]
    tickets = list(TICKETS)
    deliveries = [(t, f"inv-{t}") for t in tickets]
    deliveries += [random.Random(7).choice(deliveries) for _ in range(400)]  # 20 % duplicates
    random.Random(11).shuffle(deliveries)

    def deliver(item: tuple[int, tuple[int, str]]) -> int:
        index, (ticket_id, invocation) = item
        body = json.dumps({"event": "ticket_created", "ticket_id": str(ticket_id),
                           "actor_id": str(1001 + ticket_id % 200)}).encode()
        url = stack["webs"][index % 2] + "/zendesk/webhooks"
        for _ in range(5):  # Zendesk retries failed deliveries
            try:
                return requests.post(url, data=body, headers=signed_headers(SECRET, body, invocation=invocation),
                                     timeout=15).status_code
            except requests.RequestException:
                time.sleep(1)
        return 0

    with ThreadPoolExecutor(8) as pool:
        first = list(pool.map(deliver, enumerate(deliveries[:800])))
        os.kill(stack["workers"][0].pid, signal.SIGKILL)  # a worker dies mid-run, holding jobs
        proxy.delay = 0.05  # and Redis answers slowly for a while
        middle = list(pool.map(deliver, enumerate(deliveries[800:1400], start=800)))
        proxy.delay = 0.0
        last = list(pool.map(deliver, enumerate(deliveries[1400:], start=1400)))
    statuses = first + middle + last
    assert all(s in (200, 202) for s in statuses), sorted(set(statuses))

    def all_done():
        with store.engine.connect() as conn:
            rows = dict(conn.execute(text("SELECT status, count(*) FROM jobs GROUP BY status")).all())
        return rows if rows.get("done", 0) == len(tickets) else None

    counts = wait_until(all_done, 420, "every job done")
    assert counts == {"done": len(tickets)}  # nothing lost, nothing dead
    notes = {t: len(zd.world.notes(t)) for t in tickets}
    odd = {t: (n, store.job(f"zendesk:ticket:{t}")) for t, n in notes.items() if n != 1}
    assert set(notes.values()) == {1}, odd  # exactly once each (the job row says what happened otherwise)
    assert all("aep_enriched" in zd.world.tickets[t]["tags"] for t in tickets)
    assert zd.world.rate_limited == 0  # Zendesk never had to answer 429
