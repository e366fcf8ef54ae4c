"""The catalog check: every message the code, templates, sidebar script and shipped manifest use is in
the English template and translated in every catalog; the ZAF translations and Salesforce Custom
Labels are complete in French too."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from babel.messages.extract import extract, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from connector import i18n
from connector.web.i18n import SCRIPT_MESSAGES

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "N_": None, "gettext": None}
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
SF = ROOT / "manifests" / "salesforce" / "force-app" / "main" / "default"
MD = "{http://soap.sforce.com/2006/04/metadata}"
LANGUAGES = [code for code in i18n.supported() if code != i18n.SOURCE_LANGUAGE]


def used_messages() -> set[str]:
    """What babel's extractors find with the project's babel.cfg (python, jinja2, javascript, manifest)."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found = extract_from_dir(str(ROOT), method_map, options_map, keywords=KEYWORDS)
    return {message for _file, _line, message, _comments, _context in found if isinstance(message, str)}


def catalog(path: Path, language: str | None = None):
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


USED = used_messages()


def test_the_extractors_see_every_surface():
    # one message from each place, so a broken extractor mapping cannot pass as "nothing missing"
    for message in ("AEP customer profile", "Write to ticket", "Could not write to the ticket.", "Lifetime value",
                    "Profile found", "Recent activity could not be loaded from AEP just now.", "Yes"):
        assert message in USED


def test_the_english_template_lists_exactly_the_messages_in_use():
    template = {m.id for m in catalog(i18n.LOCALE_DIR / "messages.pot") if m.id}
    assert not USED - template, f"missing from messages.pot (run pybabel extract): {sorted(USED - template)}"
    assert not template - USED, f"no longer used, drop from messages.pot: {sorted(template - USED)}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_in_use_is_translated(language):
    translated = {str(m.id): str(m.string) for m in catalog(i18n.catalog_path(language), language)
                  if m.id and m.string and not m.fuzzy}
    missing = sorted(USED - set(translated))
    assert not missing, f"{language}: untranslated messages: {missing}"
    for message in USED:
        assert set(PLACEHOLDER.findall(translated[message])) == set(PLACEHOLDER.findall(message)), message


def test_french_is_a_shipped_language():
    assert "fr" in LANGUAGES


def test_sidebar_script_messages_are_exactly_the_scripts_calls():
    script = ROOT / "connector" / "web" / "static" / "sidebar.js"
    with script.open("rb") as handle:
        calls = {m for _line, m, _comments, _context in extract("javascript", handle, keywords={"_": None})}
    assert calls == set(SCRIPT_MESSAGES)


def _flatten(data: dict, prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def test_zendesk_app_translations_have_the_same_keys_in_every_language():
    folder = ROOT / "manifests" / "zendesk" / "translations"
    english = _flatten(json.loads((folder / "en.json").read_text("utf-8")))
    for language in LANGUAGES:
        other = _flatten(json.loads((folder / f"{language}.json").read_text("utf-8")))
        assert set(other) == set(english), language
        assert all(other[k].strip() for k in other), language


def _labels() -> dict[str, str]:
    root = ET.parse(SF / "labels" / "CustomLabels.labels-meta.xml").getroot()
    return {label.findtext(MD + "fullName"): label.findtext(MD + "value") for label in root.iter(MD + "labels")}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_salesforce_custom_label_is_translated(language):
    root = ET.parse(SF / "translations" / f"{language}.translation-meta.xml").getroot()
    translated = {t.findtext(MD + "name"): t.findtext(MD + "label") for t in root.iter(MD + "customLabels")}
    assert set(translated) == set(_labels())
    assert all((text or "").strip() for text in translated.values())


def test_the_component_and_apex_use_only_labels_that_exist():
    sources = [*(SF / "lwc").rglob("*.js"), *(SF / "classes").glob("*.cls")]
    used = set()
    for path in sources:
        if "__tests__" in path.parts:
            continue
        text = path.read_text("utf-8")
        used |= set(re.findall(r"@salesforce/label/c\.(\w+)", text)) | set(re.findall(r"System\.Label\.(\w+)", text))
    assert used and used <= set(_labels())
    assert set(_labels()) <= used, "labels no code uses"
