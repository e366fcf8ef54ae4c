"""The emulator's Outbound Message sender judges acknowledgements as Salesforce does (reference §3.2):
only HTTP 200 with a SOAP ``notificationsResponse`` (outbound namespace, any prefix) holding ``Ack`` true
counts; anything else stays queued and is retried."""
from __future__ import annotations

import pytest
from flask import Flask, Response

from connector.sandbox.salesforce import record_id
from connector.sandbox.salesforce_outbound import envelope, send
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
