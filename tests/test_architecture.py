"""The import rules of `src/truce` (issue 11), read from the source with `ast`:

- no cycle among the modules, counting the imports made inside functions too (a deferred import must not
  hide a cycle);
- no `try: import truce... except ImportError/ModuleNotFoundError` guard around the project's own modules;
- an import of a truce module inside a function is a deliberate lazy import: its line says why, with a comment
  `# lazy: <reason>`, and there are at most `LAZY_CAP` of them.

Each rule is also driven to failure on a small made-up package, so that the checker itself is tested.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
LAZY_CAP = 30
LAZY_REASON = re.compile(r"#.*\blazy: *\S")


@dataclass
class Graph:
    edges: dict[str, set[str]] = field(default_factory=dict)  # module -> modules it imports (anywhere)
    lazy: list[tuple[str, int, bool]] = field(default_factory=list)  # (module, line, has a reason)
    guarded: list[tuple[str, int]] = field(default_factory=list)


def _targets(node: ast.Import | ast.ImportFrom, here: str, is_pkg: bool, mods: set[str]) -> list[str]:
    """The project modules an import statement loads."""
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        base = node.module or ""
        if node.level:
            parts = here.split(".")
            keep = len(parts) - node.level + (1 if is_pkg else 0)
            base = ".".join(parts[:keep] + ([base] if base else []))
        names = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in node.names]
    out = []
    for name in names:
        while name and name not in mods and "." in name:
            name = name.rsplit(".", 1)[0]
        if name in mods and name != here:
            out.append(name)
    return out


def analyse(sources: dict[str, tuple[str, bool]]) -> Graph:
    """`sources`: module name -> (source text, is a package's __init__)."""
    mods = set(sources)
    g = Graph(edges={m: set() for m in mods})
    for mod, (text, is_pkg) in sources.items():
        lines = text.splitlines()
        tree = ast.parse(text)

        def visit(
            node: ast.AST, in_func: bool, mod: str = mod, is_pkg: bool = is_pkg, lines: list[str] = lines
        ) -> None:
            for ch in ast.iter_child_nodes(node):
                if isinstance(ch, ast.Try) and any(
                    isinstance(h.type, ast.Name) and h.type.id in ("ImportError", "ModuleNotFoundError")
                    for h in ch.handlers
                ):
                    for sub in ch.body:
                        for n in ast.walk(sub):
                            if isinstance(n, ast.Import | ast.ImportFrom) and _targets(n, mod, is_pkg, mods):
                                g.guarded.append((mod, n.lineno))
                if isinstance(ch, ast.Import | ast.ImportFrom):
                    targets = _targets(ch, mod, is_pkg, mods)
                    g.edges[mod].update(targets)
                    if targets and in_func:
                        statement = "\n".join(lines[ch.lineno - 1 : ch.end_lineno])
                        g.lazy.append((mod, ch.lineno, bool(LAZY_REASON.search(statement))))
                visit(ch, in_func or isinstance(ch, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda))

        visit(tree, False)
    return g


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges.get(w, ())))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    x = stack.pop()
                    on.discard(x)
                    comp.append(x)
                    if x == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def problems(g: Graph, cap: int = LAZY_CAP) -> list[str]:
    out = [f"import cycle: {' -> '.join(c)}" for c in cycles(g.edges)]
    out += [f"{m}:{line}: an import of truce guarded by `except ImportError`" for m, line in g.guarded]
    out += [
        f"{m}:{line}: an import of truce inside a function without a `# lazy: <reason>` comment "
        "(move it to the module's top; if that makes a cycle, move the shared thing down a layer)"
        for m, line, reason in g.lazy
        if not reason
    ]
    if len(g.lazy) > cap:
        out.append(f"{len(g.lazy)} lazy imports of truce inside functions, more than the cap of {cap}")
    return out


def _tree() -> dict[str, tuple[str, bool]]:
    out = {}
    for f in (SRC / "truce").rglob("*.py"):
        if "migrations" in f.parts:
            continue
        name = ".".join(f.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__")
        out[name] = (f.read_text("utf-8"), f.name == "__init__.py")
    return out


def test_truce_keeps_the_import_rules():
    g = analyse(_tree())
    assert len(g.edges) > 100, "the source tree was not found"
    assert g.lazy, "no lazy import found: the checker reads nothing inside functions"
    assert problems(g) == []


def test_a_cycle_hidden_by_a_deferred_import_is_found():
    pkg = {
        "p": ("", True),
        "p.a": ("from p import b\n", False),
        "p.b": ("def f():\n    from p.a import x  # lazy: a reason\n", False),
    }
    assert problems(analyse(pkg)) == ["import cycle: p.a -> p.b"]
    pkg["p.b"] = ("def f():\n    from . import c  # lazy: a reason\n", False)
    pkg["p.c"] = ("from .a import y\n", False)
    assert problems(analyse(pkg)) == ["import cycle: p.a -> p.b -> p.c"]


def test_a_guarded_import_is_found():
    pkg = {
        "p": ("", True),
        "p.a": ("try:\n    import p.b\nexcept ModuleNotFoundError:\n    pass\n", False),
        "p.b": ("try:\n    import yaml\nexcept ImportError:\n    yaml = None\n", False),
    }
    assert problems(analyse(pkg)) == ["p.a:2: an import of truce guarded by `except ImportError`"]


def test_an_in_function_import_needs_a_reason_and_they_have_a_cap():
    pkg = {
        "p": ("", True),
        "p.a": ("X = 1\n", False),
        "p.b": (
            "def f():\n"
            "    from p.a import X  # lazy: loads numpy, only for maps\n"
            "    import json\n"
            "def g():\n"
            "    from p.a import (\n        X,  # lazy: shapely\n    )\n"
            "    return lambda: __import__('json')\n",
            False,
        ),
    }
    assert problems(analyse(pkg)) == []
    assert problems(analyse(pkg), cap=1) == ["2 lazy imports of truce inside functions, more than the cap of 1"]
    pkg["p.c"] = ("class C:\n    def m(self):\n        from p import a  # noqa: F401 (lazy)\n", False)
    assert problems(analyse(pkg)) == [
        "p.c:3: an import of truce inside a function without a `# lazy: <reason>` comment "
        "(move it to the module's top; if that makes a cycle, move the shared thing down a layer)"
    ]
