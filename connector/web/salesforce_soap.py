"""SOAP answers to Outbound Messages: the acknowledgement Salesforce waits for, and faults it retries."""
from __future__ import annotations

from flask import Response
from markupsafe import escape

ACK = ('<?xml version="1.0" encoding="UTF-8"?>\n<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
       '<soapenv:Body><notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>true</Ack>'
       '</notificationsResponse></soapenv:Body></soapenv:Envelope>')
FAULT = ('<?xml version="1.0" encoding="UTF-8"?>\n<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
         '<soapenv:Body><soapenv:Fault><faultcode>soapenv:{code}</faultcode><faultstring>{text}</faultstring>'
         '</soapenv:Fault></soapenv:Body></soapenv:Envelope>')


def soap(status: int, body: str) -> Response:
    return Response(body, status=status, mimetype="text/xml")


def fault(status: int, code: str, text: str) -> Response:
    return soap(status, FAULT.format(code=code, text=escape(text)))
