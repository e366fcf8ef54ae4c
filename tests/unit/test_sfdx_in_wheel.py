"""The wheel's build step copies what the package reads from manifests/ at run time (the default
mapping, the Zendesk app, the SFDX field metadata the Salesforce emulator validates writes against):
without the source tree an installed connector would otherwise find none of them."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from connector.sandbox.salesforce.fields import SOURCE_OBJECTS, load_schema, sfdx_objects_dir

ROOT = Path(__file__).resolve().parents[2]


def _build_hook():
    spec = importlib.util.spec_from_file_location("setup_hook", ROOT / "setup.py")
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)  # defines the hook; setup() runs only as __main__
    return hook


def test_the_build_step_copies_every_runtime_file_of_manifests(tmp_path):
    copy = _build_hook().copy_manifests(ROOT / "manifests", tmp_path)
    assert copy == tmp_path / "connector" / "_manifests"
    assert (copy / "mappings" / "default.yaml").read_bytes() == (ROOT / "manifests/mappings/default.yaml").read_bytes()
    assert json.loads((copy / "zendesk" / "manifest.json").read_text())["location"]
    assert load_schema(copy.joinpath(*SOURCE_OBJECTS)) == load_schema(sfdx_objects_dir())
    assert not list(copy.rglob("node_modules")) and not list(copy.rglob("__tests__"))


def test_the_source_distribution_carries_what_the_build_step_copies():
    listed = (ROOT / "MANIFEST.in").read_text(encoding="utf-8")
    for item in _build_hook().SHIPPED:
        assert f"manifests/{item}" in listed
