"""Mapping manifest schema: unknown keys are refused so that a typo fails at start-up."""
from __future__ import annotations

import re
from typing import Any

import yaml
from marshmallow import ValidationError, fields, post_load, validate, validates_schema

from connector.core import manifest as m
from connector.errors import ManifestError
from connector.schemas.manifest_base import _CONSENT, _KEY, _LABEL, _PATH, _SOURCE, _requirement, _Requires, _Strict
from connector.schemas.writeback import _Writebacks


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
