"""`cgpu-kernel run` and `cgpu-kernel exec`: the same outputs as Jupyter,
errors, interrupts, timeouts, input()."""
import json
import os
import signal
import subprocess
import sys
import time

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from conftest import (EXEC_TIMEOUT, NOTEBOOKS, PYTHON, first_difference, kernel_binary, signature,
                      without_timings)

KERNELSPEC = {"name": "cgpu", "display_name": "C-GPU", "language": "cgpu"}
# Notebooks whose outputs do not depend on timings: they must match Jupyter's exactly.
DETERMINISTIC = ["num_gpu.ipynb", "celsius.ipynb", "celsius_mirrored.ipynb"]


def make_notebook(path, sources, tags=None):
    cells = [new_markdown_cell("# a test notebook")]
    for i, src in enumerate(sources):
        c = new_code_cell(src)
        c["id"] = "c%d" % i
        if tags and i in tags:
            c.metadata["tags"] = tags[i]
        cells.append(c)
    nb = new_notebook(cells=cells, metadata={"kernelspec": KERNELSPEC})
    nbformat.write(nb, str(path))
    return path


def run(args, **kw):
    kw.setdefault("timeout", 120)
    return subprocess.run([kernel_binary()] + args, capture_output=True, text=True, **kw)


def nbconvert_execute(src, out, allow_errors=False):
    cmd = [PYTHON, "-m", "nbconvert", "--to", "notebook", "--execute",
           "--output-dir", str(out.parent), "--output", out.name, str(src)]
    if allow_errors:
        cmd.insert(5, "--allow-errors")
    return subprocess.run(cmd, capture_output=True, text=True, timeout=EXEC_TIMEOUT)


# ---- the shipped notebooks: same outputs as Jupyter ------------------------------------------

@pytest.mark.parametrize("name", NOTEBOOKS)
def test_same_output_bundles_as_nbconvert(name, nbconvert, runner):
    a, b = nbconvert(name), runner(name)
    assert a.nb is not None, a.explain()
    assert b.proc.returncode == 0 and b.nb is not None, b.explain()
    assert signature(b.nb) == signature(a.nb)
    assert b.nb.metadata.language_info == a.nb.metadata.language_info


@pytest.mark.parametrize("name", DETERMINISTIC)
def test_same_notebook_as_nbconvert_up_to_timings(name, nbconvert, runner):
    a, b = nbconvert(name), runner(name)
    assert a.nb is not None and b.nb is not None, a.explain() + b.explain()
    diff = first_difference(without_timings(a.nb), without_timings(b.nb))
    assert diff is None, "nbconvert vs runner: " + diff


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_runner_records_timings_like_nbclient(name, runner):
    nb = runner(name).nb
    assert nb is not None
    for c in nb.cells:
        if c.cell_type == "code" and c.source.strip():
            assert sorted(c.metadata.execution) == ["iopub.execute_input", "iopub.status.busy",
                                                     "iopub.status.idle", "shell.execute_reply"]


def test_runner_output_is_valid_and_input_untouched(runner):
    from conftest import NOTEBOOK_DIR
    before = (NOTEBOOK_DIR / "celsius.ipynb").read_bytes()
    ex = runner("celsius.ipynb")
    nbformat.validate(ex.nb)
    assert (NOTEBOOK_DIR / "celsius.ipynb").read_bytes() == before
    src = nbformat.read(str(NOTEBOOK_DIR / "celsius.ipynb"), as_version=4)
    assert [c.id for c in ex.nb.cells] == [c.id for c in src.cells]
    for a, b in zip(src.cells, ex.nb.cells):
        assert a.source == b.source
        if a.cell_type != "code":
            assert a == b


def test_runner_echoes_cell_text(runner):
    out = runner("celsius.ipynb").proc.stdout
    assert "-40.0 degrees Celsius = -40.0 degrees Fahrenheit\n" in out
    assert "Finished training the model\n" in out


# ---- the language's output kinds, both ways -----------------------------------------------------

