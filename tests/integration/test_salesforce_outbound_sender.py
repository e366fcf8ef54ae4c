"""The emulator's Outbound Message sender judges acknowledgements as Salesforce does (reference §3.2):
only HTTP 200 with a SOAP ``notificationsResponse`` (outbound namespace, any prefix) holding ``Ack`` true
counts; anything else stays queued and is retried."""
from __future__ import annotations

import pytest
from flask import Flask, Response

from connector.sandbox.salesforce import record_id
from connector.sandbox.salesforce.outbound import envelope, send
from connector.sandbox.server import ServerThread

SOAP = '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"{ns}><soapenv:Body>{body}' \
       '</soapenv:Body></soapenv:Envelope>'
OUT = "http://soap.sforce.com/2005/09/outbound"
ANSWERS = {
    "default-namespace": SOAP.format(ns="", body=f'<notificationsResponse xmlns="{OUT}"><Ack>true</Ack>'
                                                 '</notificationsResponse>'),
    "prefixed": SOAP.format(ns=f' xmlns:out="{OUT}"', body="<out:notificationsResponse><out:Ack> true </out:Ack>"
                                                          "</out:notificationsResponse>"),
    "ack-false": SOAP.format(ns="", body=f'<notificationsResponse xmlns="{OUT}"><Ack>false</Ack>'
                                         '</notificationsResponse>'),
    "wrong-wrapper": SOAP.format(ns="", body=f'<notifications xmlns="{OUT}"><Ack>true</Ack></notifications>'),
    "no-namespace": SOAP.format(ns="", body="<notificationsResponse><Ack>true</Ack></notificationsResponse>"),
    "not-xml": "ok <Ack>true</Ack>",
    "no-envelope": f'<notificationsResponse xmlns="{OUT}"><Ack>true</Ack></notificationsResponse>',
    "soap-fault": SOAP.format(ns="", body="<soapenv:Fault><faultcode>soapenv:Server</faultcode><faultstring>"
                                          "&lt;Ack&gt;true&lt;/Ack&gt; <Ack>true</Ack></faultstring></soapenv:Fault>"),
}


@pytest.fixture(scope="module")
def receiver():
    state: dict = {"answer": "", "status": 200, "hits": 0}
    app = Flask("receiver")

    @app.post("/sf")
    def answer():
        state["hits"] += 1
        return Response(state["answer"], status=state["status"], content_type="text/xml; charset=utf-8")

    server = ServerThread(app).start()
    state["url"] = server.url + "/sf"
    yield state
    server.stop()


def deliver(receiver, answer: str, *, status: int = 200):
    receiver.update(answer=ANSWERS[answer], status=status, hits=0)
    body = envelope([("Contact", {"Id": record_id("Contact", 1)})])
    return send(receiver["url"], body, tries=2, backoff_s=0.001, timeout=5)


@pytest.mark.parametrize("answer", ["default-namespace", "prefixed"])
def test_a_soap_ack_in_the_outbound_namespace_is_acknowledged_whatever_the_prefix(receiver, answer):
    delivery = deliver(receiver, answer)
    assert delivery.acknowledged and delivery.attempts == [200] and receiver["hits"] == 1


@pytest.mark.parametrize("answer", ["ack-false", "wrong-wrapper", "no-namespace", "not-xml", "no-envelope",
                                    "soap-fault"])
def test_anything_else_is_a_failure_and_is_retried(receiver, answer):
    delivery = deliver(receiver, answer)
    assert not delivery.acknowledged and delivery.attempts == [200, 200] and receiver["hits"] == 2


def test_a_proper_ack_with_a_non_200_status_is_a_failure(receiver):
    delivery = deliver(receiver, "default-namespace", status=500)
    assert not delivery.acknowledged and delivery.attempts == [500, 500]


def test_the_envelope_carries_18_character_ids():
    from connector.schemas.salesforce import id_checksum, parse_outbound

    body = envelope([("Contact", {"Id": record_id("Contact", n)}) for n in range(1, 4)])
    message = parse_outbound(body)
    assert message.action_id is not None and len(message.action_id) == 18 and message.action_id.startswith("04k")
    assert message.action_id[15:] == id_checksum(message.action_id[:15])
    notes = [n.notification_id for n in message.notifications]
    assert len(set(notes)) == 3 and all(len(i) == 18 and i[15:] == id_checksum(i[:15]) for i in notes)


def test_the_envelope_holds_1_to_100_notifications():
    records = [("Contact", {"Id": record_id("Contact", n)}) for n in range(1, 102)]
    assert envelope(records[:100]).count(b"<Notification>") == 100
    with pytest.raises(ValueError, match="1 to 100"):
        envelope(records)
    with pytest.raises(ValueError, match="1 to 100"):
        envelope([])
    assert envelope(records, forge_oversized=True).count(b"<Notification>") == 101  # for receivers' refusal tests
