"""``aep-connector`` commands against the AEP emulator: output, JSON and exit codes."""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time

import pytest
import requests
from babel.numbers import format_currency
from click.testing import CliRunner

from connector.cli import main
from connector.sandbox import seed
from tests.conftest import API_KEY

CUSTOMER = seed.customer(5)


@pytest.fixture()
def env(aep, tmp_path):
    return {"CONNECTOR_DATABASE_URL": f"sqlite:///{tmp_path}/c.db", "CONNECTOR_QUEUE_URL": f"sqlite:///{tmp_path}/q.db",
            "CONNECTOR_AEP_IMS_URL": aep.url, "CONNECTOR_AEP_PLATFORM_URL": aep.url,
            "CONNECTOR_AEP_CLIENT_ID": "sandbox-client-id", "CONNECTOR_AEP_CLIENT_SECRET": "sandbox-client-secret",
            "CONNECTOR_AEP_ORG_ID": "ACME0000000000000000@AdobeOrg"}


def run(env, *args):
    clean = {k: None for k in os.environ if k.startswith("CONNECTOR_")}
    return CliRunner().invoke(main, list(args), env={**clean, **env})


def one_line_error(result, code, text):
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("aep-connector: ") and text in lines[0], result.stderr


def test_lookup_prints_the_card_for_a_person(env):
    result = run(env, "lookup", "--namespace", "CRMID", "--id", CUSTOMER.crm_id)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Profile found  (profile {CUSTOMER.entity_id}")
    assert f"{CUSTOMER.first} {CUSTOMER.last}" in result.stdout
    assert re.search(r"Churn propensity\s+\d+%", result.stdout)
    assert "matched      CRMID" in result.stdout


def test_lookup_json_is_the_api_json(env, client):
    result = run(env, "lookup", "--namespace", "Email", "--id", CUSTOMER.crm_email, "--json")
    assert result.exit_code == 0
    api = client.get("/api/v1/profiles", query_string={"namespace": "Email", "id": CUSTOMER.crm_email},
                     headers={"X-API-Key": API_KEY}).get_json()
    assert json.loads(result.stdout) == api


def test_lookup_not_found_exits_3_with_the_explanation(env):
    result = run(env, "lookup", "--namespace", "Email", "--id", "nobody@example.com")
    assert result.exit_code == 3
    assert "No AEP profile found" in result.stdout and "no profile" in result.stdout  # the outcome, in words


def test_lookup_in_french_with_french_formats(env):
    result = run(env, "lookup", "--namespace", "Email", "--id", CUSTOMER.crm_email, "--locale", "fr")
    assert result.exit_code == 0
    assert result.stdout.startswith("Profil trouvé") and "Comment le client a été identifié :" in result.stdout
    assert "Valeur vie client" in result.stdout and "Lifetime value" not in result.stdout
    # CLDR fr: thousands grouped with U+202F, a no-break space U+00A0 before the currency sign
    ltv = seed.profile_entity(CUSTOMER.index)["_acme"]["lifetimeValue"]
    assert format_currency(ltv, "USD", locale="fr") in result.stdout and "\u00a0$US" in result.stdout


def test_lookup_json_in_french_keeps_the_machine_values(env):
    result = run(env, "lookup", "--namespace", "Email", "--id", CUSTOMER.crm_email, "--locale", "fr", "--json")
    card = json.loads(result.stdout)
    ltv = next(i for s in card["sections"] for i in s["items"] if s["kind"] == "attributes"
               and i["key"] == "lifetime_value")
    assert card["locale"] == "fr" and ltv["value"] == seed.profile_entity(CUSTOMER.index)["_acme"]["lifetimeValue"]
    assert ltv["currency"] == "USD" and ltv["label"] == "Valeur vie client" and "$US" in ltv["display"]


@pytest.mark.parametrize("args, code, text", [
    (("--namespace", "Fax", "--id", "1"), 1, "unknown identity namespace 'Fax'"),
    (("--namespace", "Email", "--id", "not-an-email"), 1, "invalid Email identity: not an e-mail address"),
    (("--namespace", "ECID", "--id", "12"), 1, "an ECID is exactly 38 digits"),
])
def test_lookup_bad_identity_is_one_line(env, args, code, text):
    one_line_error(run(env, "lookup", *args), code, text)


def test_missing_settings_are_one_line():
    one_line_error(run({}, "lookup", "--namespace", "Email", "--id", "a@b.co"), 2,
                   "missing setting(s): CONNECTOR_AEP_CLIENT_ID, CONNECTOR_AEP_CLIENT_SECRET, CONNECTOR_AEP_ORG_ID")


def test_unreachable_aep_is_one_line(env):
    env = {**env, "CONNECTOR_AEP_IMS_URL": "http://127.0.0.1:9", "CONNECTOR_AEP_RETRIES": "0"}
    one_line_error(run(env, "lookup", "--namespace", "Email", "--id", "a@b.co"), 1, "cannot reach Adobe IMS")


def test_invalid_manifest_names_the_key(env, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nidentity: {namespaces: {Email: email}, candidates: [{from: email, namespace: Email}]}\n"
                   "card: [{key: c, title: C, fields: [{path: a.b, label: A, colour: red}]}]\n", encoding="utf-8")
    one_line_error(run({**env, "CONNECTOR_MAPPING": str(bad)}, "check"), 2, "card.0.fields.0.colour: Unknown field")


def test_invalid_setting_value_is_one_line(env):
    one_line_error(run({**env, "CONNECTOR_AEP_TIMEOUT": "soon"}, "check"), 2, "CONNECTOR_AEP_TIMEOUT")


def test_check_passes_against_a_healthy_aep(env):
    result = run(env, "check")
    assert result.exit_code == 0, result.output
    assert "ok   AEP token (IMS)" in result.stdout
    assert "all 7 manifest namespaces exist" in result.stdout
    assert result.stdout.strip().endswith("all checks passed")


def test_check_fails_when_a_manifest_namespace_is_missing_in_aep(env, tmp_path):
    manifest = tmp_path / "m.yaml"
    manifest.write_text("version: 1\nidentity: {namespaces: {Email: email, LoyaltyId: plain}, candidates: "
                        "[{from: email, namespace: Email}]}\n"
                        "card: [{key: c, title: C, fields: [{path: a.b, label: A}]}]\n",
                        encoding="utf-8")
    result = run({**env, "CONNECTOR_MAPPING": str(manifest)}, "check")
    assert result.exit_code == 1
    assert "FAIL AEP identity namespaces: not defined in AEP sandbox prod: LoyaltyId" in result.stdout


def test_installed_console_script_runs(env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CONNECTOR_")}
    done = subprocess.run([os.path.join(os.path.dirname(sys.executable), "aep-connector"), "lookup", "--namespace",
                           "Phone_E.164", "--id", CUSTOMER.crm_phone, "--json"], env={**clean, **env},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["profileId"] == CUSTOMER.entity_id


def test_demo_serves_the_lookup_api():
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CONNECTOR_")}
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "connector.cli", "demo", "--port", str(port)], env=clean,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        output = []
        key = None
        deadline = time.time() + 180  # generous: the demo starts three emulators and enriches live
        while time.time() < deadline:
            line = proc.stdout.readline()
            output.append(line)
            if line.startswith("API key:"):
                key = line.split(":", 1)[1].strip()
            if line.startswith("Ctrl-C stops."):
                break
        text = "".join(output)
        assert key, text
        assert "Profile found" in text
        assert re.search(r"ticket \d+ enrichment: done \(written\)", text)  # the live Zendesk enrichment
        assert "internal note:" in text and "aep_enriched" in text
        assert re.search(r"case 500\w+ enrichment: done \(written\)", text)  # the live Salesforce enrichment
        assert '"status": "found"' in text  # the card JSON the Lightning component renders
        body = None
        while time.time() < deadline:
            try:
                body = requests.get(f"http://127.0.0.1:{port}/api/v1/profiles", headers={"X-API-Key": key},
                                    params={"namespace": "CRMID", "id": "CRM000001"}, timeout=5).json()
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        assert body and body["status"] == "found"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_demo_on_a_taken_port_says_how_to_choose_one():
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CONNECTOR_")}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "connector.cli", "demo", "--port", str(port)], env=clean,
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip() == f"aep-connector: port {port} is already in use: choose another with --port"
    assert "Traceback" not in done.stdout + done.stderr


def test_demo_moves_to_a_free_port_when_the_default_one_is_taken(monkeypatch):
    from connector.demo import run_demo

    for name in [k for k in os.environ if k.startswith("CONNECTOR_")]:
        monkeypatch.delenv(name)
    lines: list[str] = []
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert run_demo(port=port, echo=lines.append, serve=False, any_port_if_taken=True) == 0
    moved = re.fullmatch(rf"Port {port} is already in use; the connector listens on (\d+) instead \(--port chooses "
                         r"one\)\.", lines[0])
    assert moved and int(moved.group(1)) != port
    assert any(line.startswith(f"Connector:         http://127.0.0.1:{moved.group(1)}") for line in lines)
