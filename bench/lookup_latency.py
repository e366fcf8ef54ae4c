"""Lookup latency of the connector against the AEP emulator, as a ratio to one raw AEP GET.

Runs the emulator and `aep-connector serve` as separate processes, injects AEP latency, and
measures in the same run: (a) one raw profile GET straight to the emulator, (b) the connector's
GET /api/v1/profiles on a cold cache (a new customer each request) and (c) on a warm cache,
with 1 and 20 concurrent agents. Prints a table and JSON (also written to bench/results/).

    python bench/lookup_latency.py [--latency-ms 200] [--requests 40]
"""
from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode, urlsplit

import requests
from results_io import publish

from connector.sandbox import seed
from connector.sandbox.aep import CLIENT_ID, CLIENT_SECRET, ORG_ID

API_KEY = "bench-key"
THROUGHPUT: dict[int, float] = {}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(url: str, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"bench: {url} did not come up")


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))]


class Agent:
    """One keep-alive connection per simulated agent (http.client: a light load generator)."""

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)

    def get(self, path: str, params: dict, headers: dict) -> float:
        start = time.perf_counter()
        self.conn.request("GET", f"{path}?{urlencode(params)}", headers=headers)
        response = self.conn.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - start) * 1000
        if response.status != 200:
            raise SystemExit(f"bench: {path} answered {response.status}: {body[:200]!r}")
        return elapsed


def run(base: str, concurrency: int, jobs: list, fn, stagger_s: float) -> list[float]:
    """``concurrency`` agents, each on its own connection, working through ``jobs`` back to back.

    Agent i starts after i × stagger: real agents do not all press "look up" in the same
    millisecond, and lock-step waves would measure the load generator, not the connector.
    """
    def agent_loop(number: int) -> list[float]:
        agent = Agent(base)
        time.sleep(number * stagger_s)
        return [fn(agent, job) for job in jobs[number::concurrency]]

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        shares = list(pool.map(agent_loop, range(concurrency)))
    THROUGHPUT[id(jobs)] = len(jobs) / (time.perf_counter() - start)
    return [t for share in shares for t in share]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=200.0)
    parser.add_argument("--requests", type=int, default=40, help="requests per scenario and concurrency")
    args = parser.parse_args()

    from connector.config import DEFAULT_MAPPING
    from connector.schemas.manifest import load_manifest

    fields = ",".join(load_manifest(str(DEFAULT_MAPPING)).profile_fields())
    aep_port, web_port = free_port(), free_port()
    aep_url, web_url = f"http://127.0.0.1:{aep_port}", f"http://127.0.0.1:{web_port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONNECTOR_")}
    env.update({"CONNECTOR_AEP_IMS_URL": aep_url, "CONNECTOR_AEP_PLATFORM_URL": aep_url,
                "CONNECTOR_AEP_CLIENT_ID": CLIENT_ID, "CONNECTOR_AEP_CLIENT_SECRET": CLIENT_SECRET,
                "CONNECTOR_AEP_ORG_ID": ORG_ID, "CONNECTOR_API_KEYS": API_KEY})
    procs = [subprocess.Popen([sys.executable, "-m", "connector.sandbox", "--port", str(aep_port),
                               "--latency-ms", str(args.latency_ms), "--preload"], env=env, stdout=subprocess.DEVNULL),
             subprocess.Popen([sys.executable, "-m", "connector.cli", "serve", "--port", str(web_port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        wait_until(aep_url + "/ims/token/v3")
        wait_until(web_url + "/healthz")
        results = measure(args, fields, aep_url, web_url)
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=10)
    report(results, args)


def measure(args, fields: str, aep_url: str, web_url: str) -> dict:
    token = requests.post(aep_url + "/ims/token/v3", timeout=10, data={
        "grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
        "scope": "openid"}).json()["access_token"]
    aep_headers = {"Authorization": f"Bearer {token}", "x-api-key": CLIENT_ID, "x-gw-ims-org-id": ORG_ID,
                   "x-sandbox-name": "prod"}
    api_headers = {"X-API-Key": API_KEY}
    next_customer = iter(range(1, seed.DEFAULT_CUSTOMERS - 1))
    wait_until(web_url + "/readyz")
    Agent(web_url).get("/api/v1/profiles", {"namespace": "CRMID", "id": seed.customer(next(next_customer)).crm_id},
                       api_headers)  # warm-up: token, merge policy and audience names are fetched once

    def raw(agent, index):
        return agent.get("/data/core/ups/access/entities", {
            "schema.name": "_xdm.context.profile", "entityId": seed.customer(index).crm_id, "entityIdNS": "CRMID",
            "fields": fields}, aep_headers)

    def connector(agent, index):
        return agent.get("/api/v1/profiles", {"namespace": "CRMID", "id": seed.customer(index).crm_id}, api_headers)

    results = {}
    for concurrency in (1, 20):
        n = args.requests if concurrency == 1 else max(args.requests, 10 * concurrency)
        cold = [next(next_customer) for _ in range(n)]
        hot = [cold[0]] * n
        for name, base, jobs, fn in (("raw_get", aep_url, cold, raw), ("connector_miss", web_url, cold, connector),
                                     ("connector_hit", web_url, hot, connector)):
            jobs = list(jobs)
            # Misses: agents spread over one AEP round trip. Hits: all at once, back to back (the harsher case).
            stagger = 0.0 if name == "connector_hit" else args.latency_ms / 1000 / concurrency
            results[f"{name}_c{concurrency}"] = (run(base, concurrency, jobs, fn, stagger), THROUGHPUT[id(jobs)])
    return results


def report(results: dict, args) -> None:
    summary = {"aep_latency_ms": args.latency_ms, "requests_per_scenario": args.requests, "scenarios": {}}
    for concurrency in (1, 20):
        raw = results[f"raw_get_c{concurrency}"][0]
        raw_p50, raw_p99 = statistics.median(raw), percentile(raw, 99)
        for name in ("raw_get", "connector_miss", "connector_hit"):
            values, per_second = results[f"{name}_c{concurrency}"]
            p50, p99 = statistics.median(values), percentile(values, 99)
            summary["scenarios"][f"{name}_c{concurrency}"] = {
                "concurrency": concurrency, "n": len(values), "per_second": round(per_second, 1),
                "p50_ms": round(p50, 2), "p99_ms": round(p99, 2),
                "p50_ratio_to_raw": round(p50 / raw_p50, 3), "p99_ratio_to_raw": round(p99 / raw_p99, 3)}
    print(f"{'scenario':<22} {'agents':>6} {'n':>5} {'per s':>7} {'p50 ms':>9} {'p99 ms':>9} {'p50/raw':>8} "
          f"{'p99/raw':>8}")
    for name, row in summary["scenarios"].items():
        print(f"{name:<22} {row['concurrency']:>6} {row['n']:>5} {row['per_second']:>7.1f} {row['p50_ms']:>9.2f} "
              f"{row['p99_ms']:>9.2f} "
              f"{row['p50_ratio_to_raw']:>8.3f} {row['p99_ratio_to_raw']:>8.3f}")
    s = summary["scenarios"]
    summary["targets"] = {
        "miss_p50_ratio_le_1.10": all(s[f"connector_miss_c{c}"]["p50_ratio_to_raw"] <= 1.10 for c in (1, 20)),
        "hit_p50_le_5ms": all(s[f"connector_hit_c{c}"]["p50_ms"] <= 5.0 for c in (1, 20)),
    }
    publish("lookup_latency", summary)


if __name__ == "__main__":
    main()
