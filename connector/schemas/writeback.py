"""The manifest's ``writeback`` section: one section per registered provider, each rule's target parsed
by that provider's own grammar into the neutral one (``connector.core.targets``)."""
from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, post_load, validate

from connector import providers
from connector.core import manifest as m
from connector.core import targets
from connector.schemas.manifest_base import _requirement, _Requires, _Strict


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
