"""Mapping manifest schema: unknown keys are refused so that a typo fails at start-up."""
from __future__ import annotations

import re
from typing import Any

import yaml
from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate, validates_schema

from connector import providers
from connector.core import manifest as m
from connector.core import targets
from connector.errors import ManifestError

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


class CandidateSchema(_Strict):
    source = fields.Str(required=True, data_key="from", validate=_SOURCE)
    namespace = fields.Str(required=True)
    confidence = fields.Float(load_default=1.0, validate=validate.Range(0, 1))

    @post_load
    def make(self, data: dict, **_: Any) -> m.CandidateRule:
        return m.CandidateRule(**data)


class IdentitySchema(_Strict):
    default_region = fields.Str(load_default="US", validate=validate.Regexp(r"^[A-Z]{2}$"))
    write_min_confidence = fields.Float(load_default=0.9, validate=validate.Range(0, 1))
    namespaces = fields.Dict(keys=fields.Str(), values=fields.Str(validate=validate.OneOf(m.NAMESPACE_KINDS)),
                             required=True)
    candidates = fields.List(fields.Nested(CandidateSchema), required=True, validate=validate.Length(min=1))

    @validates_schema
    def check_namespaces(self, data: dict, **_: Any) -> None:
        known = {code.lower() for code in data.get("namespaces", {})}
        bad = [r.namespace for r in data.get("candidates", []) if r.namespace.lower() not in known]
        if bad:
            raise ValidationError(f"namespace(s) not declared under identity.namespaces: {', '.join(bad)}",
                                  "candidates")

    @post_load
    def make(self, data: dict, **_: Any) -> m.IdentitySpec:
        data["candidates"] = tuple(data["candidates"])
        return m.IdentitySpec(**data)


class BadgeSchema(_Strict):
    min = fields.Float(required=True)
    level = fields.Str(required=True, validate=validate.OneOf(["high", "medium", "low", "info"]))
    label = fields.Str(required=True)

    @post_load
    def make(self, data: dict, **_: Any) -> m.Badge:
        return m.Badge(**data)


class FieldSchema(_Requires):
    key = fields.Str(validate=_KEY)
    path = fields.Str(required=True, validate=_PATH)
    label = fields.Str(required=True)
    format = fields.Str(load_default="text", validate=validate.OneOf(m.FORMATS))
    currency = fields.Str(validate=validate.Regexp(r"^[A-Z]{3}$"))
    currency_path = fields.Str(validate=_PATH)
    badges = fields.List(fields.Nested(BadgeSchema), load_default=list)

    @post_load
    def make(self, data: dict, **_: Any) -> m.FieldSpec:
        data.setdefault("key", re.sub(r"[^a-z0-9]+", "_", data["path"].lower()).strip("_"))
        data["badges"] = tuple(data["badges"])
        return m.FieldSpec(**_requirement(data))


class SectionSchema(_Strict):
    key = fields.Str(required=True, validate=_KEY)
    title = fields.Str(required=True)
    items = fields.List(fields.Nested(FieldSchema), required=True, validate=validate.Length(min=1),
                        data_key="fields")

    @post_load
    def make(self, data: dict, **_: Any) -> m.SectionSpec:
        return m.SectionSpec(data["key"], data["title"], tuple(data["items"]))


class AudienceSchema(_Requires):
    title = fields.Str(load_default="Audiences")
    namespaces = fields.List(fields.Str(), load_default=lambda: ["ups"])
    max_items = fields.Int(load_default=20, validate=validate.Range(1, 500))

    @post_load
    def make(self, data: dict, **_: Any) -> m.AudienceSpec:
        data["namespaces"] = tuple(data["namespaces"])
        return m.AudienceSpec(**_requirement(data))


class EventItemSchema(_Strict):
    title = fields.Str(required=True, validate=_PATH)
    amount = fields.Str(validate=_PATH)
    currency = fields.Str(validate=_PATH)
    labels = fields.Dict(keys=fields.Str(), values=fields.Str(), load_default=dict)

    @post_load
    def make(self, data: dict, **_: Any) -> m.EventItemSpec:
        return m.EventItemSpec(**data)


