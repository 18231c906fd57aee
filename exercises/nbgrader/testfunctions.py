"""Autograder test cells as test functions: the cell's lines in a function body, with ``global`` for the names
the cell reads before it assigns them, so they still resolve to the setup's values as in the notebook."""

from __future__ import annotations

import ast
import re

from .cells import CellInfo, cell_error


class _ScopeNames(ast.NodeVisitor):
    """Names read and bound in the scope being visited, not in nested functions, lambdas or classes."""

    def __init__(self):
        self.loads: set[str] = set()
        self.stores: set[str] = set()

    def visit_Name(self, node: ast.Name):
        (self.loads if isinstance(node.ctx, ast.Load) else self.stores).add(node.id)

    def visit_AugAssign(self, node: ast.AugAssign):
        if isinstance(node.target, ast.Name):
            self.loads.add(node.target.id)
        self.generic_visit(node)

    def _definition(self, node):
        for item in [*node.decorator_list, *getattr(node, "bases", []), *getattr(node, "keywords", [])]:
            self.visit(item)
        if hasattr(node, "args"):
            for default in [*node.args.defaults, *[d for d in node.args.kw_defaults if d is not None]]:
                self.visit(default)
        self.stores.add(node.name)

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _definition

    def visit_Lambda(self, node: ast.Lambda):
        for default in [*node.args.defaults, *[d for d in node.args.kw_defaults if d is not None]]:
            self.visit(default)

    def _comprehension(self, node):
        self.visit(node.generators[0].iter)  # the only part evaluated in the enclosing scope

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = _comprehension

    def visit_Import(self, node):
        for alias in node.names:
            self.stores.add(alias.asname or alias.name.split(".")[0])

    visit_ImportFrom = visit_Import

    def visit_ExceptHandler(self, node: ast.ExceptHandler):
        if node.name:
            self.stores.add(node.name)
        self.generic_visit(node)

    def visit_Global(self, node: ast.Global):
        self.stores.update(node.names)


def _scope_names(nodes) -> _ScopeNames:
    names = _ScopeNames()
    for node in nodes:
        names.visit(node)
    return names


def _needs_global(tree: ast.Module) -> list[str]:
    """Names the cell binds but reads before binding: in a function they would be unbound locals."""
    bound_anywhere = _scope_names(tree.body).stores
    bound: set[str] = set()
    needed: set[str] = set()
    for statement in tree.body:
        names = _scope_names([statement])
        needed |= (names.loads - bound) & bound_anywhere
        bound |= names.stores
    return sorted(needed)


def all_loads(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}


def top_level_bindings(source: str) -> set[str]:
    try:
        return _scope_names(ast.parse(source).body).stores
    except SyntaxError:
        return set()


def parse_cell_code(info: CellInfo, source: str, label: str, notes: list[str] | None = None) -> ast.Module | None:
    """Parse a cell's code; IPython magics are an error, or only a warning in ``notes`` when that is given."""
    try:
        return ast.parse(source)
    except SyntaxError as exc:
        line = source.split("\n")[exc.lineno - 1].lstrip() if exc.lineno else ""
        if line[:1] in ("%", "!"):
            message = (
                f"line {exc.lineno} of the {label} is IPython syntax ({line[:20]!r}), not Python; tests and answers "
                "run as plain Python, so replace magics and shell commands with Python code."
            )
            if notes is None:
                raise cell_error(info, message) from None
            notes.append(f"{info.where}: {message}")
            return None
        raise cell_error(info, f"the {label} has a Python syntax error on line {exc.lineno}: {exc.msg}.") from None


def _last_expression_shown(tree: ast.Module, source: str) -> bool:
    """Whether IPython would display the value of the cell's last line (a bare expression not ending in ';')."""
    if not tree.body or not isinstance(tree.body[-1], ast.Expr):
        return False
    last = tree.body[-1]
    line = source.split("\n")[last.end_lineno - 1]
    rest = line.encode("utf-8")[last.end_col_offset :].decode("utf-8", "replace")
    return not rest.lstrip().startswith(";")


def as_test_function(info: CellInfo, name: str, source: str, label: str) -> tuple[str, bool]:
    """``def <name>():`` running ``source`` (a cell's lines); returns (function source, whether it returns a value)."""
    tree = parse_cell_code(info, source, label)
    returns = _last_expression_shown(tree, source)
    expected = list(tree.body)
    if returns:
        expected[-1] = ast.Return(value=expected[-1].value)
    globals_needed = _needs_global(tree)

    header = [f"def {name}():"]
    if globals_needed:
        header.append(f"    global {', '.join(globals_needed)}")
    lines = source.split("\n")
    if returns:
        row, col = tree.body[-1].lineno - 1, tree.body[-1].col_offset
        # `a; b` on one line cannot take a `return` in place: the check below then rebuilds the body.
        if lines[row][:col].strip() == "":
            lines[row] = lines[row][:col] + "return " + lines[row][col:]
    body = "\n".join(("    " + line) if line.strip() else "" for line in lines).rstrip() if tree.body else ""
    candidate = "\n".join(header) + "\n" + (body or "    pass") + "\n"
    if not _same_body(candidate, expected):
        # Indenting changed a multi-line string or similar: rebuild the body from the syntax tree (drops comments).
        module = ast.Module(body=expected or [ast.Pass()], type_ignores=[])
        rebuilt = ast.unparse(ast.fix_missing_locations(module))
        candidate = "\n".join(header) + "\n" + "\n".join("    " + line for line in rebuilt.split("\n")) + "\n"
    try:
        compile(candidate, f"<{name}>", "exec")
    except SyntaxError as exc:
        raise cell_error(
            info,
            f"the {label} cannot run inside a test function: {exc.msg} (line {exc.lineno}). "
            "For example, replace `from module import *` with explicit imports.",
        ) from None
    return candidate, returns


def _same_body(function_source: str, expected: list[ast.stmt]) -> bool:
    try:
        function = ast.parse(function_source).body[0]
    except SyntaxError:
        return False
    body = [node for node in function.body if not isinstance(node, ast.Global)]
    if not expected:
        return len(body) == 1 and isinstance(body[0], ast.Pass)
    return [ast.dump(node) for node in body] == [ast.dump(node) for node in expected]


def test_function_name(grade_id: str) -> str:
    name = re.sub(r"\W", "_", grade_id)
    return name if name.startswith("test_") else f"test_{name}"
