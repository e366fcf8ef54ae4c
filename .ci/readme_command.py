"""Print one of the README's set-up commands, exactly as written, so CI runs what a user runs.

    python3 .ci/readme_command.py demo   # the install-and-demo line
    python3 .ci/readme_command.py test   # the install-and-test line

The commands are the lines of the first ```sh block under "## Set up" that start with `python3 -m pip`.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
MARKERS = {"demo": "aep-connector demo", "test": "pytest"}


def command(kind: str, text: str) -> str:
    section = text.split("\n## Set up", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    if block is None:
        raise SystemExit("ci: README.md has no ```sh block under '## Set up'")
    lines = [line.strip() for line in block.group(1).splitlines() if line.strip().startswith("python3 -m pip")]
    found = [line for line in lines if MARKERS[kind] in line]
    if len(found) != 1:
        raise SystemExit(f"ci: README.md's set-up block should have exactly one {kind} command, found {found}")
    return found[0]


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in MARKERS:
        raise SystemExit("usage: readme_command.py demo|test")
    print(command(sys.argv[1], README.read_text(encoding="utf-8")))
