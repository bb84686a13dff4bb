"""The shape of the code, kept by test: a thin command layer, no import cycle between tracker's
parts (imports inside functions count too), module names that are not reused for other things,
and no slow imports on the way to `tracker --help`."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import Counter
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "tracker"
COMMAND_FUNCTION_MAX_LINES = 60


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        if "_migrations" in path.parts:
            continue
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts).removesuffix(".__init__")
        out[name] = path
    return out


def _part(module: str) -> str:
    """tracker.store.db -> store; tracker.ingest.run -> ingest: the unit whose imports must not cycle."""
    bits = module.split(".")
    return bits[1] if len(bits) > 1 else bits[0]


def _imported(path: Path, module: str) -> list[tuple[str, int]]:
    """Every tracker module a file imports, at any depth (module level, functions, TYPE_CHECKING)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            found.append((target, node.lineno))
    return [(name, line) for name, line in found if name.startswith("tracker.")]


def part_graph() -> dict[str, dict[str, list[str]]]:
    graph: dict[str, dict[str, list[str]]] = {}
    for module, path in _modules().items():
        for target, line in _imported(path, module):
            a, b = _part(module), _part(target)
            if a != b:
                graph.setdefault(a, {}).setdefault(b, []).append(f"{path.relative_to(PACKAGE.parent)}:{line}")
    return graph


