"""First sidebar open after ticket creation: is the card already in the cache?

The whole path runs for real: a ticket is created in the Zendesk emulator, its trigger's signed
webhook reaches the connector over HTTP, the job is queued and enriched by a worker (which looks
the requester up in the AEP emulator, with injected latency), and then one agent opens the ticket:
``POST /zendesk/sidebar/card`` over a keep-alive connection. Measured in the same run against a
baseline: opening a ticket whose requester was never enriched (a cold cache). Each open is counted
as a cache hit when the AEP emulator received no profile or event request during it. The page names
the ticket only; the server decides whose card it is (the ticket's requester as Zendesk says), from
the ticket the enrichment job read when the worker runs in the web process, else with one read.

With ``--cache-url redis://…`` the worker and the web side are two separate runtimes that share
only Redis (as ``aep-connector worker`` and ``aep-connector serve`` on different hosts would);
without it, the worker threads run inside the web process and share its in-process cache.

    python bench/first_open.py [--tickets 40] [--latency-ms 100] [--settle-ms 200] [--cache-url redis://…]
"""
from __future__ import annotations

import argparse
import http.client
import json
import statistics
import tempfile
import time
from urllib.parse import urlsplit

from results_io import publish

from connector import create_app
from connector.config import Settings
from connector.core.identity import candidates
from connector.core.models import Contact
from connector.runtime import Runtime, build_runtime
from connector.sandbox.aep import AepSandbox
from connector.sandbox.server import ServerThread
from connector.sandbox.zendesk import ZendeskSandbox

MODES = ("ticket_id",)
SCENARIOS = ("after_creation", "cold_open")


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))]


