"""The Zendesk app package against the manifest rules of reference/zendesk.md §2.2 (Zendesk's own
validator runs server-side only), and the upload zip the project builds."""
from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest

from connector.packaging import APP_DIR, package_zendesk_app

MANIFEST = json.loads((APP_DIR / "manifest.json").read_text(encoding="utf-8"))
KNOWN_KEYS = {"name", "author", "defaultLocale", "private", "location", "version", "frameworkVersion", "parameters",
              "domainWhitelist", "signedUrls", "singleInstall", "requirementsOnly", "marketingOnly", "noTemplate",
              "oauth", "remoteInstallationURL", "termsConditionsURL", "gaID", "experiments"}
SUPPORT_LOCATIONS = {"top_bar", "nav_bar", "ticket_sidebar", "new_ticket_sidebar", "user_sidebar",
                     "organization_sidebar", "background", "modal", "ticket_editor", "system_top_bar"}
LOCATION_OPTIONS = {"url", "flexible", "autoLoad", "autoHide", "signed", "size", "legacy", "objectTypes"}
PARAMETER_TYPES = {"text", "checkbox", "url", "number", "multiline", "hidden", "oauth"}
SCOPES = {"header", "body", "url", "jwt_secret_key", "jwt_claim", "basic_auth_username", "basic_auth_password"}


def test_required_top_level_keys_and_nothing_unknown():
    for key in ("author", "defaultLocale", "location", "frameworkVersion"):
        assert key in MANIFEST, key
    assert set(MANIFEST) <= KNOWN_KEYS
    assert MANIFEST["frameworkVersion"] == "2.0"
    assert set(MANIFEST["author"]) == {"name", "email", "url"}
    assert re.match(r"^https?://[^/\s]+", MANIFEST["author"]["url"])


def test_locations_are_sidebars_loaded_with_signed_urls():
    support = MANIFEST["location"]["support"]
    assert set(support) == {"ticket_sidebar", "user_sidebar"} and set(support) <= SUPPORT_LOCATIONS
    for options in support.values():
        assert set(options) <= LOCATION_OPTIONS
        url = options["url"]
        # absolute https, localhost, a packaged assets/ file, or a {{setting.…}} URL (accepted unchecked)
        assert "{{setting." in url or url.startswith("https://") or (APP_DIR / url).is_file()
        assert url.endswith("/zendesk/sidebar")
    assert MANIFEST["signedUrls"] is True


def parameter_problems(parameters: list[dict]) -> list[str]:
    """Zendesk's parameter rules (reference/zendesk.md §2.2), as messages."""
    problems = []
    names = [p["name"] for p in parameters]
    if "name" in names or len(names) != len(set(names)):
        problems.append("parameter names must be unique and not 'name'")
    for param in parameters:
        label = param["name"]
        if param.get("type", "text") not in PARAMETER_TYPES:
            problems.append(f"{label}: unknown type")
        if param.get("type") == "hidden" and param.get("required"):
            problems.append(f"{label}: hidden cannot be required")
        if param.get("type") == "oauth" and param.get("secure"):
            problems.append(f"{label}: oauth cannot be secure")
        if re.search(r"token|key|pwd|password", label) and not param.get("secure"):
            problems.append(f"{label}: looks like a secret but is not secure")
        if param.get("secure") and not (param.get("scopes") and set(param["scopes"]) <= SCOPES):
            problems.append(f"{label}: secure parameters need scopes")
        if not param.get("secure") and "scopes" in param:
            problems.append(f"{label}: scopes only on secure parameters")
    return problems


def test_parameters_follow_the_rules():
    assert parameter_problems(MANIFEST["parameters"]) == []


@pytest.mark.parametrize("param, problem", [
    ({"name": "api_token", "type": "text"}, "not secure"),
    ({"name": "api_token", "type": "text", "secure": True}, "need scopes"),
    ({"name": "api_token", "secure": True, "scopes": ["cookie"]}, "need scopes"),
    ({"name": "name"}, "not 'name'"),
    ({"name": "x", "type": "password"}, "unknown type"),
    ({"name": "x", "type": "hidden", "required": True}, "hidden cannot be required"),
])
def test_parameter_rules_catch_broken_parameters(param, problem):
    assert any(problem in p for p in parameter_problems([param]))


def test_translations_exist_for_the_default_locale_with_every_label():
    translations = json.loads((APP_DIR / "translations" / f"{MANIFEST['defaultLocale']}.json").read_text("utf-8"))
    app = translations["app"]
    for key in ("name", "short_description", "long_description", "installation_instructions"):
        assert app.get(key), key
    for param in MANIFEST["parameters"]:
        assert app["parameters"][param["name"]]["label"]


def test_logos_are_pngs_of_the_expected_sizes():
    for name, size in (("logo.png", 320), ("logo-small.png", 128)):
        data = (APP_DIR / "assets" / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert int.from_bytes(data[16:20], "big") == size == int.from_bytes(data[20:24], "big")


def test_package_builds_a_reproducible_zip(tmp_path: Path):
    first = package_zendesk_app(tmp_path / "a")
    second = package_zendesk_app(tmp_path / "b")
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        names = set(archive.namelist())
    assert names == {"manifest.json", "translations/en.json", "translations/fr.json", "assets/logo.png",
                     "assets/logo-small.png"}
