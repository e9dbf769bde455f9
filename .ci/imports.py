#!/usr/bin/env python3
"""Checks a crate's file-level import graph: no circles, and rooms layered.

The graph: one node per source file reached from the crate root through `mod` declarations
(`#[path]` included, `#[cfg]` ignored, so every platform's file is in it). An edge A -> B for
every path in A, in a `use` (grouped forms expanded) or in code, that starts at `crate`,
`$crate`, `super`, `self` or a child module of the current module: the path names the deepest
module it walks through, and B is that module's file. So `use crate::autograd::Tensor` names
`autograd/mod.rs`, whose own `pub use tensor::Tensor` is an edge to `autograd/tensor.rs`: a
parent that re-exports its children is imported by none of them (they name their sibling's
file, `super::tensor::Tensor`, not `super::Tensor`). Comments, doc links and strings are not
read; test modules inside a file count as the file. A `super::` or `self::` path inside a
`macro_rules!` body names the module the macro is expanded in, and is not followed.

Checks:
- no circle of any length (for each set of files that reach one another, one circle through
  them is printed, with the line that makes every edge);
- with layers given (lowest first, each a list of files and folders relative to the root), a
  file imports nothing from a layer above its own, and every file is in a layer.

`python3 .ci/imports.py` checks this repository's crates; `python3 .ci/test_imports.py` checks
the checker on made-up trees.
"""

import os
import re
import sys

# The library's rooms, lowest first. The crate root is above them all: nothing imports lib.rs.
LIBRARY_LAYERS = [
    ["kernels/"],
    ["autograd/", "ops/", "inspect/", "error.rs"],
    ["nn/", "optim/", "data/", "train/", "eval.rs", "atomic.rs"],
    ["lib.rs"],
]

CRATES = [
    ("crates/ferrograd/src", ["lib.rs"], LIBRARY_LAYERS),
    ("crates/ferrograd-cli/src", ["lib.rs", "main.rs"], None),
    ("crates/ferrograd-py/src", ["lib.rs"], None),
    ("crates/ferrograd-web/src", ["lib.rs"], None),
]

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def strip(text):
    """The source with comments, strings and char literals blanked (newlines kept)."""
    out = []
    i, n = 0, len(text)

    def blank(s):
        return "".join(c if c == "\n" else " " for c in s)

    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(blank(text[i:j]))
            i = j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(blank(text[i:j]))
            i = j
        elif (m := re.compile(r'b?r(#*)"').match(text, i)) and (
            i == 0 or not re.match(r"\w", text[i - 1])
        ):
            end = text.find('"' + m.group(1), m.end())
            j = n if end < 0 else end + 1 + len(m.group(1))
            out.append(blank(text[i:j]))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(blank(text[i : j + 1]))
            i = j + 1
        elif c == "'" and (m := re.compile(r"'(\\.[^']*|[^'\\\n])'").match(text, i)):
            out.append(blank(m.group(0)))
            i = m.end()
        else:
            out.append(c)
            i += 1
    return "".join(out)


def use_paths(tree):
    """`a::{b::C, d as e, self}` -> [["a", "b", "C"], ["a", "d"], ["a"]]."""
    tree = re.sub(r"\s+", "", re.sub(r"\s+as\s+" + IDENT, "", tree))
    paths = []

    def walk(prefix, s):
        # split s at top-level commas
        depth, start, parts = 0, 0, []
        for k, ch in enumerate(s):
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            elif ch == "," and depth == 0:
                parts.append(s[start:k])
                start = k + 1
        parts.append(s[start:])
        for part in filter(None, parts):
            brace = part.find("{")
            if brace >= 0:
                head = [x for x in part[:brace].split("::") if x]
                walk(prefix + head, part[brace + 1 : part.rindex("}")])
            else:
                segs = [x for x in part.split("::") if x]
                if segs == ["self"]:
                    paths.append(prefix)
                else:
                    paths.append(prefix + segs)

    walk([], tree)
    return paths


