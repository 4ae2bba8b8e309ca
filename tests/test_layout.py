"""The shape of `backend/`: capabilities in packages with thin `routes.py` handlers, imports that
point one way (server -> packages -> core helpers), and modules a newcomer can read."""
from __future__ import annotations

import ast
from pathlib import Path

BACKEND = Path(__file__).resolve().parent.parent / "backend"
CORE = {"audit", "config", "db", "errors", "llm", "mailer", "migrate", "periodic", "principal", "routing",
        "validation", "version"}
PACKAGES = {p.name for p in BACKEND.iterdir() if (p / "__init__.py").exists()}
# Which capability may use which: a dependency is a promise, so it is listed here on purpose.
MAY_IMPORT = {"auth": set(), "interactions": set(), "grid": {"interactions"}, "backups": set(), "pipeline": {"grid"},
              "email_integration": {"interactions", "grid"}, "intake": {"email_integration", "interactions"},
              "digest": set(), "search": {"grid"}, "dashboard": {"grid"}, "tasks": {"grid"}, "feature_requests": set(),
              "mcp": {"interactions", "search"}, "duplicates": {"intake", "grid"}}


def modules():
    for path in BACKEND.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        yield path, ast.parse(path.read_text())


def imported(path: Path, tree: ast.AST) -> set[str]:
    """Top-level backend modules/packages a file imports (resolved from relative imports)."""
    parts = path.relative_to(BACKEND).with_suffix("").parts
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0:
                if node.module and node.module.startswith("backend."):
                    found.add(node.module.split(".")[1])
                continue
            base = list(parts[:-1])[: len(parts) - node.level]
            target = base + (node.module.split(".") if node.module else [])
            if target:
                found.add(target[0])
            else:  # `from .. import audit, mailer`
                found.update(alias.name for alias in node.names)
    return found


def test_capabilities_are_packages_and_the_server_assembles_their_routes():
    assert {"auth", "grid", "backups", "interactions"} <= PACKAGES
    for package in MAY_IMPORT:
        assert (BACKEND / package / "routes.py").exists(), f"{package}/ has no routes.py"
        assert ast.get_docstring(ast.parse((BACKEND / package / "__init__.py").read_text())), package
    # server.py (the HTTP core) and manage.py (the operator's commands) assemble the packages
    flat = {p.stem for p in BACKEND.glob("*.py")} - {"__init__", "server", "manage"}
    assert flat <= CORE, f"modules outside packages that are not core helpers: {flat - CORE}"


def test_imports_point_one_way():
    for path, tree in modules():
        rel = path.relative_to(BACKEND)
        uses = imported(path, tree)
        assert "server" not in uses or rel.name == "server.py", f"{rel} imports server.py"
        if len(rel.parts) == 1 and rel.stem in CORE:
            assert not uses & PACKAGES, f"core helper {rel} imports a capability: {uses & PACKAGES}"
        elif len(rel.parts) > 1:
            own = rel.parts[0]
            others = (uses & PACKAGES) - {own}
            assert others <= MAY_IMPORT.get(own, set()), f"{rel} imports {others - MAY_IMPORT.get(own, set())}"


def test_handlers_never_open_connections():
    for path in BACKEND.glob("*/routes.py"):
        text = path.read_text()
        for needle in ("db.read()", ".transaction()", ".exclusive()", "import sqlite3"):
            assert needle not in text, f"{path.relative_to(BACKEND)} uses {needle}: call a service instead"


def test_every_module_has_a_docstring_and_a_readable_size():
    for path, tree in modules():
        rel = path.relative_to(BACKEND)
        assert ast.get_docstring(tree), f"{rel} needs a docstring saying its role"
        lines = len(path.read_text().splitlines())
        limit = 1000 if rel.name == "server.py" else 1200
        if rel.name != "formula.py":  # the formula language is one grammar and its 84 functions
            assert lines <= limit, f"{rel} has {lines} lines (limit {limit})"


def test_grid_tables_are_written_only_through_the_grid_store():
    """The grid cache is kept in step inside `Grid._write`; a write anywhere else would leave it
    stale, so there is no anywhere else: one transaction site, in grid/store.py (whose helpers for
    the people and the opportunities of a row, grid/contacts.py and grid/opportunities.py, and
    the merge of two rows, grid/merge.py, write only on the connection it hands them)."""
    import re
    tables = r"(investors|cell_values|commitments|contacts|grid_columns|grid_changes|list_memberships|opportunities)\b"
    writes = re.compile(rf"(INSERT INTO|UPDATE|DELETE FROM)\s+{tables}", re.I)
    for path, _ in modules():
        rel = path.relative_to(BACKEND).as_posix()
        if rel in ("grid/store.py", "grid/contacts.py", "grid/opportunities.py", "grid/merge.py") \
                or rel.startswith("migrations/"):
            continue
        assert not writes.search(path.read_text()), f"{rel} writes a grid table; go through Grid.write"
    store = (BACKEND / "grid" / "store.py").read_text()
    assert store.count("self.db.transaction()") == 1, "grid/store.py must write only inside Grid._write"


def test_the_bot_is_its_own_process():
    """`matrix_intake/` is an HTTP client of the CRM: it imports only the standard library, nio and
    itself; nothing on the server side imports it or nio."""
    import sys
    for path, tree in modules():
        rel = path.relative_to(BACKEND)
        absolute = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                    for alias in node.names}
        absolute |= {node.module.split(".")[0] for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module}
        if rel.parts[0] == "matrix_intake":
            assert imported(path, tree) <= {"matrix_intake"}, f"{rel} imports the server side"
            assert absolute <= set(sys.stdlib_module_names) | {"nio", "__future__"}, \
                f"{rel} imports {absolute - set(sys.stdlib_module_names)}"
        else:
            assert not absolute & {"nio"} and "matrix_intake" not in imported(path, tree), \
                f"{rel} imports the bot or nio"


def test_the_remote_model_is_made_only_behind_the_redaction_boundary():
    """`llm.RemoteModel` (a model off the box) is constructed only in `search/redaction.py`, which
    replaces LP names, addresses and amounts before anything is sent (guardrail 5)."""
    for path, tree in modules():
        rel = path.relative_to(BACKEND).as_posix()
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
                if name == "RemoteModel":
                    assert rel == "search/redaction.py", f"{rel} constructs RemoteModel; go through search/redaction.py"
            if isinstance(node, ast.ClassDef) and rel != "llm.py":
                bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", None) for b in node.bases}
                assert "RemoteModel" not in bases, f"{rel} subclasses RemoteModel"
