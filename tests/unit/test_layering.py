"""The data flows one way (ARCHITECTURE.md): these import rules keep it so."""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "connector"
# pure libraries: parsing and formatting only (babel: CLDR number, currency and date formats)
CORE_THIRD_PARTY = {"phonenumbers", "babel"}
CORE_FORBIDDEN_STDLIB = {"os", "time", "socket", "subprocess", "threading", "random", "logging"}


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def modules(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


@pytest.mark.parametrize("path", modules("core"), ids=lambda p: p.name)
def test_core_is_pure(path):
    for name in imports(path):
        top = name.split(".")[0]
        if top == "connector":
            assert name.startswith("connector.core"), f"{path.name} imports {name}"
        elif top in sys.stdlib_module_names:
            assert top not in CORE_FORBIDDEN_STDLIB, f"{path.name} imports {name}"
        else:
            assert top in CORE_THIRD_PARTY, f"{path.name} imports {name}"
    text = path.read_text(encoding="utf-8")
    assert ".now(" not in text and "utcnow" not in text, f"{path.name} reads the clock"


@pytest.mark.parametrize("layer, forbidden", [
    ("web", ("connector.adapters", "connector.sandbox", "requests")),
    ("services", ("flask", "connector.web", "requests", "connector.sandbox")),
    ("adapters", ("flask", "connector.web", "connector.services", "connector.sandbox")),
    ("schemas", ("flask", "requests", "connector.adapters", "connector.services")),
])
def test_layers_do_not_reach_past_their_neighbours(layer, forbidden):
    for path in modules(layer):
        for name in imports(path):
            assert not name.startswith(forbidden), f"{layer}/{path.name} imports {name}"


# -- one shape per CRM: shared code never names a provider ------------------------------------

SHARED = ["core", "services/cache.py", "services/drafts.py", "services/jobs.py", "services/ledger.py",
          "services/lookup.py", "services/preview.py", "services/privacy.py", "runtime.py", "checks.py", "demo.py",
          "web/__init__.py", "web/api.py", "web/errors.py", "web/body.py", "web/openapi.py", "textdiff.py", "jobs",
          "store"]


def shared_modules() -> list[Path]:
    found: list[Path] = []
    for entry in SHARED:
        path = PACKAGE / entry
        found.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return found


def code_without_comments(path: Path) -> str:
    import io
    import tokenize

    tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
    return " ".join(t.string for t in tokens if t.type != tokenize.COMMENT)


@pytest.mark.parametrize("path", shared_modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_shared_code_names_no_provider(path):
    """Shared modules loop over the registry; a CRM's name appears in them only in comments."""
    code = code_without_comments(path).lower()
    assert "zendesk" not in code and "salesforce" not in code, f"{path.relative_to(PACKAGE)} names a provider"
    for name in imports(path):
        parts = name.split(".")
        assert not any(p.startswith(("zendesk", "salesforce")) for p in parts), f"{path.name} imports {name}"


def test_the_registry_lists_each_provider_once_and_core_knows_none():
    from connector import providers

    names = providers.names()
    assert len(names) == len(set(names)) and {"zendesk", "salesforce"} <= set(names)
    for provider in providers.all_providers():  # one file per layer, the same name in each
        for layer in ("web", "adapters", "schemas", "services", "providers"):
            assert (PACKAGE / layer / f"{provider.name}.py").exists() or (PACKAGE / layer / provider.name).is_dir(), \
                f"{provider.name} has no {layer}/{provider.name}"


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_of_the_product_passes_300_lines(path):
    """Small modules (STYLE.md): split by concern before one grows past 300 lines."""
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 300
