"""Zendesk enrichment cost and throughput: the connector against a straightforward hand-written job.

Both run in the same process against the same emulators, on the same tickets' requesters:
- API calls per enriched ticket, counted at the emulators (AEP and Zendesk);
- tickets enriched per minute under Zendesk's Enterprise limit (700 requests a minute; the window is
  shortened with the limit scaled to match, so a run takes seconds, not minutes).
The hand-written job reads the ticket and the requester, then writes each field, each tag and the note
with its own call, and sleeps on 429 as zenpy does by default.

    python bench/zendesk_enrichment.py [--windows 3] [--window 10] [--workers 2]
"""
from __future__ import annotations

import argparse
import tempfile
import threading
import time

import requests
from results_io import publish

from connector.config import Settings
from connector.core.models import Contact
from connector.core.writeplan import note_text, resolve, tag_of
from connector.runtime import build_runtime
from connector.sandbox.aep import AepSandbox
from connector.sandbox.zendesk import AGENT_EMAIL, API_TOKEN, ZendeskSandbox

ENTERPRISE_PER_MINUTE = 700


class HandWritten:
    """One call per thing: GET ticket, GET user, then PUT per field, per tag, the note, per user field."""

    def __init__(self, base: str, runtime) -> None:
        self.base, self.runtime = base, runtime
        self.session = requests.Session()
        self.session.auth = (f"{AGENT_EMAIL}/token", API_TOKEN)

    def call(self, method: str, path: str, **kwargs) -> dict:
        while True:
            response = self.session.request(method, self.base + path, timeout=10, **kwargs)
            if response.status_code != 429:
                response.raise_for_status()
                return response.json() if response.content else {}
            time.sleep(float(response.headers.get("Retry-After", "1")))

    def enrich(self, ticket_id: int) -> None:
        ticket = self.call("GET", f"/api/v2/tickets/{ticket_id}.json")["ticket"]
        user = self.call("GET", f"/api/v2/users/{ticket['requester_id']}.json")["user"]
        card = self.runtime.lookup.by_contact(Contact(email=user["email"], phone=user["phone"],
                                                      crm_id=user["external_id"]))
        if card.status != "found" or not card.writable:
            return
        spec = self.runtime.manifest.writeback["zendesk"]
        for rule in spec.rules:
            value = resolve(card, rule.value)
            if value is None:
                continue
            target = rule.target
            if target.is_tags:
                self.call("PUT", f"/api/v2/tickets/{ticket_id}/tags.json", json={"tags": [tag_of(rule.prefix, value)]})
            elif not target.on_person:  # a ticket custom field
                self.call("PUT", f"/api/v2/tickets/{ticket_id}.json",
                          json={"ticket": {"custom_fields": [{"id": int(target.name), "value": value}]}})
            else:  # a user field
                self.call("PUT", f"/api/v2/users/{user['id']}.json",
                          json={"user": {"user_fields": {target.name: value}}})
        self.call("PUT", f"/api/v2/tickets/{ticket_id}/tags.json", json={"tags": [spec.marker_tag]})
        self.call("PUT", f"/api/v2/tickets/{ticket_id}.json",
                  json={"ticket": {"comment": {"body": note_text(card), "public": False}}})


def fresh(zd: ZendeskSandbox, aep: AepSandbox, *, limit: int, window: int) -> None:
    zd.world.reset_data()
    zd.world.rate_limit, zd.world.rate_window_s = limit, window
    zd.world.clear()
    aep.world.clear()


def calls_per_ticket(zd, aep, runtime, tickets: list[int]) -> dict:
    fresh(zd, aep, limit=10**9, window=60)
    for ticket in tickets:
        key = f"zendesk:ticket:{ticket}"
        runtime.store.accept(delivery_key=f"bench:calls:{ticket}", record_key=key, provider="zendesk")
        runtime.jobs.run(key)
    ours = {"zendesk": len(zd.world.calls("/api/")), "aep": len(aep.world.calls("/data/"))}
    fresh(zd, aep, limit=10**9, window=60)
    runtime.lookup.cache._hits.clear()
    naive = HandWritten(zd.url, runtime)
    for ticket in tickets:
        naive.enrich(ticket + 100)
    theirs = {"zendesk": len(zd.world.calls("/api/")), "aep": len(aep.world.calls("/data/"))}
    n = len(tickets)
    return {"connector": {k: round(v / n, 2) for k, v in ours.items()},
            "hand_written": {k: round(v / n, 2) for k, v in theirs.items()}}