def find_cycle(graph: dict[str, dict[str, list[str]]]) -> list[str] | None:
    """One cycle of parts, as the path that closes it, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, {})):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_no_import_cycle_between_trackers_parts_counting_imports_inside_functions():
    graph = part_graph()
    cycle = find_cycle(graph)
    where = [f"{a} -> {b} at {graph[a][b][0]}" for a, b in zip(cycle, cycle[1:], strict=False)] if cycle else []
    assert cycle is None, "import cycle: " + "; ".join(where)


def test_the_cycle_finder_finds_a_cycle_it_is_given():
    graph = {"a": {"b": ["x:1"]}, "b": {"c": ["y:2"]}, "c": {"a": ["z:3"]}, "d": {"a": ["w:4"]}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b": ["x:1"]}, "b": {}}) is None


def test_every_function_of_the_command_layer_is_at_most_60_lines():
    long = []
    for path in [PACKAGE / "cli.py", *sorted((PACKAGE / "commands").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1  # type: ignore[operator]  # set by ast.parse
                if lines > COMMAND_FUNCTION_MAX_LINES:
                    long.append(f"{path.name}:{node.lineno} {node.name} ({lines} lines)")
    assert long == []


# A module name may appear in two layers only for one idea seen from each: the claims feed and the
# claims commands, the comparison and its chart. Any other repeat is a name with two meanings.
ONE_IDEA_IN_TWO_LAYERS = {
    "build.py": {"charts", "site"},  # loading from the store and writing the outputs
    "changes.py": {"commands", "reports"},
    "claims.py": {"commands", "ingest"},
    "compare.py": {"analysis", "charts"},
    "confirmed.py": {"analysis", "charts"},
    "notes.py": {"commands", "store"},
    "options.py": {"commands", "reports"},
    "oryx.py": {"commands", "ingest"},
    "queries.py": {"claims", "store"},
    "reconcile.py": {"analysis", "commands"},
}


def test_a_module_name_is_used_once_or_for_one_idea_in_two_layers():
    where: dict[str, set[str]] = {}
    for module, path in _modules().items():
        if path.name != "__init__.py":
            where.setdefault(path.name, set()).add(_part(module))
    repeated = {name: parts for name, parts in where.items() if len(parts) > 1}
    assert {name: parts for name, parts in repeated.items() if ONE_IDEA_IN_TWO_LAYERS.get(name) != parts} == {}
    assert Counter(path.name for path in _modules().values())["daily.py"] == 1


ROOT_MODULES = {"__init__.py", "__main__.py", "cli.py", "domain.py", "errors.py", "config.py"}
LAYERS = ("analysis", "api", "charts", "claims", "commands", "ingest", "reports", "site", "store")


def test_the_package_root_holds_only_the_entry_points_and_the_shared_words():
    assert {path.name for path in PACKAGE.glob("*.py")} == ROOT_MODULES
    folders = {path.name for path in PACKAGE.iterdir() if path.is_dir() and not path.name.startswith(("_", "."))}
    assert folders == set(LAYERS)


def test_every_folder_says_what_it_owns_in_its_init_docstring():
    for init in PACKAGE.rglob("__init__.py"):
        if "_migrations" not in init.parts:
            assert (ast.get_docstring(ast.parse(init.read_text())) or "").strip(), init


def test_neither_the_store_nor_the_ingest_imports_the_analysis():
    graph = part_graph()
    assert "analysis" not in graph.get("store", {}) and "analysis" not in graph.get("ingest", {})
    assert "analysis" not in graph.get("claims", {})


def test_tracker_help_imports_neither_pandas_nor_matplotlib_nor_sqlalchemy_nor_httpx():
    code = (
        "import sys\n"
        "sys.argv = ['tracker', '--help']\n"
        "from tracker.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in ('pandas', 'matplotlib', 'sqlalchemy', 'httpx') if m in sys.modules)\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "HEAVY []" in done.stderr, done.stderr[-500:]


# --- the write path: short steps, few parameters (issue 25) -------------------------------------

WRITE_PATH_FUNCTION_MAX_LINES = 60
MAX_PARAMETERS = 8
# The part whose functions the parameter rule does not judge: the command layer (typer reads a
# command's options from its parameters). The charts' shared options are one ChartOptions and a
# report's filters one Filters (tracker.charts.layout, tracker.reports.options).
PARAMETER_RULE_SKIPS = ("commands",)


def _functions(paths: list[Path]) -> list[tuple[Path, ast.FunctionDef | ast.AsyncFunctionDef]]:
    found = []
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                found.append((path, node))
    return found


def _write_path_files() -> list[Path]:
    """The ingest (its feeds, its full path and its unchanged-payload step) and the store."""
    return sorted((PACKAGE / "ingest").rglob("*.py")) + sorted((PACKAGE / "store").rglob("*.py"))


def test_no_function_of_the_ingest_or_the_store_is_over_60_lines():
    long = [
        f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.name} ({lines} lines)"
        for path, node in _functions(_write_path_files())
        if (lines := node.end_lineno - node.lineno + 1) > WRITE_PATH_FUNCTION_MAX_LINES  # type: ignore[operator]
    ]
    assert long == []


def _parameters(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    """Positional and keyword-only parameters, without self and cls (*args and **kwargs aside)."""
    args = node.args
    return [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs) if a.arg not in ("self", "cls")]


def test_no_library_function_takes_more_than_8_parameters():
    paths = [
        path
        for path in sorted(PACKAGE.rglob("*.py"))
        if "_migrations" not in path.parts
        and _part(".".join(path.relative_to(PACKAGE.parent).parts)) not in PARAMETER_RULE_SKIPS
    ]
    assert (
        PACKAGE / "ingest" / "steps.py" in paths
        and PACKAGE / "ingest" / "http.py" in paths
        and PACKAGE / "store" / "revisions.py" in paths
        and PACKAGE / "charts" / "daily.py" in paths
        and PACKAGE / "reports" / "options.py" in paths
    )
    many = [
        f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.name} ({len(names)} parameters)"
        for path, node in _functions(paths)
        if len(names := _parameters(node)) > MAX_PARAMETERS
    ]
    assert many == []


def test_the_shape_rules_see_a_long_function_and_one_of_many_parameters(tmp_path):
    sample = tmp_path / "sample.py"
    body = "\n".join(f"    x{i} = {i}" for i in range(60))
    sample.write_text(
        f"def long():\n{body}\n\n\ndef many(self, a, b, c, /, d, e, *args, f, g, h, i, **kw):\n    pass\n"
    )
    [(_, long), (_, many)] = _functions([sample])
    assert long.end_lineno - long.lineno + 1 == 61  # type: ignore[operator]
    assert _parameters(many) == ["a", "b", "c", "d", "e", "f", "g", "h", "i"]


def test_the_readmes_layout_table_is_the_one_the_docstrings_give():
    import importlib.util

    spec = importlib.util.spec_from_file_location("layout_table", PACKAGE.parent / "scripts" / "layout_table.py")
    assert spec is not None and spec.loader is not None
    layout = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(layout)
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    assert layout.readme_with_table(readme) == readme, "run: python scripts/layout_table.py --write"
    assert "| `tracker/ingest/` | Ingest, the one write path" in readme
    assert len(layout.parts()) == len(LAYERS) + 1 + len(ROOT_MODULES) - 2  # ingest/feeds; no __init__, __main__
