"""deploy/env.example lists every setting, and nothing that is not one."""
from pathlib import Path

from connector.config import SETTING_NAMES, env_name, load_settings

ENV_EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "env.example"
COMPOSE_ONLY = {"POSTGRES_PASSWORD", "REDIS_PASSWORD"}  # read by deploy/docker-compose.yml, not by the connector


def _entries() -> dict[str, str]:
    lines = [line for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    return dict(line.split("=", 1) for line in lines)


def test_env_example_lists_every_setting():
    assert sorted(set(_entries()) - COMPOSE_ONLY) == sorted(env_name(n) for n in SETTING_NAMES)
    assert set(_entries()) >= COMPOSE_ONLY


def test_env_example_values_are_valid_settings():
    load_settings({k: v for k, v in _entries().items() if v and k not in COMPOSE_ONLY})
