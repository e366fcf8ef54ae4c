"""Settings from ``CONNECTOR_*`` environment variables, validated once at start-up.

A YAML file named by ``CONNECTOR_CONFIG_FILE`` may set the same keys (without the prefix);
the environment wins over the file. No secret has a default.
"""
from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, get_type_hints

import yaml

from connector.bundled import manifest_path
from connector.errors import ConfigError
from connector.settings_check import PREFIX, convert, env_name, validate, value_kind

DEFAULT_MAPPING = manifest_path("mappings", "default.yaml")
DEFAULT_SCOPES = "openid,session,AdobeID,read_organizations,additional_info.projectedProductContext"
AEP_REQUIRED = ("aep_client_id", "aep_client_secret", "aep_org_id")


@dataclass(frozen=True)
class CoreSettings:
    """The connector's own settings; ``CONNECTOR_<NAME upper-cased>`` sets each one."""

    aep_client_id: str | None = None
    aep_client_secret: str | None = field(default=None, repr=False)
    aep_org_id: str | None = None
    aep_scopes: str = DEFAULT_SCOPES
    aep_sandbox: str = "prod"
    aep_ims_url: str = "https://ims-na1.adobelogin.com"
    aep_platform_url: str = "https://platform.adobe.io"
    aep_merge_policy_id: str | None = None
    aep_timeout: float = 5.0
    aep_retries: int = 2
    aep_max_retry_wait: float = 2.0
    ca_bundle: str | None = None
    mapping: str = str(DEFAULT_MAPPING)
    database_url: str = "sqlite:///var/connector.db"
    queue_url: str = "sqlite:///var/queue.db"
    cache_url: str | None = None
    api_keys: tuple[str, ...] = field(default=(), repr=False)  # KEY or KEY:scope[+scope], see api_key_scopes
    api_key_writes_per_minute: int = 60  # write-backs one API key may queue a minute (POST /zendesk/sidebar/enrich)
    metrics_token: str | None = field(default=None, repr=False)
    sandbox: bool = False
    profile_cache_ttl: int = 300
    web_threads: int = 32
    retention_days: int = 90
    worker_threads: int = 2
    job_max_attempts: int = 6
    job_lease_seconds: int = 120  # a job held longer by a silent worker is given to another
    session_secret: str | None = field(default=None, repr=False)
    sidebar_records_per_minute: int = 20  # distinct records an agent's sidebar sessions may open a minute
    log_level: str = "INFO"
    note_locale: str = "en"  # language and formats of the internal note and of `.display` write-backs
    # each provider's section (a dataclass), by provider name: see Settings
    sections: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def sqlite_path(self, name: str) -> str | None:
        """The file of a ``sqlite:///path`` backend URL (relative paths from the working directory)."""
        url = getattr(self, name)
        return url[len("sqlite:///"):] if url.startswith("sqlite:///") else None

    def require(self, *names: str) -> None:  # noqa: D102
        missing = [env_name(n) for n in names if not getattr(self, n)]
        if missing:
            raise ConfigError("missing setting(s): " + ", ".join(missing))

    def require_aep(self) -> None:
        """Raise ConfigError naming every missing AEP credential setting."""
        self.require(*AEP_REQUIRED)


API_SCOPES = ("lookup", "write")


def api_key_scopes(entries: tuple[str, ...]) -> list[tuple[str, frozenset[str]]]:
    """``KEY`` (every scope: what a key meant before scopes existed), ``KEY:lookup``, ``KEY:write`` or
    ``KEY:lookup+write``. A suffix that names no scope is part of the key, so older keys keep working."""
    parsed = []
    for entry in entries:
        key, sep, suffix = entry.rpartition(":")
        names = set(suffix.split("+"))
        if sep and key and names <= set(API_SCOPES):
            parsed.append((key, frozenset(names)))
        else:
            parsed.append((entry, frozenset(API_SCOPES)))
    return parsed


