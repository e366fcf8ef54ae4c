"""Salesforce enrichment cost: the connector against one-PATCH-per-record, in the same run.

- API calls per enriched case (event path: case + its contact), counted at the emulator.
- Records per minute and API calls per record for a bulk enrichment of existing contacts: the
  connector's backfill (one query and one sObject Collections PATCH per 200 records) against a
  straightforward loop (GET and PATCH per record), with Salesforce latency injected.

    python bench/salesforce_enrichment.py [--records 200] [--latency-ms 50]
"""
from __future__ import annotations

import argparse
import tempfile
import time

from results_io import publish

from connector.config import Settings
from connector.core.jobkey import JobKey
from connector.core.models import Contact
from connector.runtime import build_runtime
from connector.sandbox.aep import AepSandbox
from connector.sandbox.salesforce import SalesforceSandbox, record_id
from connector.services.salesforce.records import _fields_of, changes_of


def one_patch_per_record(runtime, obj: str, ids: list[str]) -> None:
    """The baseline: read each record, look it up, PATCH it on its own."""
    sf, spec = runtime.provider("salesforce").client, runtime.manifest.writeback["salesforce"]
    for rid in ids:
        record = sf.get(obj, rid, ["Id", "Email", "Phone", "AEP_CRM_Id__c", *_fields_of(spec, obj)])
        card = runtime.lookup.by_contact(Contact(email=record.get("Email"), phone=record.get("Phone"),
                                                 crm_id=record.get("AEP_CRM_Id__c")))
        plan = runtime.provider("salesforce").records._part(card, spec, JobKey("salesforce", obj, rid), record).plan
        if not plan.empty:
            sf.update(obj, rid, changes_of(plan))


def case_calls(runtime, sf: SalesforceSandbox, cases: int) -> dict:
    sf.world.reset_data()
    sf.world.clear()
    for index in range(1, cases + 1):
        key = f"salesforce:Case:{record_id('Case', index)}"
        runtime.store.accept(delivery_key=f"bench:{key}", record_key=key, provider="salesforce")
        runtime.jobs.run(key)
    ours = len(sf.world.calls("/services/data/"))
    sf.world.reset_data()
    sf.world.clear()
    spec = runtime.manifest.writeback["salesforce"]
    for index in range(1, cases + 1):  # the same work, each record PATCHed on its own
        client = runtime.provider("salesforce").client
        case = client.get("Case", record_id("Case", index), ["Id", "ContactId", *_fields_of(spec, "Case")])
        one_patch_per_record(runtime, "Contact", [case["ContactId"]])
        card = runtime.lookup.by_contact(Contact(crm_id=f"CRM{index:06d}"))
        plan = runtime.provider("salesforce").records._part(card, spec, JobKey("salesforce", "Case", case["Id"]),
                                                             case).plan
        if not plan.empty:
            client.update("Case", case["Id"], changes_of(plan))
    theirs = len(sf.world.calls("/services/data/"))
    return {"connector": round(ours / cases, 2), "one_patch_per_record": round(theirs / cases, 2)}


def bulk(runtime, sf: SalesforceSandbox, records: int, latency_ms: float) -> dict:
    results = {}
    for name in ("connector", "one_patch_per_record"):
        sf.world.reset_data()
        sf.world.clear()
        sf.faults.update(latency_ms=latency_ms)
        start = time.perf_counter()
        if name == "connector":
            runtime.provider("salesforce").backfill("Contact", limit=records)
        else:
            one_patch_per_record(runtime, "Contact", [record_id("Contact", i) for i in range(1, records + 1)])
        elapsed = time.perf_counter() - start
        sf.faults.update(latency_ms=0)
        calls = len(sf.world.calls("/services/data/"))
        written = sum(1 for i in range(1, records + 1) if sf.world.records["Contact"][record_id("Contact", i)]
                      ["AEP_Profile_Id__c"])
        results[name] = {"records": records, "written": written, "seconds": round(elapsed, 2),
                         "records_per_minute": round(written * 60 / elapsed, 1), "api_calls": calls,
                         "api_calls_per_record": round(calls / records, 3)}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200)
    parser.add_argument("--cases", type=int, default=20)
    parser.add_argument("--latency-ms", type=float, default=50.0, help="added to every Salesforce call")
    args = parser.parse_args()
    aep, sf = AepSandbox().start(), SalesforceSandbox().start()
    state = tempfile.mkdtemp(prefix="bench-salesforce-")
    settings = Settings(**aep.settings_overrides(), **sf.settings_overrides(), database_url=f"sqlite:///{state}/c.db",
                        queue_url=f"sqlite:///{state}/q.db", profile_cache_ttl=0)
    runtime = build_runtime(settings)
    runtime.warm()
    try:
        summary = {"calls_per_case": case_calls(runtime, sf, args.cases),
                   "bulk": bulk(runtime, sf, args.records, args.latency_ms),
                   "salesforce_latency_ms": args.latency_ms}
    finally:
        runtime.close()
        aep.stop()
        sf.stop()
    c, b = summary["calls_per_case"], summary["bulk"]
    print(f"{'implementation':<22} {'calls/case':>10} {'bulk calls/record':>18} {'records/min':>12} {'seconds':>8}")
    for name in ("connector", "one_patch_per_record"):
        print(f"{name:<22} {c[name]:>10} {b[name]['api_calls_per_record']:>18} {b[name]['records_per_minute']:>12} "
              f"{b[name]['seconds']:>8}")
    publish("salesforce_enrichment", summary)


if __name__ == "__main__":
    main()
