"""A throwaway PostgreSQL database per test module, so no run sees tables another run left behind."""
from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

SERVER = "postgresql://postgres@127.0.0.1:5432"
ADMIN = f"{SERVER}/test"


@contextlib.contextmanager
def scratch_database() -> Iterator[str]:
    """Create ``aep_test_<random>``, yield its URL, drop it (closing what is still connected) afterwards."""
    import psycopg

    name = f"aep_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{SERVER}/{name}"
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
