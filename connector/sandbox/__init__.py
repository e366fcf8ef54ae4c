"""Local emulators of AEP, Zendesk and Salesforce for the demo, the benchmarks and integration tests.

They are real HTTP servers speaking the wire formats of ../shared/reference/, over deterministic
seed data, with fault knobs. Nothing here is imported by the connector's request path.

One package per provider (``aep/``, ``zendesk/``, ``salesforce/``), each with its ``state`` (the
world), ``app`` (``create_app`` and the running emulator), a ``gate`` every request passes and
``routes_*`` modules by concern; ``faults``, ``seed``, ``server`` and ``tls`` are shared.
"""
