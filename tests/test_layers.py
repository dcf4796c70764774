"""The layering of DEVELOPERS.md, checked on the source (pure ast and text, no imports run):
ingest -> nlp -> index -> qa -> analysis -> app, eval above all; a module imports its own layer
or lower ones. No import circles, no module over 400 lines, the edge (app/) under a third of
the product's lines, no private name taken from another package, and one definition each of the
things defined once (filter fields, a passage's language, the word pattern, citations).
../shared/tools/layers.py prints the same findings for the first four."""
from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .conftest import REPO

# Lower number = lower layer (as in ../shared/tools/layers.py).
LAYERS = {"ingest": 1, "nlp": 2, "index": 3, "qa": 4, "analysis": 5, "app": 6, "eval": 7}
PRODUCT = ("ingest", "nlp", "index", "qa", "analysis", "app")  # the lines the edge's share is of
MAX_LINES = 400
EDGE_SHARE = 1 / 3
WORD_PATTERN = r"[^\W_]+(?:[-'][^\W_]+)*"


@dataclass
class Module:
    name: str  # dotted: "qa.answer", "app.ui" for app/ui/__init__.py
    path: Path
    text: str
    tree: ast.Module

    @property
    def top(self) -> str:
        return self.name.split(".")[0]

    @property
    def rel(self) -> str:
        return self.path.relative_to(REPO).as_posix()

    @property
    def lines(self) -> int:
        return len(self.text.splitlines())


@dataclass(frozen=True)
class Import:
    module: str  # the module imported from (relative imports resolved)
    names: tuple[str, ...]  # the names of a "from ... import", () for "import x"
    lineno: int


