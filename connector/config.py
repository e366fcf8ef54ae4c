"""Settings from ``CONNECTOR_*`` environment variables, validated once at start-up.

A YAML file named by ``CONNECTOR_CONFIG_FILE`` may set the same keys (without the prefix);
the environment wins over the file. No secret has a default.
"""
from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from connector.bundled import manifest_path
from connector.errors import ConfigError
from connector.i18n import normalise as normalise_locale

PREFIX = "CONNECTOR_"
DEFAULT_MAPPING = manifest_path("mappings", "default.yaml")
DEFAULT_SCOPES = "openid,session,AdobeID,read_organizations,additional_info.projectedProductContext"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
AEP_REQUIRED = ("aep_client_id", "aep_client_secret", "aep_org_id")


@dataclass(frozen=True)
class Settings:
    """Every setting of the connector; ``CONNECTOR_<NAME upper-cased>`` sets each one."""

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
    zendesk_url: str | None = None
    zendesk_email: str | None = None
    zendesk_api_token: str | None = field(default=None, repr=False)
    zendesk_webhook_secret: str | None = field(default=None, repr=False)
    zendesk_app_public_key: str | None = field(default=None, repr=False)
    zendesk_app_id: str | None = None
    zendesk_rate_limit: int = 600  # requests per window for all workers together (Enterprise allows 700/min)
    zendesk_rate_window: int = 60
    salesforce_instance_url: str | None = None
    salesforce_client_id: str | None = None
    salesforce_client_secret: str | None = field(default=None, repr=False)
    salesforce_org_id: str | None = None
    salesforce_callout_secret: str | None = field(default=None, repr=False)
    salesforce_username: str | None = None
    salesforce_password: str | None = field(default=None, repr=False)  # with the security token appended
    salesforce_private_key: str | None = field(default=None, repr=False)  # PEM text or file, for JWT bearer
    salesforce_login_url: str = "https://login.salesforce.com"
    salesforce_namespace: str = ""
    salesforce_api_share: float = 0.8
    # Outbound Messages: a verified SessionId of the org is the default proof; these are the alternatives.
    salesforce_outbound_token: str | None = field(default=None, repr=False)  # ?token= in the endpoint URL
    salesforce_outbound_client_cert_header: str | None = None  # set to SUCCESS by a TLS proxy that checked mTLS
    salesforce_outbound_user_id: str | None = None  # the Outbound Message's "user to send as": only its sessions
    salesforce_outbound_per_minute: int = 300  # notifications accepted per org and minute
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

    def replace(self, **changes: Any) -> "Settings":
        return dataclasses.replace(self, **changes)

    def sqlite_path(self, name: str) -> str | None:
        """The file of a ``sqlite:///path`` backend URL (relative paths from the working directory)."""
        url = getattr(self, name)
        return url[len("sqlite:///"):] if url.startswith("sqlite:///") else None

    def require(self, *names: str) -> None:
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


def env_name(attr: str) -> str:
    return PREFIX + attr.upper()


