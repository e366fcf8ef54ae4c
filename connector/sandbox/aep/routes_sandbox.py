"""The AEP emulator's own controls under ``/__sandbox`` (not part of AEP): set fault knobs and scripted
answers, run without some identity namespaces, reset.
"""
from __future__ import annotations

from flask import Flask, jsonify, request

from connector.sandbox.aep.state import AepWorld
from connector.sandbox.faults import Scripted


def register(app: Flask, world: AepWorld) -> None:
    """Add the ``/__sandbox`` routes."""

    @app.post("/__sandbox/faults")
    def set_faults():
        knobs = request.get_json(silent=True) or {}
        script = knobs.pop("script", [])
        try:
            world.faults.update(**knobs)
            world.faults.script(*(Scripted(**s) for s in script))
        except (TypeError, ValueError) as exc:
            return jsonify(error="bad_fault", message=str(exc)), 400
        return jsonify(ok=True)

    @app.post("/__sandbox/namespaces")
    def set_namespaces():
        """``{"absent": ["CRMID"]}``: run as a sandbox that does not define those namespaces."""
        absent = (request.get_json(silent=True) or {}).get("absent") or []
        world.absent_namespaces = {str(code) for code in absent}
        return jsonify(namespaces=[n[0] for n in world.namespaces()])

    @app.post("/__sandbox/reset")
    def reset():
        world.faults.reset()
        world.clear()
        return jsonify(ok=True)
