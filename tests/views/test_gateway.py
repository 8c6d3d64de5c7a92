"""The store is the only write gateway (issue 11): no view module calls a service write
operation (``@operation``), nor builds an undo step (``Step``/``op``/``edit``...) itself; they
call ``store.edits.<method>`` (``views/shell/edits``) or the store's own edit methods.

The check reads the source (AST) of every module under ``relman_desktop/views``, resolves what
each name it uses from ``services``/``importers`` is, and fails naming the module, the line and
the name. It also checks the other side: every function the gateway hands to ``op``/``run`` is
marked ``@operation``, so the mark cannot silently fall behind."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path
from types import ModuleType

import pytest

import relman_desktop.views
from relman_desktop.services.base import is_operation

VIEWS = Path(relman_desktop.views.__file__).parent
GATEWAY = {
    "relman_desktop.views.shell.store",
    "relman_desktop.views.shell.commands",
}
GATEWAY_PACKAGE = "relman_desktop.views.shell.edits"
# Modules another engineer owns this wave; their writes move behind the store at merge.
PENDING = {
    "relman_desktop.views.cab.cab_presenter": "issue 16 (views/cab/cab_presenter.py split)",
}
# What only the gateway may use from views.shell.commands (``Refused`` and ``Ref`` are fine:
# an error to catch, and the opaque handle of a row an edit method returns).
BUILDERS = {"Step", "op", "edit", "attempt", "ref", "rebind", "Call", "EditCommand"}
WRITERS = ("relman_desktop.services", "relman_desktop.importers", "relman_desktop.exports")


def _view_modules() -> list[str]:
    return sorted(
        info.name for info in pkgutil.walk_packages([str(VIEWS)], prefix="relman_desktop.views.")
    )


def _is_gateway(name: str) -> bool:
    return name in GATEWAY or name == GATEWAY_PACKAGE or name.startswith(GATEWAY_PACKAGE + ".")


def _source(name: str) -> tuple[Path, str]:
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.origin is not None, name
    path = Path(spec.origin)
    return path, path.read_text(encoding="utf-8")


def _absolute(module: str | None, level: int, here: str, is_package: bool) -> str:
    if not level:
        return module or ""
    parts = here.split(".")
    base = parts if is_package else parts[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def _load(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def violations(name: str, source: str, *, is_package: bool = False) -> list[str]:
    """Each place in ``source`` (module ``name``) that writes to the plan without the store."""
    tree = ast.parse(source)
    found: list[str] = []
    modules: dict[str, ModuleType] = {}  # local alias -> a services/importers module
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            origin = _absolute(node.module, node.level, name, is_package)
            for alias in node.names:
                local = alias.asname or alias.name
                if origin.endswith("views.shell.commands") and alias.name in BUILDERS:
                    found.append(f"{name}:{node.lineno} imports {alias.name} from commands")
                if not origin.startswith(WRITERS):
                    continue
                parent = _load(origin)
                target = getattr(parent, alias.name, None) if parent else None
                if target is None:
                    target = _load(f"{origin}.{alias.name}")
                if isinstance(target, ModuleType):
                    modules[local] = target
                elif is_operation(target):
                    found.append(f"{name}:{node.lineno} imports write operation {alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(WRITERS) and alias.asname:
                    loaded = _load(alias.name)
                    if loaded is not None:
                        modules[alias.asname] = loaded
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
        ):
            target = getattr(modules[node.value.id], node.attr, None)
            if is_operation(target):
                found.append(
                    f"{name}:{node.lineno} uses write operation {node.value.id}.{node.attr}"
                )
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "Ref":
                found.append(f"{name}:{node.lineno} makes a Ref itself")
    return found


def test_no_view_writes_around_the_store() -> None:
    checked, found = 0, []
    for name in _view_modules():
        if _is_gateway(name) or name in PENDING:
            continue
        path, source = _source(name)
        found += violations(name, source, is_package=path.name == "__init__.py")
        checked += 1
    assert checked > 60  # every view module was read (the folder holds about 70)
    assert found == [], "views that write around the store:\n" + "\n".join(found)


def test_the_check_catches_each_way_around_the_store() -> None:
    """The checker is not blind: each pattern the rule forbids, in a made-up view module."""
    here = "relman_desktop.views.releases.made_up"
    samples = {
        "from ..shell.commands import Step\n": "imports Step",
        "from relman_desktop.views.shell.commands import edit\n": "imports edit",
        "from relman_desktop.services import tasks\nx = tasks.add_task\n": "tasks.add_task",
        "from relman_desktop.services.tasks import delete_task\n": "delete_task",
        "import relman_desktop.services.cab as c\nc.record_time(1, 2, 3, 4)\n": "c.record_time",
        "from relman_desktop.importers import schedule\nschedule.apply_schedule\n": "apply_sched",
        "from ..shell.commands import Ref\nr = Ref('rule', -1)\n": "makes a Ref",
    }
    for source, what in samples.items():
        found = violations(here, source)
        assert len(found) == 1 and what in found[0], (source, found)
    # reads are fine
    assert violations(here, "from relman_desktop.services import tasks\ntasks.list_tasks\n") == []


def _gateway_calls() -> list[tuple[str, int, ast.expr]]:
    """The first argument of each ``op(...)`` / ``_run(...)`` / ``run(...)`` in the gateway."""
    calls = []
    for name in _view_modules():
        if not _is_gateway(name):
            continue
        _path, source = _source(name)
        for node in ast.walk(ast.parse(source)):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            func = node.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if called in ("op", "_run"):
                calls.append((name, node.lineno, node.args[0]))
    return calls


def test_everything_the_gateway_runs_is_marked_as_a_write_operation() -> None:
    calls = _gateway_calls()
    assert len(calls) > 80
    unmarked = []
    for name, line, arg in calls:
        if not (isinstance(arg, ast.Attribute) and isinstance(arg.value, ast.Name)):
            continue  # a name chosen at run time (an import's apply/undo), or a local helper
        module = importlib.import_module(name)
        owner = getattr(module, arg.value.id, None)
        if not isinstance(owner, ModuleType):
            continue
        target = getattr(owner, arg.attr)
        if not is_operation(target) and f"{owner.__name__}.{arg.attr}" not in UNMARKED_ELSEWHERE:
            unmarked.append(f"{name}:{line} {owner.__name__}.{arg.attr}")
    assert unmarked == [], "write operations without @operation:\n" + "\n".join(unmarked)


# Services owned by another engineer this wave (not edited here): marked at merge.
UNMARKED_ELSEWHERE = {"relman_desktop.services.scheduling.move_release"}


@pytest.mark.parametrize("name", sorted(PENDING))
def test_pending_modules_are_still_pending(name: str) -> None:
    """An entry in PENDING is for a module that still writes around the store: once ported, this
    fails until the entry is dropped (and the module is checked like every other)."""
    _path, source = _source(name)
    assert violations(name, source), f"{name} is ported: remove it from PENDING"
