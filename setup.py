"""Build step (everything else is in setup.cfg): copy what the package reads from ``manifests/`` at run
time into the wheel, as ``connector/_manifests``.

The default mapping, the Zendesk app folder (``aep-connector zendesk package``) and the Salesforce
package (the emulator validates writes against its field metadata) live at the top of the repository,
where customers find them; ``connector/bundled.py`` finds the copy in an installed wheel. Standard
library only: the isolated build environment has nothing else.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SHIPPED = ("mappings", "zendesk", "salesforce/force-app", "salesforce/sfdx-project.json")
IGNORED = shutil.ignore_patterns("node_modules", ".sfdx", ".sf", "tmp", ".DS_Store", "__pycache__", "__tests__")
WHEEL_FOLDER = Path("connector", "_manifests")


def copy_manifests(source: Path, build_lib: Path) -> Path:
    """Copy the shipped parts of ``source`` (a ``manifests/`` folder) into ``build_lib``; returns the copy."""
    target = build_lib / WHEEL_FOLDER
    for item in SHIPPED:
        path = source / item
        if path.is_dir():
            shutil.copytree(path, target / item, ignore=IGNORED, dirs_exist_ok=True)
        elif path.is_file():
            (target / item).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target / item)
    return target


class BuildWithManifests(build_py):
    def run(self) -> None:
        super().run()
        if not getattr(self, "editable_mode", False):  # an editable install reads manifests/ where it is
            copy_manifests(HERE / "manifests", Path(self.build_lib))


if __name__ == "__main__":
    setup(cmdclass={"build_py": BuildWithManifests})