class Settings(CoreSettings):
    """Every setting: the connector's own, and one section per provider (``settings.section("zendesk")``,
    a dataclass whose field ``url`` is ``CONNECTOR_<PROVIDER>_URL``). Provider settings read flat too
    (``settings.<provider>_url``), as their environment names are. Frozen, like its sections."""

    def __init__(self, **values: Any) -> None:
        core_names = {f.name for f in dataclasses.fields(CoreSettings)}
        given: dict[str, dict[str, Any]] = {}
        for name, section in (values.pop("sections", None) or {}).items():  # dataclasses.replace passes them
            given[name] = {f.name: getattr(section, f.name) for f in dataclasses.fields(section)}
        core = {}
        for name, value in values.items():
            if name in core_names:
                core[name] = value
            else:
                provider, attr = _section_of(name)
                given.setdefault(provider, {})[attr] = value
        super().__init__(**core)
        sections = {p.name: p.settings(**given.get(p.name, {})) for p in _providers()}
        object.__setattr__(self, "sections", sections)
        # flat name → (section, field), so that reading settings.zendesk_url is one dictionary lookup
        object.__setattr__(self, "_flat", {f"{prefix}_{name}": (section, name) for prefix, section in sections.items()
                                           for name in _field_names(section)})

    def __setattr__(self, name: str, value: Any) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot assign to setting {name!r}")

    def __delattr__(self, name: str) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot delete setting {name!r}")

    def __getattr__(self, name: str) -> Any:
        found = self.__dict__.get("_flat", {}).get(name)
        if found is None:
            raise AttributeError(f"no setting {name!r}")
        return getattr(*found)

    def section(self, provider: str) -> Any:
        return self.sections[provider]

    def values(self) -> dict[str, Any]:
        """Every setting by its flat name (the environment's, without the prefix)."""
        flat = {f.name: getattr(self, f.name) for f in dataclasses.fields(CoreSettings) if f.name != "sections"}
        flat.update({name: getattr(*found) for name, found in self._flat.items()})
        return flat

    def replace(self, **changes: Any) -> Settings:
        return Settings(**{**self.values(), **changes})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Settings) and self.values() == other.values()

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.values().items())))

    def __reduce__(self) -> tuple:
        return _rebuild, (self.values(),)

    def __repr__(self) -> str:
        shown = {f.name: getattr(self, f.name) for f in dataclasses.fields(CoreSettings) if f.repr}
        for section in self.sections.values():
            shown[type(section).__name__] = section
        return "Settings(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"


def _rebuild(values: dict[str, Any]) -> Settings:
    return Settings(**values)


def _providers() -> list:
    from connector.providers import all_providers

    return all_providers()


def _field_names(section: Any) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(section))


def _section_of(name: str) -> tuple[str, str]:
    for provider in _providers():
        prefix = provider.name + "_"
        if name.startswith(prefix) and name[len(prefix):] in {f.name for f in dataclasses.fields(provider.settings)}:
            return provider.name, name[len(prefix):]
    raise TypeError(f"no setting {name!r}")


def setting_types() -> dict[str, str]:
    """Every setting's flat name → the kind of value it takes: bool, int, float, tuple or str (core first,
    then each provider's section; the annotations are resolved, so a section may be written either way)."""
    kinds = {name: value_kind(tp) for name, tp in get_type_hints(CoreSettings).items() if name != "sections"}
    for provider in _providers():
        kinds.update({f"{provider.name}_{name}": value_kind(tp)
                      for name, tp in get_type_hints(provider.settings).items()})
    return kinds


def __getattr__(name: str) -> Any:
    if name == "SETTING_NAMES":  # computed when asked: a provider plug-in may import this module first
        return tuple(setting_types())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read, convert and validate settings; raise ConfigError with every problem found."""
    environ = os.environ if environ is None else environ
    raw: dict[str, str] = {}
    config_file = environ.get(PREFIX + "CONFIG_FILE")
    if config_file:
        raw.update(_read_file(config_file))
    types = setting_types()
    for name in types:
        value = environ.get(env_name(name))
        if value is not None and value != "":
            raw[name] = value
    values, problems = {}, []
    for name, text in raw.items():
        try:
            values[name] = convert(types[name], str(text).strip())
        except ValueError as exc:
            problems.append(f"{env_name(name)}: {exc}")
    settings = Settings(**values)
    problems.extend(validate(settings))
    if problems:
        raise ConfigError("invalid configuration: " + "; ".join(problems))
    return settings


def _read_file(path: str) -> dict[str, str]:
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read CONNECTOR_CONFIG_FILE {path}: {exc.__class__.__name__}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"CONNECTOR_CONFIG_FILE {path} must hold a mapping of settings")
    out = {}
    for key, value in data.items():
        name = str(key).lower().removeprefix(PREFIX.lower())
        if name not in setting_types():
            raise ConfigError(f"CONNECTOR_CONFIG_FILE {path}: unknown setting {key!r}")
        out[name] = value if not isinstance(value, list) else ",".join(map(str, value))
    return out
