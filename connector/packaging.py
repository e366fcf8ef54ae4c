"""Build the Zendesk app's upload zip from manifests/zendesk (what `zcli apps:package` would make)."""
from __future__ import annotations

import zipfile
from pathlib import Path

from connector.bundled import manifest_path

APP_DIR = manifest_path("zendesk")
SKIP = {".DS_Store", "tmp", "zcli.apps.config.json"}


def package_zendesk_app(out_dir: Path, *, app_dir: Path = APP_DIR) -> Path:
    files = sorted(p for p in app_dir.rglob("*") if p.is_file() and not SKIP & set(p.relative_to(app_dir).parts))
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "aep-profile-zendesk-app.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            info = zipfile.ZipInfo(str(path.relative_to(app_dir)), date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())  # fixed timestamps: the same sources give the same zip
    return target