class EventSectionSchema(_Requires):
    key = fields.Str(required=True, validate=_KEY)
    title = fields.Str(required=True)
    event_types = fields.List(fields.Str(), required=True, validate=validate.Length(min=1))
    max_items = fields.Int(load_default=5, validate=validate.Range(1, 100))
    item = fields.Nested(EventItemSchema, required=True)

    @post_load
    def make(self, data: dict, **_: Any) -> m.EventSectionSpec:
        data["event_types"] = tuple(data["event_types"])
        return m.EventSectionSpec(**_requirement(data))


class EventsSchema(_Strict):
    limit = fields.Int(load_default=50, validate=validate.Range(1, 1000))
    max_pages = fields.Int(load_default=2, validate=validate.Range(1, 20))
    sections = fields.List(fields.Nested(EventSectionSchema), load_default=list)
    paths = fields.List(fields.Str(validate=_PATH), load_default=list, data_key="fields")

    @post_load
    def make(self, data: dict, **_: Any) -> m.EventsSpec:
        return m.EventsSpec(data["limit"], data["max_pages"], tuple(data["paths"]), tuple(data["sections"]))


class _Target(fields.Str):
    """A write target in the provider's words (its ``parse_target``), loaded as a neutral Target."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return self.parent.provider.parse_target(text)  # type: ignore[union-attr]
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class WriteRuleSchema(_Requires):
    provider: Any = None  # set on the per-provider subclass (``_writeback_schema``)
    target = _Target(required=True)
    value = fields.Str(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]*(\.(badge|display))?$",
                                                               error="a card field key, optionally .badge or .display"))
    policy = fields.Str(load_default="fill_blank", validate=validate.OneOf(m.WRITE_POLICIES))
    prefix = fields.Str(load_default="", validate=validate.Regexp(r"^[a-z0-9_]*$"))

    @post_load
    def make(self, data: dict, **_: Any) -> m.WriteRule:
        return m.WriteRule(**_requirement(data))


class WritebackSchema(_Strict):
    note = fields.Bool(load_default=False)
    marker_tag = fields.Str(load_default=None, validate=validate.Regexp(r"^[a-z0-9_]+$"))
    rules = fields.List(fields.Nested(WriteRuleSchema), load_default=list)

    provider: Any = None

    @post_load
    def make(self, data: dict, **_: Any) -> m.Writeback:
        p = self.provider
        return m.Writeback(rules=tuple(data["rules"]), note=data["note"], marker_tag=data["marker_tag"],
                           note_target=targets.note(wire=p.note_wire),
                           tags_target=targets.record_tags(wire=p.tags_wire))


def _writeback_schema(provider: Any) -> WritebackSchema:
    """The writeback section of one provider: its targets parsed by its own grammar."""
    rules = type("WriteRuleSchema_" + provider.name, (WriteRuleSchema,), {"provider": provider})
    schema = type("WritebackSchema_" + provider.name, (WritebackSchema,),
                  {"provider": provider, "rules": fields.List(fields.Nested(rules), load_default=list)})
    return schema()


class _Writebacks(fields.Field):
    """``writeback``: one section per registered provider, keyed by its name."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> dict:
        if not isinstance(value, dict):
            raise ValidationError("a mapping of CRM name → write-back rules")
        loaded: dict[str, Any] = {}
        problems: dict[Any, Any] = {}
        for name, section in value.items():
            provider = providers.get(name) if isinstance(name, str) else None
            if provider is None:
                problems[name] = {"key": [f"Must be one of: {', '.join(providers.names())}."]}
                continue
            try:
                loaded[name] = _writeback_schema(provider).load(section)
            except ValidationError as exc:
                problems[name] = {"value": exc.messages}
        if problems:
            raise ValidationError(problems)
        return loaded


