"""deploy/: Kubernetes manifests against the API schemas, the compose file, the image, gunicorn.

No Docker engine runs on the CI machines: `docker compose config` and `docker build` cannot run here,
so the files are checked as data (the image builds where an engine exists: see the README).
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import yaml

from connector.config import SETTING_NAMES, env_name

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SETTINGS = {env_name(n) for n in SETTING_NAMES}
NOT_SETTINGS = {"WEB_CONCURRENCY", "PORT"}  # gunicorn's own


def k8s_documents():
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc:
                yield path.name, doc


@pytest.mark.parametrize("name, doc", list(k8s_documents()), ids=lambda v: v if isinstance(v, str) else v["kind"])
def test_kubernetes_manifests_validate_against_the_api_schema(name, doc):
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    kubernetes_validate.validate(doc, kubernetes_validate.latest_version(), strict=True)


def test_kubernetes_probes_and_settings():
    docs = {(d["kind"], d["metadata"]["name"]): d for _, d in k8s_documents()}
    web = docs[("Deployment", "aep-connector-web")]["spec"]["template"]["spec"]["containers"][0]
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
    worker = docs[("Deployment", "aep-connector-worker")]["spec"]["template"]["spec"]["containers"][0]
    assert worker["command"] == ["aep-connector", "worker"]
    keys = set(docs[("ConfigMap", "aep-connector")]["data"]) | set(docs[("Secret", "aep-connector")]["stringData"])
    assert keys - NOT_SETTINGS <= SETTINGS, keys - NOT_SETTINGS - SETTINGS
    assert {("HorizontalPodAutoscaler", "aep-connector-web"), ("Service", "aep-connector")} <= set(docs)


@pytest.mark.parametrize("name", ["aep-connector-web", "aep-connector-worker"])
def test_kubernetes_pods_run_as_the_images_numeric_non_root_user(name):
    docs = {(d["kind"], d["metadata"]["name"]): d for _, d in k8s_documents()}
    pod = docs[("Deployment", name)]["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] == 10001
    for container in pod["containers"]:
        context = container["securityContext"]
        assert context["runAsNonRoot"] is True and context["runAsUser"] == 10001
        assert context["allowPrivilegeEscalation"] is False and context["capabilities"]["drop"] == ["ALL"]


def test_kubernetes_backend_urls_with_passwords_are_secrets():
    docs = {(d["kind"], d["metadata"]["name"]): d for _, d in k8s_documents()}
    config = docs[("ConfigMap", "aep-connector")]["data"]
    secret = docs[("Secret", "aep-connector")]["stringData"]
    assert not {"CONNECTOR_DATABASE_URL", "CONNECTOR_QUEUE_URL", "CONNECTOR_CACHE_URL"} & set(config)
    assert secret["CONNECTOR_CACHE_URL"].startswith("redis://:") and "CONNECTOR_METRICS_TOKEN" in secret


def test_compose_file_has_the_stack_with_healthchecks():
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"web", "worker", "redis", "postgres", "aep-emulator"} <= set(services)
    for name in ("web", "worker", "redis", "postgres", "aep-emulator"):
        assert services[name]["healthcheck"]["test"], name
    assert services["aep-emulator"]["profiles"] == ["sandbox"]
    assert services["worker"]["command"] == ["aep-connector", "worker"]
    assert services["web"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    env = services["web"]["environment"]
    assert set(env) <= SETTINGS
    assert env["CONNECTOR_DATABASE_URL"].startswith("postgresql://") and env["CONNECTOR_QUEUE_URL"].startswith("redis://")


def test_compose_takes_passwords_from_env_and_keeps_the_profile_cache_off_disk():
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    env = services["web"]["environment"]
    assert "${POSTGRES_PASSWORD:?" in env["CONNECTOR_DATABASE_URL"]
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    assert env["CONNECTOR_QUEUE_URL"].startswith("redis://:${REDIS_PASSWORD:?")
    cache_url = env["CONNECTOR_CACHE_URL"]
    assert cache_url.startswith("redis://:${REDIS_PASSWORD:?") and "@redis-cache:" in cache_url
    for name in ("redis", "redis-cache"):
        command = " ".join(services[name]["command"])
        assert "--requirepass" in command
        assert services[name]["environment"]["REDISCLI_AUTH"].startswith("${REDIS_PASSWORD")
    cache = " ".join(services["redis-cache"]["command"])
    assert "--save ''" in cache and "--appendonly no" in cache and "volumes" not in services["redis-cache"]


def test_image_is_pinned_non_root_and_health_checked():
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:\d+\.\d+\.\d+-slim-\w+$", dockerfile, re.M)
    assert re.search(r"^USER 10001(:10001)?$", dockerfile, re.M)  # numeric: runAsNonRoot can check it
    assert "HEALTHCHECK" in dockerfile and "/healthz" in dockerfile
    assert 'CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "connector.wsgi:app"]' in dockerfile


def test_gunicorn_logs_no_query_strings():
    namespace: dict = {}
    exec(compile((DEPLOY / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), namespace)
    assert "%(U)s" in namespace["access_log_format"]
    assert not any(token in namespace["access_log_format"] for token in ("%(q)s", "%(r)s", "%(f)s"))
    assert namespace["worker_class"] == "gthread" and namespace["bind"].endswith(":8080")


def test_compose_file_validates_against_the_compose_specification(tmp_path):
    """What `docker compose config` checks, without an engine: the Compose Specification schema
    (vendored in check-jsonschema, so it runs offline)."""
    import shutil
    import subprocess

    beside = Path(sys.executable).with_name("check-jsonschema")  # the test environment's own, even when not activated
    tool = str(beside) if beside.is_file() else shutil.which("check-jsonschema")
    if tool is None:
        pytest.skip("check-jsonschema is in the test extras")
    good = subprocess.run([tool, "--builtin-schema", "vendor.compose-spec", str(DEPLOY / "docker-compose.yml")],
                          capture_output=True, text=True, timeout=120)
    assert good.returncode == 0, good.stdout + good.stderr
    bad = tmp_path / "bad-compose.yml"
    bad.write_text("services:\n  web:\n    image: aep\n    healthcheck: {intervall: 3s}\n", encoding="utf-8")
    refused = subprocess.run([tool, "--builtin-schema", "vendor.compose-spec", str(bad)],
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode != 0 and "intervall" in refused.stdout + refused.stderr