def align(window: int) -> None:
    """Start on a window boundary: a run of whole windows never gets more than its budget."""
    time.sleep(window - time.time() % window + 0.01)


def throughput(zd, aep, runtime, *, windows: int, workers: int, window: int) -> dict:
    limit = round(ENTERPRISE_PER_MINUTE * window / 60)
    seconds = windows * window
    results = {}
    fresh(zd, aep, limit=limit, window=window)
    keys = [f"zendesk:ticket:{t}" for t in range(1, 201)]
    for key in keys:
        runtime.store.accept(delivery_key=f"bench:tp:{key}", record_key=key, provider="zendesk", rerun=True)
        runtime.queue.enqueue(key)
    align(window)
    start = time.time()
    runtime.queue.start(threads=workers)
    time.sleep(seconds)
    done = sum(1 for k in keys  # counted at the deadline, and only what this run enriched
               if (j := runtime.store.job(k)) and j.status == "done" and j.updated_at.timestamp() >= start)
    elapsed = time.time() - start
    runtime.queue.stop()
    results["connector"] = {"tickets": done, "per_minute": round(done * 60 / elapsed, 1),
                            "zendesk_429": zd.world.rate_limited}

    fresh(zd, aep, limit=limit, window=window)
    naive, done_naive, stop = HandWritten(zd.url, runtime), [], threading.Event()
    queue = list(range(1, 201))
    lock = threading.Lock()

    def loop() -> None:
        while not stop.is_set():
            with lock:
                if not queue:
                    return
                ticket = queue.pop(0)
            naive.enrich(ticket)
            if not stop.is_set():
                done_naive.append(ticket)

    threads = [threading.Thread(target=loop, daemon=True) for _ in range(workers)]
    align(window)
    start = time.time()
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    finished, elapsed = len(done_naive), time.time() - start
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    results["hand_written"] = {"tickets": finished, "per_minute": round(finished * 60 / elapsed, 1),
                               "zendesk_429": zd.world.rate_limited}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=3, help="rate-limit windows each run lasts")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--window", type=int, default=10,
                        help="rate-limit window in seconds (the limit scales to 700 a minute)")
    args = parser.parse_args()
    aep, zd = AepSandbox().start(), ZendeskSandbox().start()
    state = tempfile.mkdtemp(prefix="bench-zendesk-")
    settings = Settings(**aep.settings_overrides(), **zd.settings_overrides(), database_url=f"sqlite:///{state}/c.db",
                        queue_url=f"sqlite:///{state}/q.db", session_secret="bench", profile_cache_ttl=0)
    runtime = build_runtime(settings)
    runtime.warm()
    try:
        summary = {"calls_per_ticket": calls_per_ticket(zd, aep, runtime, list(range(1, 21))),
                   "throughput": throughput(zd, aep, runtime, windows=args.windows, workers=args.workers,
                                            window=args.window),
                   "zendesk_limit_per_minute": ENTERPRISE_PER_MINUTE, "workers": args.workers,
                   "window_seconds": args.window, "windows": args.windows}
    finally:
        runtime.close()
        aep.stop()
        zd.stop()
    c, t = summary["calls_per_ticket"], summary["throughput"]
    print(f"{'implementation':<14} {'Zendesk calls/ticket':>21} {'AEP calls/ticket':>17} {'tickets/min @700/min':>21} "
          f"{'429s':>5}")
    for name in ("connector", "hand_written"):
        print(f"{name:<14} {c[name]['zendesk']:>21} {c[name]['aep']:>17} {t[name]['per_minute']:>21} "
              f"{t[name]['zendesk_429']:>5}")
    publish("zendesk_enrichment", summary)


if __name__ == "__main__":
    main()
