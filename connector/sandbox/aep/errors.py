"""Error bodies of the AEP emulator: Platform's ``aep/errors`` problem documents (reference §2.7), IMS's
OAuth-style errors (§1.1), and the refusals the profile routes share (unknown namespace, merge policy).
"""
from __future__ import annotations

from flask import jsonify

from connector.sandbox.aep.state import MERGE_POLICY_ID, AepWorld


def problem(status: int, code: str, title: str):
    return jsonify(type=f"http://ns.adobe.com/aep/errors/{code}", title=title, status=status,
                   report={"detail-message": title}), status


def ims_error(status: int, error: str, description: str):
    return jsonify(error=error, error_description=description), status


def merge_policy_refusal(world: AepWorld, requested: object):
    """An unknown mergePolicyId is refused; without one, the default applies, or 422 if none (§2.1,
    and the same for the POST variant, §2.3)."""
    if requested:
        return None if requested == MERGE_POLICY_ID else unknown_merge_policy()
    if not world.default_merge_policy:
        return problem(422, "UPS-1002-422", "No default merge policy defined for schema _xdm.context.profile")
    return None


def unknown_merge_policy():
    # Emulator choice (§2.7 documents no code): a client error, never "profile not found".
    return problem(400, "UPS-1003-400", "Merge policy not found for the requested mergePolicyId")


def unknown_namespace(code: str):
    # Emulator choice (§2.7/§4 document no body): a 4xx client error naming the namespace, never a 404
    # "profile not found", so a sandbox without a custom namespace (e.g. CRMID) is told apart from a miss.
    return problem(400, "UPS-1005-400", f"Identity namespace {code} is not defined in this sandbox")