class AgentPolicySchema(_Strict):
    missing_consent = fields.Str(load_default="deny", validate=validate.OneOf(m.MISSING_CONSENT))
    hidden_labels = fields.Dict(keys=fields.Str(validate=_LABEL), values=fields.Str(validate=validate.Length(1, 200)),
                                load_default=dict)
    consent_reasons = fields.Dict(keys=fields.Str(validate=_CONSENT),
                                  values=fields.Str(validate=validate.Length(1, 200)), load_default=dict)

    @post_load
    def make(self, data: dict, **_: Any) -> m.AgentPolicy:
        reasons = {k.removesuffix(".val"): v for k, v in data["consent_reasons"].items()}
        return m.AgentPolicy(data["missing_consent"], dict(data["hidden_labels"]), reasons)


class ManifestSchema(_Strict):
    version = fields.Int(required=True, validate=validate.Equal(1))
    currency = fields.Str(load_default="USD", validate=validate.Regexp(r"^[A-Z]{3}$"))
    identity = fields.Nested(IdentitySchema, required=True)
    card = fields.List(fields.Nested(SectionSchema), required=True, validate=validate.Length(min=1))
    audiences = fields.Nested(AudienceSchema, load_default=lambda: {})
    events = fields.Nested(EventsSchema, load_default=lambda: {})
    writeback = _Writebacks(load_default=dict)
    agent_policy = fields.Nested(AgentPolicySchema, load_default=lambda: {})

    @validates_schema
    def check_keys(self, data: dict, **_: Any) -> None:
        keys = [f.key for s in data.get("card", []) for f in s.fields]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise ValidationError(f"card field keys must be unique: {', '.join(dupes)}", "card")
        for crm, spec in data.get("writeback", {}).items():
            unknown = [r.value for r in spec.rules if r.field_key not in keys and r.value not in m.RESERVED_VALUES]
            if unknown:
                raise ValidationError(f"{crm}: value(s) not among the card field keys: {', '.join(unknown)}",
                                      "writeback")

    @post_load
    def make(self, data: dict, **_: Any) -> m.Manifest:
        audiences = data["audiences"] if isinstance(data["audiences"], m.AudienceSpec) else m.AudienceSpec()
        events = data["events"] if isinstance(data["events"], m.EventsSpec) else m.EventsSpec()
        return m.Manifest(
            identity=data["identity"],
            sections=tuple(data["card"]),
            audiences=audiences,
            events=events,
            currency=data["currency"],
            writeback=dict(data["writeback"]),
            policy=data["agent_policy"] if isinstance(data["agent_policy"], m.AgentPolicy) else m.AgentPolicy(),
        )


def parse_manifest(document: Any, *, origin: str = "manifest") -> m.Manifest:
    """Validate a loaded YAML document; ManifestError names the first offending key."""
    if not isinstance(document, dict):
        raise ManifestError(f"{origin}: the manifest must be a mapping")
    try:
        return ManifestSchema().load(document)
    except ValidationError as exc:
        raise ManifestError(f"{origin}: {first_problem(exc.messages)}") from None


def load_manifest(path: str) -> m.Manifest:
    try:
        with open(path, encoding="utf-8") as fh:
            document = yaml.safe_load(fh)
    except OSError as exc:
        raise ManifestError(f"cannot read mapping manifest {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ManifestError(f"{path}: not valid YAML{where}") from None
    return parse_manifest(document, origin=path)


def first_problem(messages: Any, prefix: str = "") -> str:
    """Flatten marshmallow's nested messages into ``key.path: message`` (first one, sorted)."""
    if isinstance(messages, dict):
        for key in sorted(messages, key=str):
            if key == "_schema":
                return first_problem(messages[key], prefix.rstrip("."))
            return first_problem(messages[key], f"{prefix}{key}.")
    if isinstance(messages, list) and messages:
        if all(isinstance(x, str) for x in messages):
            where = prefix.rstrip(".") or "manifest"
            return f"{where}: {messages[0]}"
        return first_problem(messages[0], prefix)
    return f"{prefix.rstrip('.')}: {messages}"
