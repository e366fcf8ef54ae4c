"""The SFDX project checked with the tools that run offline (installed by .ci/run with npm)."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2] / "manifests" / "salesforce"
BIN = PROJECT / "node_modules" / ".bin"
pytestmark = pytest.mark.skipif(not (BIN / "sf").exists(),
                                reason="npm tools not installed: (cd manifests/salesforce && npm install)")
ENV = {**os.environ, "SF_DISABLE_TELEMETRY": "true", "SF_AUTOUPDATE_DISABLE": "true", "CI": "true"}


def run(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=PROJECT, env=ENV, capture_output=True, text=True, timeout=timeout)


def test_source_converts_to_a_metadata_package(tmp_path):
    done = run(str(BIN / "sf"), "project", "convert", "source", "--root-dir", "force-app", "--output-dir",
               str(tmp_path / "mdapi"))
    assert done.returncode == 0, done.stdout + done.stderr
    package = (tmp_path / "mdapi" / "package.xml").read_text()
    for kind in ("ApexClass", "ApexTrigger", "CustomField", "LightningComponentBundle", "NamedCredential",
                 "ExternalCredential", "PermissionSet", "WorkflowOutboundMessage", "CustomLabels", "Translations"):
        assert f"<name>{kind}</name>" in package, kind


def test_lightning_component_jest_tests_pass():
    done = run(str(BIN / "sfdx-lwc-jest"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "11 passed" in done.stdout + done.stderr  # the card (5) and the reviewed update (6)


def test_apex_parses_and_is_formatted(tmp_path):
    done = run(str(BIN / "prettier"), "--plugin=prettier-plugin-apex", "--check", "force-app/**/*.{cls,trigger}")
    assert done.returncode == 0, done.stdout + done.stderr
    broken = tmp_path / "Broken.cls"
    broken.write_text("public class Broken { void x( { }")
    shutil.copy(broken, PROJECT / "Broken.cls")
    try:
        failed = run(str(BIN / "prettier"), "--plugin=prettier-plugin-apex", "--check", "Broken.cls")
    finally:
        (PROJECT / "Broken.cls").unlink()
    assert failed.returncode != 0  # the check does reject Apex that does not parse
