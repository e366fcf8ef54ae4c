"""Zendesk emulator routes for the installed sidebar app: the app's public key (§2.5), and the
agent's ticket page that loads the app by signed URL, as the Zendesk agent workspace does.
"""
from __future__ import annotations

from flask import Flask, Response, request
from markupsafe import escape

from connector.sandbox.zendesk.gate import not_found
from connector.sandbox.zendesk.state import APP_ID, ZendeskWorld


def register(app: Flask, world: ZendeskWorld) -> None:
    """Add the app routes; the agent page needs ``world.app_url`` (the connector's sidebar)."""

    @app.get("/api/v2/apps/<app_id>/public_key.pem")
    def public_key(app_id: str):
        if app_id != APP_ID:
            return not_found()
        return Response(world.public_pem, mimetype="application/x-pem-file")

    @app.get("/__sandbox/agent/tickets/<int:ticket_id>")
    def agent_view(ticket_id: int):
        """What an agent sees: the ticket with the app in a narrow sidebar, loaded by signed URL."""
        ticket = world.tickets.get(ticket_id)
        if ticket is None or not world.app_url:
            return not_found()
        token = world.sidebar_token(base_url=request.host_url.rstrip("/"))
        query = f"origin={request.host_url.rstrip('/')}&app_guid=sandbox-app&ticket_id={ticket_id}"
        requester = world.users.get(ticket["requester_id"], {})
        page = _AGENT_PAGE.format(subject=escape(ticket["subject"]), requester=escape(requester.get("name", "")),
                                  action=escape(f"{world.app_url}?{query}"), token=escape(token))
        return Response(page, mimetype="text/html")


_AGENT_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Ticket: {subject}</title></head>
<body style="margin:0;font:14px system-ui;display:flex;min-height:100vh">
<main style="flex:1;padding:16px"><h1 style="font-size:18px">{subject}</h1><p>Requester: {requester}</p></main>
<aside style="width:320px;border-left:1px solid #ddd"><iframe name="app" title="AEP Customer Profile"
 style="width:320px;height:100vh;border:0"></iframe></aside>
<form id="signed" method="post" action="{action}" target="app"><input type="hidden" name="token" value="{token}"></form>
<script>document.getElementById("signed").submit();</script></body></html>"""
