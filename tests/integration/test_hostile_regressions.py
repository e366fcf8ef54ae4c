"""Bugs the hostile-input suite found, each pinned by the smallest request that showed it."""
from __future__ import annotations

import pytest


def _session(zruntime) -> dict:
    return {"Authorization": "Bearer " + zruntime.sessions().dumps(
        {"sid": "hostile-session-0001", "sub": 5, "agent": 5, "inst": "1", "loc": "ticket_sidebar"})}


@pytest.mark.parametrize("path", ["/zendesk/sidebar/card", "/zendesk/sidebar/enrich"])
@pytest.mark.parametrize("body", [[None, None], "text", 7])
def test_a_sidebar_body_that_is_json_but_not_an_object_is_a_400(zclient, zruntime, path, body):
    response = zclient.post(path, json=body, headers=_session(zruntime))
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_json"
    assert zruntime.store.job_counts()[0] == {}
