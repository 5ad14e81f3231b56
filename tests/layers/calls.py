"""The call graph between the language's files, from the symbols of their
objects (nm): which file calls which, the loops (strongly connected groups
of files), and the calls that run up the layers display < front < core <
lib. Used by tests/layers/suite.sh; run alone for the numbers:

    python3 tests/layers/calls.py [BUILD]
"""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ["display", "front", "core", "lib"]   # lowest first


def symbols(obj):
    out = subprocess.run(["nm", "--defined-only", "-g", obj], capture_output=True, text=True).stdout
    defined = {l.split()[-1] for l in out.splitlines() if len(l.split()) == 3 and l.split()[1] in "TDBRC"}
    out = subprocess.run(["nm", "-u", obj], capture_output=True, text=True).stdout
    used = {l.split()[-1] for l in out.splitlines() if l.strip()}
    return defined, used


def graph(build):
    base = ROOT / build / "kernel" / "lang"
    files = {}
    for layer in LAYERS:
        for obj in sorted((base / layer).glob("*.o")):
            files[f"{layer}/{obj.stem}.c"] = symbols(obj)
    owner = {s: f for f, (d, _) in files.items() for s in d}
    edges = {f: {} for f in files}
    for f, (_, used) in files.items():
        for s in used:
            g = owner.get(s)
            if g and g != f:
                edges[f].setdefault(g, set()).add(s)
    return files, edges


def loops(edges):
    """Tarjan's strongly connected components with more than one file."""
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
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

    sys.setrecursionlimit(10000)
    for v in edges:
        if v not in index:
            visit(v)
    return out


def rank(f):
    return LAYERS.index(f.split("/")[0])


def upward(edges):
    """(caller, callee, symbols) for each call into a higher layer."""
    return [(f, g, sorted(s)) for f, gs in edges.items() for g, s in gs.items() if rank(g) > rank(f)]


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("BUILD", "build")
    files, edges = graph(build)
    comps = loops(edges)
    up = upward(edges)
    print(f"{len(files)} files, {sum(len(g) for g in edges.values())} file-to-file call edges")
    for c in comps:
        print(f"loop of {len(c)} files: {' '.join(c)}")
    print(f"{sum(len(s) for _, _, s in up)} functions called up the layers ({' < '.join(LAYERS)}):")
    for f, g, s in sorted(up):
        print(f"  {f} -> {g}: {', '.join(s)}")


if __name__ == "__main__":
    main()
