"""Layering checks for kernel/lang (kernel/lang/README.md): display/ uses
nothing of the interpreter (no include, no call), the helper layer
core/builtins.c calls nothing in lib/, the rest of core/ only the library
table, and the front end nothing in lib/. Prints the loop and
the upward calls that remain (calls.py), then "N passed, N failed"."""
import os
import re
import sys
from pathlib import Path

from calls import LAYERS, ROOT, graph, loops, upward

LANG = ROOT / "kernel" / "lang"


def headers_of(layer):
    return {p.name for p in (LANG / layer).glob("*.h")}


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("BUILD", "build")
    passed = failed = 0

    def check(name, problems):
        nonlocal passed, failed
        if problems:
            failed += 1
            print(f"FAIL {name}:")
            for p in problems:
                print(f"  {p}")
        else:
            passed += 1
            print(f"ok   {name}")

    interp = set().union(*(headers_of(l) for l in ("front", "core", "lib"))) | {"lang.h"}
    bad = []
    for f in sorted((LANG / "display").glob("*.[ch]")):
        for inc in re.findall(r'#include\s+"([^"]+)"', f.read_text()):
            if Path(inc).name in interp:
                bad.append(f"display/{f.name} includes {inc}")
    check("display/ includes nothing of the interpreter", bad)

    files, edges = graph(build)
    if not files:
        check(f"objects of kernel/lang in {build}", [f"none found: build first (make BUILD={build})"])
    else:
        def calls_from(pred_src, pred_dst):
            return [f"{f} -> {g}: {', '.join(sorted(s))}" for f, gs in edges.items() if pred_src(f)
                    for g, s in gs.items() if pred_dst(g)]
        check("display/ calls nothing outside display/",
              calls_from(lambda f: f.startswith("display/"), lambda g: not g.startswith("display/")))
        check("core/builtins.c calls nothing in lib/",
              calls_from(lambda f: f == "core/builtins.c", lambda g: g.startswith("lib/")))
        check("core/ calls nothing in lib/ but the library table (lang_open_libraries)",
              [x for x in calls_from(lambda f: f.startswith("core/"), lambda g: g.startswith("lib/"))
               if x != "core/lang.c -> lib/libraries.c: lang_open_libraries"])
        check("front/ calls nothing in lib/",
              calls_from(lambda f: f.startswith("front/"), lambda g: g.startswith("lib/")))
        comps = loops(edges)
        up = upward(edges)
        print(f"(measure) {len(files)} files; loops: {[len(c) for c in comps]} files; "
              f"{sum(len(s) for _, _, s in up)} functions called up {' < '.join(LAYERS)}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
