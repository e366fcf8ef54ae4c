"""Every third-party import of the package is declared in setup.cfg, so a fresh install can run it.

The machine that develops the connector has more packages than a user's: an import that works here
but is not declared fails on the user's first command. Import names are mapped to distributions by
``importlib.metadata.packages_distributions()`` (no hand-kept list). An import inside ``try: … except
ImportError`` is optional and may come from an extra; every other import must be in install_requires.
"""
from __future__ import annotations

import ast
import configparser
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "connector"


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_names(text: str) -> set[str]:
    names = set()
    for line in text.splitlines():
        name = re.split(r"[\s\[<>=!~;]", line.strip(), maxsplit=1)[0]
        if name:
            names.add(canonical(name))
    return names


def declared(setup_cfg: Path = ROOT / "setup.cfg") -> tuple[set[str], set[str]]:
    """(install_requires, every extra together) as canonical distribution names."""
    cfg = configparser.ConfigParser()
    cfg.read(setup_cfg, encoding="utf-8")
    required = requirement_names(cfg.get("options", "install_requires", fallback=""))
    extras = set()
    if cfg.has_section("options.extras_require"):
        for _, value in cfg.items("options.extras_require"):
            extras |= requirement_names(value)
    return required, extras


def _catches_import_error(node: ast.Try) -> bool:
    for handler in node.handlers:
        names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        if any(isinstance(n, ast.Name) and n.id in {"ImportError", "ModuleNotFoundError"} for n in names):
            return True
    return False


def third_party_imports(source: str) -> list[tuple[str, bool]]:
    """(top-level module name, optional?) for every absolute import that is neither stdlib nor ours."""
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, optional: bool) -> None:
        if isinstance(node, ast.Try):
            guarded = optional or _catches_import_error(node)
            for child in node.body:
                visit(child, guarded)
            for child in [*node.handlers, *node.orelse, *node.finalbody]:
                visit(child, optional)
            return
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            top = name.split(".")[0]
            if top not in sys.stdlib_module_names and top != "connector":
                found.append((top, optional))
        for child in ast.iter_child_nodes(node):
            visit(child, optional)

    visit(ast.parse(source), False)
    return found


def undeclared(files: dict[str, str], *, required: set[str], extras: set[str],
               distributions: dict[str, list[str]]) -> list[str]:
    """One readable line for each import that a fresh install would not satisfy."""
    problems = []
    for where, source in sorted(files.items()):
        for module, optional in third_party_imports(source):
            owners = {canonical(d) for d in distributions.get(module, [])}
            allowed = required | extras if optional else required
            if not owners:
                if not optional:
                    problems.append(f"{where} imports {module!r}, which no installed distribution provides: "
                                    "add its distribution to install_requires in setup.cfg")
            elif not owners & allowed:
                wanted = "install_requires or an extra" if optional else "install_requires"
                problems.append(f"{where} imports {module!r} from {' or '.join(sorted(owners))}, "
                                f"which is not in {wanted} in setup.cfg")
    return sorted(set(problems))


def package_sources() -> dict[str, str]:
    return {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8") for p in sorted(PACKAGE.rglob("*.py"))}


def test_every_third_party_import_of_the_package_is_declared():
    required, extras = declared()
    problems = undeclared(package_sources(), required=required, extras=extras,
                          distributions=packages_distributions())
    assert not problems, "\n".join(problems)


def test_the_check_names_the_module_and_the_missing_requirement():
    files = {"connector/metrics.py": "from prometheus_client import Counter\nimport flask\nimport os\n"}
    problems = undeclared(files, required={"flask"}, extras=set(),
                          distributions={"prometheus_client": ["prometheus_client"], "flask": ["Flask"]})
    assert problems == ["connector/metrics.py imports 'prometheus_client' from prometheus-client, "
                        "which is not in install_requires in setup.cfg"]


def test_an_import_nothing_provides_is_reported_unless_it_is_optional():
    files = {"connector/a.py": "def f():\n    import ghostlib\n",
             "connector/b.py": "try:\n    import ghostlib\nexcept ImportError:\n    ghostlib = None\n"}
    problems = undeclared(files, required=set(), extras=set(), distributions={})
    assert len(problems) == 1 and problems[0].startswith("connector/a.py imports 'ghostlib'")


def test_an_optional_import_may_come_from_an_extra_but_a_plain_one_may_not():
    optional = "try:\n    import gunicorn\nexcept ModuleNotFoundError:\n    gunicorn = None\n"
    dists = {"gunicorn": ["gunicorn"]}
    assert undeclared({"connector/o.py": optional}, required=set(), extras={"gunicorn"}, distributions=dists) == []
    assert undeclared({"connector/p.py": "import gunicorn\n"}, required=set(), extras={"gunicorn"},
                      distributions=dists) != []


def test_setup_cfg_requirements_are_read_with_extras_and_markers():
    assert requirement_names("flask>=3.0\n    pyjwt[crypto]>=2.8\n psycopg[binary] ; python_version>'3'\n") == \
        {"flask", "pyjwt", "psycopg"}
