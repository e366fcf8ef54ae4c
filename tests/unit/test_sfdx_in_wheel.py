"""The wheel's build hook copies the SFDX field metadata the Salesforce emulator reads at run time
(without the source tree an installed emulator would otherwise know no custom field)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

from connector.sandbox.salesforce_fields import load_schema, sfdx_objects_dir

ROOT = Path(__file__).resolve().parents[2]


def test_the_build_hook_copies_every_field_the_emulator_reads(tmp_path):
    spec = importlib.util.spec_from_file_location("setup_hook", ROOT / "setup.py")
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)  # defines the hook; setup() runs only as __main__
    copied = hook.copy_sfdx_fields(ROOT / hook.SFDX_OBJECTS, tmp_path)
    packaged = tmp_path / "connector" / "sandbox" / "sfdx" / "objects"
    assert len(copied) == len(list((ROOT / hook.SFDX_OBJECTS).glob("*/fields/*.field-meta.xml"))) > 0
    assert load_schema(packaged) == load_schema(sfdx_objects_dir())
    assert "graft manifests/salesforce/force-app/main/default/objects" in (ROOT / "MANIFEST.in").read_text()
