"""The wheel carries every Python folder of ``connector/``: setup.cfg finds packages (``packages =
find:``), so a folder without ``__init__.py`` — a new emulator package, say — would silently be left
out of ``pip install .`` while every test run from the source tree still passes."""
from __future__ import annotations

import configparser
from pathlib import Path

from setuptools import find_packages

ROOT = Path(__file__).resolve().parents[2]


def _found() -> set[str]:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg", encoding="utf-8")
    assert config["options"]["packages"].strip() == "find:"
    include = config["options.packages.find"]["include"].split()
    return set(find_packages(where=str(ROOT), include=include))


def test_every_folder_of_python_modules_is_a_package_the_wheel_carries():
    folders = {path.parent.relative_to(ROOT) for path in (ROOT / "connector").rglob("*.py")
               if "__pycache__" not in path.parts}
    assert {".".join(folder.parts) for folder in folders} <= _found()


def test_the_emulators_are_shipped():
    assert {"connector.sandbox.aep", "connector.sandbox.salesforce", "connector.sandbox.zendesk"} <= _found()