SETTING_NAMES = tuple(f.name for f in dataclasses.fields(Settings))


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read, convert and validate settings; raise ConfigError with every problem found."""
    environ = os.environ if environ is None else environ
    raw: dict[str, str] = {}
    config_file = environ.get(PREFIX + "CONFIG_FILE")
    if config_file:
        raw.update(_read_file(config_file))
    for name in SETTING_NAMES:
        value = environ.get(env_name(name))
        if value is not None and value != "":
            raw[name] = value
    values, problems = {}, []
    types = {f.name: str(f.type) for f in dataclasses.fields(Settings)}
    for name, text in raw.items():
        try:
            values[name] = _convert(types[name], str(text).strip())
        except ValueError as exc:
            problems.append(f"{env_name(name)}: {exc}")
    settings = Settings(**values)
    problems.extend(_validate(settings))
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
        if name not in SETTING_NAMES:
            raise ConfigError(f"CONNECTOR_CONFIG_FILE {path}: unknown setting {key!r}")
        out[name] = value if not isinstance(value, list) else ",".join(map(str, value))
    return out


def _convert(kind: str, text: str) -> Any:
    if kind == "bool":
        if text.lower() in {"1", "true", "yes", "on"}:
            return True
        if text.lower() in {"0", "false", "no", "off"}:
            return False
        raise ValueError(f"expected a boolean (1/0, true/false), got {text!r}")
    if kind == "int":
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"expected a whole number, got {text!r}") from None
    if kind == "float":
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"expected a number, got {text!r}") from None
    if kind.startswith("tuple"):
        return tuple(part.strip() for part in text.split(",") if part.strip())
    return text


def _validate(s: Settings) -> list[str]:
    problems = []
    for name in ("aep_ims_url", "aep_platform_url", "zendesk_url", "salesforce_instance_url", "salesforce_login_url"):
        url = getattr(s, name)
        if url and (problem := _url_problem(url)):
            problems.append(f"{env_name(name)}: {problem}")
    if s.aep_sandbox != s.aep_sandbox.lower() or not s.aep_sandbox:
        problems.append(f"{env_name('aep_sandbox')}: sandbox names are lower-case, got {s.aep_sandbox!r}")
    if not 0 < s.salesforce_api_share <= 1:
        problems.append(f"{env_name('salesforce_api_share')}: a share of the daily allocation, in (0, 1]")
    if s.salesforce_namespace and not s.salesforce_namespace.isidentifier():
        problems.append(f"{env_name('salesforce_namespace')}: a namespace prefix such as 'aep', "
                        f"got {s.salesforce_namespace!r}")
    for name in ("aep_timeout", "aep_max_retry_wait"):
        if getattr(s, name) <= 0:
            problems.append(f"{env_name(name)}: must be above 0")
    for name in ("aep_retries", "profile_cache_ttl", "worker_threads"):
        if getattr(s, name) < 0:
            problems.append(f"{env_name(name)}: must not be negative")
    for name in ("web_threads", "job_max_attempts", "retention_days", "zendesk_rate_limit", "zendesk_rate_window",
                 "job_lease_seconds", "salesforce_outbound_per_minute", "sidebar_records_per_minute",
                 "api_key_writes_per_minute"):
        if getattr(s, name) < 1:
            problems.append(f"{env_name(name)}: must be at least 1")
    if s.salesforce_outbound_token is not None and len(s.salesforce_outbound_token) < 24:
        problems.append(f"{env_name('salesforce_outbound_token')}: at least 24 random characters "
                        "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')")
    header = s.salesforce_outbound_client_cert_header
    if header is not None and not re.fullmatch(r"[A-Za-z0-9-]{1,64}", header):
        problems.append(f"{env_name('salesforce_outbound_client_cert_header')}: an HTTP header name, got {header!r}")
    if s.cache_url and not s.cache_url.startswith(("redis://", "rediss://")):
        problems.append(f"{env_name('cache_url')}: expected redis://host:port/db (empty: in-process cache)")
    for name in ("database_url", "queue_url"):
        if not getattr(s, name).startswith(("sqlite:///", "postgresql", "redis://", "rediss://")):
            problems.append(f"{env_name(name)}: expected sqlite:///path, postgresql://… or redis://…")
    if s.ca_bundle and not Path(s.ca_bundle).is_file():
        problems.append(f"{env_name('ca_bundle')}: no file at {s.ca_bundle}")
    if normalise_locale(s.note_locale) is None:
        problems.append(f"{env_name('note_locale')}: a locale such as en, fr or fr_FR, got {s.note_locale!r}")
    if not Path(s.mapping).is_file():
        problems.append(f"{env_name('mapping')}: no file at {s.mapping}")
    return problems


def _url_problem(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return f"expected an http(s) URL, got {url!r}"
    if parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS:
        return "must use https (http is allowed only for local emulators)"
    return None
