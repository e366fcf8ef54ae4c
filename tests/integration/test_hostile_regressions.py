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


NESTED = "[" * 5000 + "]" * 5000  # deeper than Python's json decoder goes: RecursionError, not ValueError


@pytest.mark.parametrize("path", ["/zendesk/sidebar/card", "/zendesk/sidebar/enrich"])
def test_a_sidebar_body_nested_beyond_the_json_decoder_is_no_500(zclient, zruntime, path):
    response = zclient.post(path, data=NESTED, content_type="application/json", headers=_session(zruntime))
    assert response.status_code < 500 and response.get_json()["error"]
    assert zruntime.store.job_counts()[0] == {}


def test_a_canvas_payload_is_not_decoded_before_its_signature_is_checked(sfclient):
    import base64

    payload = base64.b64encode(NESTED.encode()).decode()
    response = sfclient.post("/salesforce/canvas", data={"signed_request": f"AAAA.{payload}"})
    assert response.status_code == 401 and response.get_json()["error"] == "invalid_signature"


@pytest.mark.parametrize("encoding", ["x-nope", "rot13", "zlib"])
def test_an_outbound_message_in_an_unknown_encoding_is_a_soap_fault(sfclient, sfruntime, encoding):
    response = sfclient.post("/salesforce/outbound", data=f'<?xml version="1.0" encoding="{encoding}"?><a/>'.encode(),
                             headers={"Content-Type": "text/xml"})
    assert response.status_code == 400 and response.mimetype == "text/xml" and b"soapenv:Fault" in response.data
    assert sfruntime.store.list_jobs() == []


def test_a_callout_with_a_non_utf8_query_is_refused_not_a_500(sfclient):
    response = sfclient.get("/salesforce/profile", environ_overrides={"QUERY_STRING": "recordId=\xff"},
                            headers={"X-Connector-Timestamp": "1", "X-Connector-Signature": "x"})
    assert response.status_code == 401


def test_a_sidebar_write_for_an_id_beyond_zendesks_is_a_4xx_not_a_500(zclient, zruntime):
    from tests.conftest import API_KEY

    for ticket_id in ("1" * 70, 0, -5):
        response = zclient.post("/zendesk/sidebar/enrich", json={"ticket_id": ticket_id},
                                headers={"X-API-Key": API_KEY})
        assert 400 <= response.status_code < 500 and response.get_json()["error"] == "invalid_id", ticket_id
    assert zruntime.store.list_jobs() == []