class Crate:
    def __init__(self, src, roots):
        self.src = src
        self.files = {}  # file -> stripped text
        self.modules = {}  # module path (tuple) -> set of files
        self.children = {}  # module path -> set of child names
        self.spans = {}  # file -> [(start, end, module path)] of modules inside it
        for root in roots:
            self._load(root, (), mod_rs=True)

    def _load(self, rel, module, mod_rs):
        path = os.path.join(self.src, rel)
        if not os.path.exists(path):
            return
        self.modules.setdefault(module, set()).add(rel)
        self.children.setdefault(module, set())
        if rel in self.files:
            return
        with open(path, encoding="utf-8") as f:
            raw = f.read()
        text = strip(raw)
        self.files[rel] = text
        spans = [(0, len(text), module)]
        here = os.path.dirname(rel)
        own = here if mod_rs else os.path.join(here, os.path.splitext(os.path.basename(rel))[0])
        for m in re.finditer(
            r"((?:#\[[^\]]*\]\s*)*)\b(?:pub(?:\([^)]*\))?\s+)?mod\s+(" + IDENT + r")\s*([;{])", text
        ):
            inner = self._inner(spans, m.start())
            name = m.group(2)
            child = inner + (name,)
            self.children.setdefault(inner, set()).add(name)
            if m.group(3) == "{":
                end = self._close(text, m.end() - 1)
                spans.append((m.end(), end, child))
                self.modules.setdefault(child, set()).add(rel)
                self.children.setdefault(child, set())
                continue
            attr = re.search(r"#\[path\s*=", m.group(1))
            nested = inner[len(module) :]
            base = os.path.join(own, *nested)
            if attr:
                # blanked by strip: read the attribute from the original text
                attrs = raw[m.start(1) : m.end(1)]
                target = re.search(r'#\[path\s*=\s*"([^"]*)"\]', attrs).group(1)
                self._load(os.path.normpath(os.path.join(here, target)), child, mod_rs=True)
            else:
                flat = os.path.join(base, name + ".rs")
                folder = os.path.join(base, name, "mod.rs")
                if os.path.exists(os.path.join(self.src, flat)):
                    self._load(os.path.normpath(flat), child, mod_rs=False)
                else:
                    self._load(os.path.normpath(folder), child, mod_rs=True)
        self.spans[rel] = spans

    @staticmethod
    def _inner(spans, pos):
        best = spans[0]
        for span in spans:
            if span[0] <= pos < span[1] and span[0] >= best[0]:
                best = span
        return best[2]

    @staticmethod
    def _close(text, opening):
        pair = {"{": "}", "(": ")", "[": "]"}[text[opening]]
        depth = 0
        for k in range(opening, len(text)):
            if text[k] == text[opening]:
                depth += 1
            elif text[k] == pair:
                depth -= 1
                if depth == 0:
                    return k
        return len(text)

    def _absolute(self, segs, module):
        """The path from the crate root, or None for a path outside the crate."""
        if not segs:
            return None
        first = segs[0]
        if first in ("crate", "$crate"):
            return list(segs[1:])
        if first == "self":
            return list(module) + list(segs[1:])
        if first == "super":
            k, cur = 0, list(module)
            while k < len(segs) and segs[k] == "super":
                cur, k = cur[:-1], k + 1
            return cur + list(segs[k:])
        if first in self.children.get(module, ()):
            return list(module) + list(segs)
        return None

    def _files_of(self, absolute):
        cur = ()
        for seg in absolute:
            if seg in self.children.get(cur, ()):
                cur = cur + (seg,)
            else:
                break
        return self.modules.get(cur, set())

    def edges(self):
        """{(from, to): first line number}."""
        found = {}
        for rel, text in self.files.items():
            spans = self.spans[rel]
            refs = []
            uses = list(re.finditer(r"\buse\s+([^;]*);", text))
            for m in uses:
                for segs in use_paths(m.group(1)):
                    refs.append((m.start(), segs))
            masked = list(text)
            for m in uses:
                masked[m.start() : m.end()] = " " * (m.end() - m.start())
            masked = "".join(masked)
            for m in re.finditer(r"(?<![\w:])(\$?" + IDENT + r")((?:\s*::\s*" + IDENT + r")+)", masked):
                segs = [m.group(1)] + re.findall(IDENT, m.group(2))
                refs.append((m.start(), segs))
            macros = [
                (m.end() - 1, self._close(text, m.end() - 1))
                for m in re.finditer(r"\bmacro_rules!\s*" + IDENT + r"\s*[{(\[]", text)
            ]
            for pos, segs in refs:
                if segs[0] in ("super", "self") and any(a < pos < b for a, b in macros):
                    continue  # resolved where the macro is expanded
                absolute = self._absolute(segs, self._inner(spans, pos))
                if absolute is None:
                    continue
                line = text.count("\n", 0, pos) + 1
                targets = self._files_of(absolute)
                if rel in targets:
                    continue  # its own module (`use super::*` in a test module)
                for target in targets:
                    found.setdefault((rel, target), line)
        return found


def cycles(files, edges):
    """Every strongly connected set of more than one file, each as one circle through it."""
    graph = {f: sorted({b for (a, b) in edges if a == f}) for f in files}
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def connect(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(circle(graph, set(component)))

    sys.setrecursionlimit(10000)
    for f in sorted(files):
        if f not in index:
            connect(f)
    return out


def circle(graph, component):
    """One circle through a strongly connected set: a shortest way back to its first file."""
    start = min(component)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in graph[v]:
                if w == start:
                    return paths[v] + [start]
                if w in component and w not in paths:
                    paths[w] = paths[v] + [w]
                    nxt.append(w)
        frontier = nxt
    return [start]


def layer_of(rel, layers):
    for k, layer in enumerate(layers):
        for entry in layer:
            if rel == entry or (entry.endswith("/") and rel.startswith(entry)):
                return k
    return None


def check(src, roots, layers=None):
    """The problems found, one line each (empty when the crate passes)."""
    crate = Crate(src, roots)
    edges = crate.edges()
    problems = []
    for loop in cycles(crate.files, edges):
        steps = " -> ".join(
            f"{a} (line {edges[(a, b)]})" for a, b in zip(loop, loop[1:])
        )
        problems.append(f"{src}: circle: {steps} -> {loop[-1]}")
    if layers is not None:
        for rel in sorted(crate.files):
            if layer_of(rel, layers) is None:
                problems.append(f"{src}: {rel} is in no layer")
        for (a, b), line in sorted(edges.items()):
            la, lb = layer_of(a, layers), layer_of(b, layers)
            if la is not None and lb is not None and lb > la:
                problems.append(
                    f"{src}: {a} line {line} imports {b}, a layer above its own "
                    f"({' '.join(layers[la])} < {' '.join(layers[lb])})"
                )
    return problems


def main():
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    problems = []
    for src, roots, layers in CRATES:
        problems += check(src, roots, layers)
    for p in problems:
        print(p)
    if problems:
        sys.exit(1)
    layers = " < ".join(" ".join(layer) for layer in LIBRARY_LAYERS)
    crates = ", ".join(src for src, _, _ in CRATES)
    print(f"ok: no circles in {crates}; the library's rooms layered {layers}")


if __name__ == "__main__":
    main()
