"""Build hook (everything else is in setup.cfg): the Salesforce emulator reads the field metadata of the
SFDX package at run time, so the wheel carries a copy of manifests/salesforce/…/objects/*/fields as
connector/sandbox/sfdx/objects (``connector.sandbox.salesforce_fields.sfdx_objects_dir`` looks there first).
Standard library only: the isolated build environment has nothing else."""
from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SFDX_OBJECTS = Path("manifests", "salesforce", "force-app", "main", "default", "objects")
PACKAGED = Path("connector", "sandbox", "sfdx", "objects")


def copy_sfdx_fields(source: Path, build_lib: Path) -> list[Path]:
    """Copy every ``<Object>/fields/*.field-meta.xml`` under ``source`` into the built package."""
    copied = []
    for path in sorted(source.glob("*/fields/*.field-meta.xml")):
        target = build_lib / PACKAGED / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        copied.append(target)
    return copied


class BuildPyWithSfdxFields(build_py):
    def run(self) -> None:
        super().run()
        copy_sfdx_fields(Path(__file__).resolve().parent / SFDX_OBJECTS, Path(self.build_lib))


if __name__ == "__main__":
    setup(cmdclass={"build_py": BuildPyWithSfdxFields})
