"""Run the AEP emulator on its own: ``python -m connector.sandbox --port 9001 --latency-ms 200``."""
from __future__ import annotations

import argparse
import contextlib
import signal
import threading

from connector.config import env_name
from connector.sandbox.aep import AepSandbox


def main() -> None:
    parser = argparse.ArgumentParser(description="AEP emulator (IMS + Platform APIs) on localhost")
    parser.add_argument("--host", default="127.0.0.1", help="0.0.0.0 to serve other containers")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added to every response")
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--preload", action="store_true", help="generate all seed data before serving")
    parser.add_argument("--print-env", action="store_true",
                        help="also print the CONNECTOR_* settings that point the connector at this emulator")
    parser.add_argument("--without-namespace", action="append", default=[], metavar="CODE",
                        help="serve a sandbox that does not define this identity namespace (e.g. CRMID)")
    args = parser.parse_args()
    sandbox = AepSandbox(host=args.host, port=args.port, customers=args.customers)
    if args.preload:
        sandbox.world.preload()
    sandbox.world.absent_namespaces = set(args.without_namespace)
    sandbox.faults.update(latency_ms=args.latency_ms)
    sandbox.start()
    print(f"AEP emulator listening on {sandbox.url}", flush=True)
    if args.print_env:
        for name, value in sandbox.settings_overrides().items():
            print(f"{env_name(name)}={value}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    sandbox.stop()


if __name__ == "__main__":
    main()
