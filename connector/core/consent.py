"""Consent- and label-aware visibility: may the agent surface show (or the CRM receive) a piece of data?

Pure. Consent values follow AEP's Consents and Preferences field group (``consents.<purpose>.val``):
``y`` yes and ``dy`` default yes (opt-out scheme) grant; ``n`` no and ``dn`` default no (opt-in
scheme) deny; the legal bases of ``consents.collect`` (``LI``, ``CT``, ``CP``, ``VI``, ``PI``) grant;
``p`` pending verification, ``u`` unknown, anything else or no value at all are *undetermined* and
follow the policy's ``missing_consent`` (``deny`` unless the manifest says otherwise).
Data-usage labels (``C5``, ``C9``, ``S1``…) are declared in the manifest on the data that carries
them; the policy lists the labels agents may not see, each with the reason shown instead.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connector.core.lang import N_, Lang
from connector.core.manifest import AgentPolicy, Requirement

GRANTED = frozenset({"y", "dy", "li", "ct", "cp", "vi", "pi"})
DENIED = frozenset({"n", "dn"})
GRANTED_STATE, DENIED_STATE, UNDETERMINED_STATE = "granted", "denied", "undetermined"

# The reason shown when a consent is missing or refused, unless the manifest names one.
DEFAULT_REASONS = {
    "consents.personalize.content": N_("no personalisation consent"),
    "consents.marketing.any": N_("no marketing consent"),
    "consents.marketing.email": N_("no e-mail marketing consent"),
    "consents.marketing.sms": N_("no SMS marketing consent"),
    "consents.marketing.call": N_("no phone marketing consent"),
    "consents.marketing.push": N_("no push marketing consent"),
    "consents.share": N_("no data-sharing consent"),
    "consents.collect": N_("no data-collection consent"),
}
HIDDEN_PREFIX = "hidden: "
HIDDEN = N_("hidden: %(reason)s")


@dataclass(frozen=True)
class Withheld:
    """Why a piece of data is not shown or written: the requirement that failed and the agent's text."""

    cause: str  # consent | label
    detail: str  # the consent path or the label
    reason: str  # e.g. "no personalisation consent"

    @property
    def display(self) -> str:
        return HIDDEN_PREFIX + self.reason

    def shown(self, lang: Lang) -> str:
        """What the agent reads in place of the value, in their language."""
        return lang._(HIDDEN) % {"reason": lang._(self.reason)}


def consent_value(entity: Mapping[str, Any], path: str) -> str | None:
    """The ``val`` of a consent path in a profile entity (``None`` when the profile has none)."""
    data: Any = entity
    for part in (*path.split("."), "val"):
        if not isinstance(data, Mapping):
            return None
        data = data.get(part)
    return data if isinstance(data, str) else None


def consent_state(value: str | None) -> str:
    """granted | denied | undetermined, for one consent ``val``."""
    code = (value or "").strip().lower()
    if code in GRANTED:
        return GRANTED_STATE
    if code in DENIED:
        return DENIED_STATE
    return UNDETERMINED_STATE


def consent_values(entity: Mapping[str, Any], paths: tuple[str, ...]) -> dict[str, str | None]:
    """The profile's value for each consent the manifest names (what a card keeps to decide later)."""
    return {path: consent_value(entity, path) for path in paths}


def evaluate(requirement: Requirement, consents: Mapping[str, str | None], policy: AgentPolicy) -> Withheld | None:
    """``None`` when the agent may see the data; otherwise the first failing requirement.

    Labels come first (they do not depend on the profile), then consents in the order declared.
    """
    for label in requirement.labels:
        if label in policy.hidden_labels:
            return Withheld("label", label, policy.hidden_labels[label])
    for path in requirement.consents:
        state = consent_state(consents.get(path))
        if state == GRANTED_STATE or (state == UNDETERMINED_STATE and policy.missing_consent == "allow"):
            continue
        return Withheld("consent", path, reason_for(path, policy))
    return None


def reason_for(path: str, policy: AgentPolicy) -> str:
    if path in policy.consent_reasons:
        return policy.consent_reasons[path]
    if path in DEFAULT_REASONS:
        return DEFAULT_REASONS[path]
    return f"no consent ({path.removeprefix('consents.')})"
