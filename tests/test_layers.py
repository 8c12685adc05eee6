"""The layering, read from the source (the AST of every module, imports inside functions
included): `pos` is the domain and never imports the transport (`sync`), the GUI (`app`)
or Qt; and no two modules of `pos` import each other, directly or round a loop."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = ("sync", "app", "PySide6", "shiboken6")


def modules(package: str) -> dict[str, Path]:
    out = {}
    for p in sorted((ROOT / package).rglob("*.py")):
        parts = p.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = p
    return out


def imports(name: str, path: Path, known: dict[str, Path]) -> list[tuple[str, int]]:
    """(module imported, line) for every import statement of the module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")
                up = up[:len(up) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            for a in node.names:
                sub = f"{base}.{a.name}"
                out.append((sub if sub in known else base, node.lineno))
    return out


POS = modules("pos")


def test_the_domain_imports_no_transport_gui_or_qt():
    found = [f"{path.relative_to(ROOT)}:{line} imports {target}"
             for name, path in POS.items() for target, line in imports(name, path, POS)
             if target.split(".")[0] in FORBIDDEN]
    assert not found, "\n".join(found)


def test_no_import_cycle_between_modules_of_pos():
    graph = {name: {t for t, _ in imports(name, path, POS) if t in POS and t != name} for name, path in POS.items()}
    # a package's __init__ is not a module anyone depends on for its code here: edges into
    # a package stand for `from pos.x import y` where y is a name defined in pos/x/__init__.py
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(n: str) -> None:
        state[n] = 1
        stack.append(n)
        for m in sorted(graph[n]):
            if state.get(m) == 1:
                cycles.append(stack[stack.index(m):] + [m])
            elif m not in state:
                visit(m)
        stack.pop()
        state[n] = 2

    for n in sorted(graph):
        if n not in state:
            visit(n)
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def test_the_walk_sees_imports_inside_functions(tmp_path):
    """The check would catch a lazy import of the transport (as pay once had)."""
    f = tmp_path / "m.py"
    f.write_text("def pay():\n    from sync.policy import authorize_checkout\n", encoding="utf-8")
    assert ("sync.policy", 2) in imports("pos.services.m", f, POS)