def _dotted(f: Path) -> str:
    parts = list(f.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@lru_cache(maxsize=1)
def product_modules() -> dict[str, Module]:
    out = {}
    for top in LAYERS:
        for f in sorted((REPO / top).rglob("*.py")):
            text = f.read_text(encoding="utf-8")
            out[_dotted(f)] = Module(_dotted(f), f, text, ast.parse(text, filename=str(f)))
    return out


def imports(m: Module) -> list[Import]:
    """Every import of the module, at any depth (in functions too), relative ones resolved."""
    pkg = m.name if m.path.name == "__init__.py" else m.name.rpartition(".")[0]
    out = []
    for node in ast.walk(m.tree):
        if isinstance(node, ast.Import):
            out.extend(Import(a.name, (), node.lineno) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")
                base = base[: len(base) - node.level + 1] if node.level > 1 else base
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.append(Import(mod, tuple(a.name for a in node.names), node.lineno))
    return out


def _known(name: str, modules: dict[str, Module]) -> str | None:
    """The product module ``name`` loads: itself or its nearest enclosing package."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph() -> dict[str, set[str]]:
    """Module -> the product modules it imports ("from pkg import mod" counts as pkg.mod)."""
    modules = product_modules()
    graph: dict[str, set[str]] = defaultdict(set)
    for name, m in modules.items():
        for imp in imports(m):
            targets = [f"{imp.module}.{n}" for n in imp.names if f"{imp.module}.{n}" in modules]
            if len(targets) < len(imp.names) or not imp.names:
                targets.append(imp.module)
            for t in targets:
                k = _known(t, modules)
                if k and k != name:
                    graph[name].add(k)
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (iterative Tarjan)."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            v, children = work[-1]
            w = next(children, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def _report(found: list[str]) -> str:
    return f"{len(found)} found:\n  " + "\n  ".join(found)


# -- the layers ---------------------------------------------------------------------------------
def test_every_product_module_is_found_and_parses():
    modules = product_modules()
    assert {m.top for m in modules.values()} == set(LAYERS)
    assert {"qa.answer", "nlp.text", "index.filters", "qa.citations", "app.service"} <= set(modules)


def test_no_module_imports_a_higher_layer():
    found = []
    for m in product_modules().values():
        for imp in imports(m):
            target = imp.module.split(".")[0]
            if target in LAYERS and LAYERS[target] > LAYERS[m.top]:
                found.append(f"{m.rel}:{imp.lineno} imports {imp.module} ({m.top} -> {target})")
    assert not found, "upward imports, " + _report(found)


def test_no_import_circle_between_product_modules():
    found = [" <-> ".join(c) for c in circles(import_graph())]
    assert not found, "import circles, " + _report(found)


def test_relative_imports_are_resolved_as_python_does():
    text = "from . import common\nfrom ..service import Asker\nimport index.store\nfrom analysis.hubs import _x\n"
    m = Module("app.ui.ask", REPO / "app" / "ui" / "ask.py", text, ast.parse(text))
    assert [(i.module, i.names) for i in imports(m)] == [
        ("app.ui", ("common",)), ("app.service", ("Asker",)), ("index.store", ()), ("analysis.hubs", ("_x",))]


def test_the_circle_search_finds_a_circle():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_no_module_is_over_the_size_limit():
    found = [f"{m.rel} has {m.lines} lines" for m in product_modules().values() if m.lines > MAX_LINES]
    assert not found, f"modules over {MAX_LINES} lines, " + _report(found)


def test_the_edge_holds_under_a_third_of_the_products_lines():
    by_top = defaultdict(int)
    for m in product_modules().values():
        by_top[m.top] += m.lines
    total = sum(by_top[t] for t in PRODUCT)
    share = by_top["app"] / total
    assert share < EDGE_SHARE, (f"app/ has {by_top['app']:,} of {total:,} product lines ({share:.0%}); "
                                f"by package: {dict(by_top)}")


def test_no_private_name_is_imported_from_another_package():
    found = []
    for m in product_modules().values():
        for imp in imports(m):
            target = imp.module.split(".")[0]
            if target not in LAYERS or target == m.top:
                continue
            private = [n for n in imp.names if n.startswith("_") and not n.startswith("__")]
            private += [p for p in imp.module.split(".") if p.startswith("_") and not p.startswith("__")]
            if private:
                found.append(f"{m.rel}:{imp.lineno} imports {', '.join(private)} from {imp.module}")
    assert not found, "private names used across packages, " + _report(found)


# -- one definition each ------------------------------------------------------------------------
def _where(predicate) -> dict[str, list[int]]:
    """Product file -> the lines of the nodes ``predicate`` holds for."""
    out: dict[str, list[int]] = defaultdict(list)
    for m in product_modules().values():
        for node in ast.walk(m.tree):
            if predicate(node):
                out[m.rel].append(node.lineno)
    return dict(out)


def _names_assigned(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        targets = [node.target]
    else:
        return []
    out = []
    for t in targets:
        for n in ast.walk(t):
            if isinstance(n, ast.Name):
                out.append(n.id)
            elif isinstance(n, ast.Attribute):
                out.append(n.attr)
    return out


def _only_in(where: dict[str, list[int]], home: str, what: str, once: bool = True) -> None:
    elsewhere = [f"{f}:{line}" for f, lines in sorted(where.items()) if f != home for line in lines]
    assert not elsewhere, f"{what} outside {home}, " + _report(elsewhere)
    assert home in where, f"{what}: not found in {home}"
    if once:
        assert len(where[home]) == 1, f"{what}: {len(where[home])} times in {home} (lines {where[home]})"


def test_filter_fields_are_assigned_only_in_index_filters():
    where = _where(lambda n: "FILTER_FIELDS" in _names_assigned(n))
    _only_in(where, "index/filters.py", "FILTER_FIELDS assigned")


def _gets_passage_language(node: ast.AST) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
            and bool(node.args) and isinstance(node.args[0], ast.Constant) and node.args[0].value == "passage_language")


def test_a_passages_language_is_read_only_through_nlp_text_passage_language():
    """``meta.get("passage_language")`` (on any mapping) once: in nlp.text.passage_language;
    everywhere else calls it, so that the fall-back to the document's language is the same."""
    _only_in(_where(_gets_passage_language), "nlp/text.py", '.get("passage_language")')


def test_the_word_pattern_is_compiled_only_in_nlp_text():
    where = _where(lambda n: isinstance(n, ast.Constant) and isinstance(n.value, str) and WORD_PATTERN in n.value)
    _only_in(where, "nlp/text.py", f"the word pattern {WORD_PATTERN}")
    compiled = _where(lambda n: isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                      and n.func.attr == "compile" and bool(n.args) and isinstance(n.args[0], ast.Constant)
                      and n.args[0].value == WORD_PATTERN)
    assert list(compiled) == ["nlp/text.py"], compiled


def _constructs_citation(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    f = node.func
    return (isinstance(f, ast.Name) and f.id == "Citation") or (isinstance(f, ast.Attribute) and f.attr == "Citation")


def test_citations_are_constructed_only_in_qa_citations():
    _only_in(_where(_constructs_citation), "qa/citations.py", "Citation(...) constructed")
