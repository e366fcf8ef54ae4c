"""Build step: copy what the package reads from ``manifests/`` at run time into the wheel.

The default mapping, the Zendesk app folder (``aep-connector zendesk package``) and the Salesforce
package's metadata (the emulator validates fields against it) live at the top of the repository, where
customers find them; ``connector/bundled.py`` finds the copy in an installed wheel.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SHIPPED = ("mappings", "zendesk", "salesforce/force-app", "salesforce/sfdx-project.json")
IGNORED = shutil.ignore_patterns("node_modules", ".sfdx", ".sf", "tmp", ".DS_Store", "__pycache__")


class BuildWithManifests(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads manifests/ where it is
        target = Path(self.build_lib) / "connector" / "_manifests"
        for item in SHIPPED:
            source = HERE / "manifests" / item
            if source.is_dir():
                shutil.copytree(source, target / item, ignore=IGNORED, dirs_exist_ok=True)
            elif source.is_file():
                (target / item).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target / item)


setup(cmdclass={"build_py": BuildWithManifests})
