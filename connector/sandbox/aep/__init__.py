"""AEP emulator: IMS token, gateway checks, Profile Access, merge policies, segments, namespaces.

Speaks ../shared/reference/aep.md (section numbers inline). Choices the docs leave open are marked
"emulator choice" and are configurable where a test may need the other reading.

- ``state``: the world (tokens, namespaces, profile patches, request log); ``app``: ``create_app``
  and ``AepSandbox``; ``gate``: faults and the API gateway's checks; ``errors``: the error bodies.
- ``routes_*``: IMS, Profile Access entities, configuration (merge policies, segments, namespaces),
  and the emulator's own ``/__sandbox`` controls; ``profiles``: the documents entities return.
"""
from connector.sandbox.aep.app import AepSandbox, create_app
from connector.sandbox.aep.state import (
    CLIENT_ID,
    CLIENT_SECRET,
    MERGE_POLICY_ID,
    ORG_ID,
    AepWorld,
    Recorded,
)

__all__ = ["CLIENT_ID", "CLIENT_SECRET", "MERGE_POLICY_ID", "ORG_ID", "AepSandbox", "AepWorld", "Recorded",
           "create_app"]
