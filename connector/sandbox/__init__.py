"""Local emulators of AEP (and, later, Zendesk and Salesforce) for the demo and integration tests.

They are real HTTP servers speaking the wire formats of ../shared/reference/, over deterministic
seed data, with fault knobs. Nothing here is imported by the connector's request path.
"""