class Agent:
    """One agent's browser: a keep-alive connection; each ticket opens its own sidebar (a signed load
    gives a session bound to that ticket), and the card request that follows is what is timed."""

    def __init__(self, base: str, zd: ZendeskSandbox) -> None:
        parts = urlsplit(base)
        self.zd = zd
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)

    def load(self) -> None:
        self.conn.request("POST", "/zendesk/sidebar?origin=https%3A%2F%2Facme.zendesk.com&app_guid=bench",
                          body=f"token={self.zd.sidebar_token()}",
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
        page = self.conn.getresponse().read().decode()
        self.session = page.split('data-session="', 1)[1].split('"', 1)[0]

    def open(self, body: dict) -> float:
        self.load()  # the sidebar frame loads first; the agent sees the card when the card request answers
        start = time.perf_counter()
        self.conn.request("POST", "/zendesk/sidebar/card", body=json.dumps(body),
                          headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.session}"})
        response = self.conn.getresponse()
        html = response.read()
        elapsed = (time.perf_counter() - start) * 1000
        if response.status != 200 or b'data-status="found"' not in html:
            raise SystemExit(f"bench: the sidebar answered {response.status}: {html[:200]!r}")
        return elapsed


def forget(runtime: Runtime, user: dict) -> None:
    """Drop every cache entry the lookup could use for this requester (a cold start, even in a shared Redis)."""
    contact = Contact(email=user["email"], phone=user["phone"], crm_id=user["external_id"])
    for candidate in candidates(contact, runtime.manifest.identity)[0]:
        runtime.lookup.cache.forget(candidate.identity)


def body_for(mode: str, zd: ZendeskSandbox, ticket: dict) -> dict:
    return {"ticket_id": ticket["id"]}  # all the page sends: identities in the body would be ignored


def wait_done(runtime: Runtime, ticket_id: int, timeout: float = 30.0) -> None:
    deadline, key = time.time() + timeout, f"zendesk:ticket:{ticket_id}"
    while time.time() < deadline:
        job = runtime.store.job(key)
        if job is not None and job.status in ("done", "dead"):
            if job.status == "dead":
                raise SystemExit(f"bench: {key} went to the dead letters: {job.last_error}")
            return
        time.sleep(0.005)
    raise SystemExit(f"bench: {key} was not enriched in {timeout} s")


def measure(args, aep: AepSandbox, zd: ZendeskSandbox, web: Runtime, worker: Runtime, base: str) -> dict:
    agent = Agent(base, zd)
    agent.open({"ticket_id": 200})  # warm-up: templates compiled, connections open
    results: dict = {}
    requesters = iter(range(1001, 1200))
    for scenario in SCENARIOS:
        for mode in MODES:
            times, hits = [], 0
            for _ in range(args.tickets):
                user = zd.world.users[next(requesters)]
                forget(web, user)
                if scenario == "after_creation":
                    ticket = zd.create_ticket(user["id"])
                    wait_done(worker, ticket["id"])
                else:
                    ticket = zd.world.tickets[user["id"] - 1000]  # a seeded ticket nobody enriched
                time.sleep(args.settle_ms / 1000)  # the agent opens it a moment later, not in the same millisecond
                before = len(aep.world.calls("/data/core/ups/access/entities"))
                times.append(agent.open(body_for(mode, zd, ticket)))
                hits += len(aep.world.calls("/data/core/ups/access/entities")) == before
            results[f"{scenario}/{mode}"] = (times, hits)
    return results


def report(results: dict, args) -> None:
    summary = {"aep_latency_ms": args.latency_ms, "tickets_per_scenario": args.tickets, "settle_ms": args.settle_ms,
               "cache": "redis (separate worker and web runtimes)" if args.cache_url else "in-process", "scenarios": {}}
    print(f"{'scenario':<16} {'customer named by':<16} {'n':>4} {'p50 ms':>8} {'p99 ms':>8} {'cache hits':>10}")
    for name, (times, hits) in results.items():
        scenario, mode = name.split("/")
        row = {"scenario": scenario, "mode": mode, "n": len(times), "p50_ms": round(statistics.median(times), 2),
               "p99_ms": round(percentile(times, 99), 2), "cache_hit_share": round(hits / len(times), 3)}
        summary["scenarios"][name] = row
        print(f"{scenario:<16} {mode:<16} {row['n']:>4} {row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f} "
              f"{row['cache_hit_share']:>9.0%}")
    s = summary["scenarios"]
    summary["targets"] = {
        "after_creation_hits_100pct": all(s[f"after_creation/{m}"]["cache_hit_share"] == 1.0 for m in MODES),
        "after_creation_p50_le_5ms": all(s[f"after_creation/{m}"]["p50_ms"] <= 5.0 for m in MODES),
    }
    publish("first_open", summary)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=40, help="first opens per scenario and mode (≤ 49)")
    parser.add_argument("--latency-ms", type=float, default=100.0, help="added to every AEP emulator request")
    parser.add_argument("--settle-ms", type=float, default=200.0,
                        help="pause between the job finishing (or the cold ticket chosen) and the agent's open")
    parser.add_argument("--cache-url", default=None, help="redis://…: worker and web share only this cache")
    args = parser.parse_args()
    if not 1 <= args.tickets <= 49:
        raise SystemExit("bench: --tickets must be between 1 and 49 (the emulator seeds 199 requesters)")

    aep, zd = AepSandbox().start(), ZendeskSandbox().start()
    aep.world.preload()
    aep.faults.update(latency_ms=args.latency_ms)
    folder = tempfile.mkdtemp(prefix="first-open-")
    settings = Settings(**aep.settings_overrides(), **zd.settings_overrides(), session_secret="bench-" + "s" * 32,
                        database_url=f"sqlite:///{folder}/c.db", queue_url=f"sqlite:///{folder}/q.db",
                        worker_threads=2, cache_url=args.cache_url,
                        sidebar_records_per_minute=1000)  # one agent opening 160 tickets in a few minutes
    web = build_runtime(settings.replace(worker_threads=0) if args.cache_url else settings)
    worker = build_runtime(settings) if args.cache_url else web
    server = ServerThread(create_app(runtime=web)).start()
    try:
        web.provider("zendesk").install(endpoint=f"{server.url}/zendesk/webhooks")
        for runtime in {id(web): web, id(worker): worker}.values():
            runtime.warm()
        worker.start_workers()
        results = measure(args, aep, zd, web, worker, server.url)
    finally:
        server.stop()
        for runtime in {id(web): web, id(worker): worker}.values():
            runtime.close()
        aep.stop()
        zd.stop()
    report(results, args)


if __name__ == "__main__":
    main()