FEATURES = [
    "for i in range(3):\n    print(i)",
    "x = 6 * 7\nx",
    "print('before')\n1 + 1",
    "plt.plot([1, 2, 3], [1, 4, 9])\nplt.xlabel('x')\nplt.ylabel('y')",
    "",
    "undefined_name_zz",
    "print('after the error')",
]


def test_features_same_as_nbconvert(tmp_path):
    src = make_notebook(tmp_path / "features.ipynb", FEATURES)
    ref = nbconvert_execute(src, tmp_path / "ref.ipynb", allow_errors=True)
    assert ref.returncode == 0, ref.stderr[-3000:]
    proc = run(["run", str(src), "-o", str(tmp_path / "mine.ipynb"), "--allow-errors", "-q"])
    assert proc.returncode == 0, proc.stderr
    a = nbformat.read(str(tmp_path / "ref.ipynb"), as_version=4)
    b = nbformat.read(str(tmp_path / "mine.ipynb"), as_version=4)
    diff = first_difference(without_timings(a), without_timings(b))
    assert diff is None, "nbconvert vs runner: " + diff
    loop = b.cells[1]
    assert [o.output_type for o in loop.outputs] == ["stream"], "one merged stream output"
    assert loop.outputs[0].text == "0\n1\n2\n"
    assert b.cells[5].execution_count is None, "a blank cell is not executed"


# ---- failures ----------------------------------------------------------------------------------

def test_failing_cell_stops_with_error(tmp_path):
    src = make_notebook(tmp_path / "bad.ipynb", ["print('first')", "undefined_name_zz", "print('never')"])
    out = tmp_path / "bad.out.ipynb"
    proc = run(["run", str(src), "-o", str(out)])
    assert proc.returncode == 1
    assert "NameError" in proc.stderr and "undefined_name_zz" in proc.stderr
    nb = nbformat.read(str(out), as_version=4)
    nbformat.validate(nb)
    c0, c1, c2 = nb.cells[1:]
    assert c0.outputs[0].text == "first\n" and c0.execution_count == 1
    assert c1.execution_count == 2
    assert [o.output_type for o in c1.outputs] == ["error"] and c1.outputs[0].ename == "NameError"
    assert c2.execution_count is None and c2.outputs == []


def test_allow_errors_goes_on(tmp_path):
    src = make_notebook(tmp_path / "bad.ipynb", ["undefined_name_zz", "print('still runs')"])
    out = tmp_path / "out.ipynb"
    proc = run(["run", str(src), "-o", str(out), "--allow-errors"])
    assert proc.returncode == 0, proc.stderr
    assert "NameError" in proc.stderr
    nb = nbformat.read(str(out), as_version=4)
    assert nb.cells[2].outputs[0].text == "still runs\n"


def test_raises_exception_tag(tmp_path):
    src = make_notebook(tmp_path / "tagged.ipynb", ["undefined_name_zz", "print('runs')"],
                        tags={0: ["raises-exception"]})
    proc = run(["run", str(src), "-o", str(tmp_path / "o.ipynb"), "-q"])
    assert proc.returncode == 0, proc.stderr


def test_skip_execution_tag(tmp_path):
    src = make_notebook(tmp_path / "tagged.ipynb", ["print('skipped')", "print('runs')"],
                        tags={0: ["skip-execution"]})
    proc = run(["run", str(src), "-o", str(tmp_path / "o.ipynb"), "-q"])
    assert proc.returncode == 0, proc.stderr
    nb = nbformat.read(str(tmp_path / "o.ipynb"), as_version=4)
    assert nb.cells[1].outputs == [] and nb.cells[2].execution_count == 1


