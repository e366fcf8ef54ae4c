"""Where the files of the repository's ``manifests/`` folder are at run time.

In a source checkout (``pip install -e .``) they are read where they are; a wheel carries a copy in
``connector/_manifests`` (made by ``setup.py``'s build step), so ``pip install .`` needs no source tree.
"""
from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parent
WHEEL_FOLDER = "_manifests"


def manifests_dir() -> Path:
    """The folder holding ``mappings/``, ``zendesk/`` and ``salesforce/force-app/``."""
    bundled = _PACKAGE / WHEEL_FOLDER
    if bundled.is_dir():
        return bundled
    return _CHECKOUT / "manifests"


def manifest_path(*parts: str) -> Path:
    return manifests_dir().joinpath(*parts)
