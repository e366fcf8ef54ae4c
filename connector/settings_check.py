"""Converting and checking setting values: the environment's text to each setting's kind, and the rules
every value must meet (one readable line per problem, naming the variable)."""
from __future__ import annotations

import types
from pathlib import Path
from typing import Any, Union, get_args, get_origin
from urllib.parse import urlsplit

from connector.i18n import normalise as normalise_locale

PREFIX = "CONNECTOR_"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def env_name(attr: str) -> str:
    return PREFIX + attr.upper()


def value_kind(tp: Any) -> str:
    """bool, int, float, tuple or str: how ``convert`` reads a setting of type ``tp`` (optional or not)."""
    if get_origin(tp) in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        return value_kind(args[0]) if len(args) == 1 else "str"
    if get_origin(tp) is tuple or tp is tuple:
        return "tuple"
    return {bool: "bool", int: "int", float: "float"}.get(tp, "str")


def convert(kind: str, text: str) -> Any:
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


def validate(s: Any) -> list[str]:
    problems = []
    for name in ("aep_ims_url", "aep_platform_url"):
        url = getattr(s, name)
        if url and (problem := url_problem(url)):
            problems.append(f"{env_name(name)}: {problem}")
    for prefix, section in s.sections.items():
        problems.extend(f"{env_name(prefix + '_' + name)}: {problem}" for name, problem in section.problems())
    if s.aep_sandbox != s.aep_sandbox.lower() or not s.aep_sandbox:
        problems.append(f"{env_name('aep_sandbox')}: sandbox names are lower-case, got {s.aep_sandbox!r}")
    for name in ("aep_timeout", "aep_max_retry_wait"):
        if getattr(s, name) <= 0:
            problems.append(f"{env_name(name)}: must be above 0")
    for name in ("aep_retries", "profile_cache_ttl", "worker_threads"):
        if getattr(s, name) < 0:
            problems.append(f"{env_name(name)}: must not be negative")
    for name in ("web_threads", "job_max_attempts", "retention_days", "job_lease_seconds", "sidebar_records_per_minute",
                 "api_key_writes_per_minute"):
        if getattr(s, name) < 1:
            problems.append(f"{env_name(name)}: must be at least 1")
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


def url_problem(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return f"expected an http(s) URL, got {url!r}"
    if parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS:
        return "must use https (http is allowed only for local emulators)"
    return None