def test_bad_input_files(tmp_path):
    proc = run(["run", str(tmp_path / "missing.ipynb")])
    assert proc.returncode == 2 and "missing.ipynb" in proc.stderr
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{not json")
    proc = run(["run", str(bad)])
    assert proc.returncode == 2 and "not valid JSON" in proc.stderr
    bad.write_text(json.dumps({"nbformat": 3, "cells": []}))
    proc = run(["run", str(bad)])
    assert proc.returncode == 2 and "nbformat" in proc.stderr


def test_usage():
    proc = run(["run", "--help"])
    assert proc.returncode == 0 and "usage: cgpu-kernel run" in proc.stdout
    proc = run(["exec", "--help"])
    assert proc.returncode == 0 and "usage: cgpu-kernel exec" in proc.stdout
    proc = run(["run", "--no-such-option", "x.ipynb"])
    assert proc.returncode == 2 and "unknown option" in proc.stderr


def test_default_output_path_and_directory(tmp_path):
    src = make_notebook(tmp_path / "nb.ipynb", ["print('hi')"])
    proc = run(["run", str(src), "-q"])
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "nb.executed.ipynb").exists()
    d = tmp_path / "outdir"
    d.mkdir()
    proc = run(["run", str(src), "-o", str(d), "-q"])
    assert proc.returncode == 0 and (d / "nb.executed.ipynb").exists()
    proc = run(["run", str(src), "-o", "-"])
    assert proc.returncode == 0
    nb = nbformat.reads(proc.stdout, as_version=4)
    assert nb.cells[1].outputs[0].text == "hi\n"
    assert "hi" in proc.stderr, "with the notebook on stdout, cell text goes to stderr"


# ---- input(), timeouts, Ctrl-C -----------------------------------------------------------------

def test_input_reads_stdin(tmp_path):
    src = make_notebook(tmp_path / "in.ipynb", ["name = input('Your name? ')\nprint('hello', name)"])
    proc = run(["run", str(src), "-o", str(tmp_path / "o.ipynb")], input="Ada\n")
    assert proc.returncode == 0, proc.stderr
    nb = nbformat.read(str(tmp_path / "o.ipynb"), as_version=4)
    assert nb.cells[1].outputs[0].text == "hello Ada\n"


def test_timeout_interrupts_the_cell(tmp_path):
    src = make_notebook(tmp_path / "loop.ipynb", ["print('start')", "while True:\n    pass", "print('no')"])
    t0 = time.time()
    proc = run(["run", str(src), "-o", str(tmp_path / "o.ipynb"), "--timeout", "1"], timeout=60)
    assert proc.returncode == 1
    assert time.time() - t0 < 30
    assert "timed out" in proc.stderr
    nb = nbformat.read(str(tmp_path / "o.ipynb"), as_version=4)
    assert nb.cells[1].outputs[0].text == "start\n"
    assert nb.cells[3].execution_count is None


def test_sigint_interrupts_and_writes_the_notebook(tmp_path):
    src = make_notebook(tmp_path / "loop.ipynb", ["print('start')", "while True:\n    pass"])
    out = tmp_path / "o.ipynb"
    p = subprocess.Popen([kernel_binary(), "run", str(src), "-o", str(out)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    assert line == "start\n"
    time.sleep(0.5)
    p.send_signal(signal.SIGINT)
    try:
        rc = p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        raise
    assert rc == 130
    nb = nbformat.read(str(out), as_version=4)
    errs = [o for o in nb.cells[2].outputs if o.output_type == "error"]
    assert errs and errs[0].ename == "KeyboardInterrupt"


# ---- exec ----------------------------------------------------------------------------------------

def test_exec_cell_file(tmp_path):
    f = tmp_path / "prog.cg"
    f.write_text("x = 6 * 7\nprint('x is', x)\n# %%\nx + 1\n# %% [markdown]\n# notes\n# %%\nprint('end')\n")
    proc = run(["exec", str(f)])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "x is 42\n43\nend\n"


def test_exec_whole_file_is_one_cell(tmp_path):
    f = tmp_path / "prog.cg"
    f.write_text("def sq(v):\n    return v * v\n\nprint(sq(7))\n")
    proc = run(["exec", str(f)])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "49\n"


def test_exec_error(tmp_path):
    f = tmp_path / "prog.cg"
    f.write_text("print('a')\n# %%\nundefined_name_zz\n# %%\nprint('b')\n")
    proc = run(["exec", str(f)])
    assert proc.returncode == 1
    assert proc.stdout == "a\n"
    assert "NameError" in proc.stderr and "cell 2 (line 2)" in proc.stderr


def test_exec_reads_stdin_program():
    proc = run(["exec", "-"], input="print(1 + 2)\n")
    assert proc.returncode == 0 and proc.stdout == "3\n"
