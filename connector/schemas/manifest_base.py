"""What the manifest schemas share: strict schemas, the path and label validators, requirements."""
from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, fields, validate

from connector.core import manifest as m

_KEY = validate.Regexp(r"^[a-z][a-z0-9_]*$", error="use lower-case letters, digits and _")
_PATH = validate.Regexp(r"^[A-Za-z_][A-Za-z0-9_]*(\[\])?(\.[A-Za-z_][A-Za-z0-9_.]*(\[\])?)*$",
                        error="not a dotted XDM path")
_SOURCE = validate.Regexp(r"^(email|phone|crm_id|external_id|identities\.[A-Za-z0-9_.]+)$",
                          error="one of email, phone, crm_id, external_id, identities.<namespace>")


class _Strict(Schema):
    class Meta:
        unknown = RAISE


_CONSENT = validate.Regexp(r"^consents(\.[A-Za-z][A-Za-z0-9_]*)+$",
                           error="a consent path of the Consents and Preferences field group, e.g. "
                                 "consents.personalize.content")
_LABEL = validate.Regexp(r"^[A-Z][A-Za-z0-9_]*$", error="a data-usage label such as C5, C9 or S1")


class _OneOrMany(fields.List):
    """A list that may be written as one plain string in YAML (``consent: consents.marketing.email``)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> list:
        return super()._deserialize([value] if isinstance(value, str) else value, attr, data, **kwargs)


class _Requires(_Strict):
    """``consent`` and ``labels``: what showing or writing this piece of profile data requires."""

    consent = _OneOrMany(fields.Str(validate=_CONSENT), load_default=list)
    labels = _OneOrMany(fields.Str(validate=_LABEL), load_default=list)


def _requirement(data: dict) -> dict:
    """Fold ``consent`` and ``labels`` into one ``requires`` value (in place, for the dataclasses)."""
    consents = tuple(c.removesuffix(".val") for c in data.pop("consent", ()))
    data["requires"] = m.Requirement(tuple(dict.fromkeys(consents)), tuple(dict.fromkeys(data.pop("labels", ()))))
    return data
