"""The runner's recording rules against nbclient's, independent of the
language: the runner is built over mock/mock_lang.c (a scripted language)
and nbconvert executes the same notebook with mock/mock_kernel.py (a Python
kernel sending the matching messages). The two files must be identical up
to the timestamps: stream merging, \\r folding, display ids updated across
cells, clear_output with and without wait, results, errors, JSON bundles,
invalid UTF-8, blank cells, Python's JSON formatting."""
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from conftest import PYTHON, ROOT

MOCK = Path(__file__).resolve().parent / "mock"

SCENARIO = [
    "print hello\nprint world\neprint oops\nprint again",
    "display d1 first\nprint between\nupdate d1 second",
    "update d1 third-from-another-cell\ndisplay - plain\nresult 42",
    "clearwait\nprint after clear\nclearwait\nprint final",
    "print a\nclear\nprint b",
    "cr 10%\ncr 50%\nprint done",
    "svg\njson {\"a\": [1, 2.5, 1e-07, 1e+16, 100.0, 0.1, true, null], \"b\": \"x\\u001by\"}",
    "bytes",
    "   \n",
    "display d2 one\ndisplay d2 two\nclearwait\nupdate d2 three",
    "write no newline \"quotes\" \\ tab\there é ü 漢字\u2028sep",
    "clearwait\nresult after a pending clear",
    "error ValueError bad thing happened",
    "print after the error",
]


@pytest.fixture(scope="module")
def mock_runner(tmp_path_factory):
    cc = shutil.which("gcc") or shutil.which("cc")
    if not cc:
        pytest.skip("no C compiler")
    if not Path("/usr/include/jansson.h").exists() and not os.environ.get("JANSSON_DIR"):
        pytest.skip("no jansson headers")
    d = tmp_path_factory.mktemp("mock")
    exe = d / "mock-runner"
    jdir = os.environ.get("JANSSON_DIR")
    jflags = ["-I%s/include" % jdir, "-L%s/lib" % jdir, "-Wl,-rpath,%s/lib" % jdir] if jdir else []
    cmd = [cc, "-std=gnu11", "-O1", "-g", "-Wall", "-Wno-unused-parameter", "-D_GNU_SOURCE",
           "-DCGPU_HAVE_JANSSON=1", "-I%s" % (ROOT / "runtime" / "common"), "-I%s" % (ROOT / "kernel"),
           "-I%s" % (ROOT / "kernel/lang")] + jflags + [
           "-o", str(exe), str(MOCK / "mock_main.c"), str(MOCK / "mock_lang.c"),
           str(ROOT / "kernel/runner.c"), str(ROOT / "kernel/ipynb.c")] + [
           str(p) for p in sorted((ROOT / "runtime" / "common").glob("*.c"))] + ["-ljansson", "-lpthread"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return exe


@pytest.fixture(scope="module")
def mock_kernelspec(tmp_path_factory):
    try:
        import ipykernel  # noqa: F401
    except ImportError:
        pytest.skip("ipykernel is not installed")
    d = tmp_path_factory.mktemp("jupyter")
    spec = d / "kernels" / "cgpu-mock"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [PYTHON, str(MOCK / "mock_kernel.py"), "-f", "{connection_file}"],
        "display_name": "mock", "language": "cgpu"}))
    return d


def scenario_notebook(path, sources):
    cells = [new_markdown_cell("# scenario\nmarkdown stays as it is")]
    for i, s in enumerate(sources):
        c = new_code_cell(s)
        c["id"] = "s%d" % i
        cells.append(c)
    cells[1].metadata["tags"] = ["kept"]
    cells[-1].outputs = [new_output("stream", name="stdout", text="stale\n")]
    nb = new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "cgpu-mock", "display_name": "mock", "language": "cgpu"},
        "custom": {"number": 0.30000000000000004, "big": 12345678901234567890e10}})
    nbformat.write(nb, str(path))
    return path


def stamps_removed(text):
    return re.sub(r'"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z"', '"T"', text)


def test_runner_writes_what_nbconvert_writes(tmp_path, mock_runner, mock_kernelspec):
    src = scenario_notebook(tmp_path / "scenario.ipynb", SCENARIO)
    env = dict(os.environ, JUPYTER_PATH=str(mock_kernelspec))
    ref = subprocess.run([PYTHON, "-m", "nbconvert", "--to", "notebook", "--execute", "--allow-errors",
                          "--output-dir", str(tmp_path), "--output", "ref.ipynb", str(src)],
                         capture_output=True, text=True, env=env, timeout=300)
    assert ref.returncode == 0, ref.stderr[-3000:]
    proc = subprocess.run([str(mock_runner), "run", str(src), "-o", str(tmp_path / "mine.ipynb"),
                           "--allow-errors", "-q"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    want = stamps_removed((tmp_path / "ref.ipynb").read_text(encoding="utf-8"))
    got = stamps_removed((tmp_path / "mine.ipynb").read_text(encoding="utf-8"))
    assert got == want


def test_stops_at_the_first_error_and_writes_what_ran(tmp_path, mock_runner):
    src = scenario_notebook(tmp_path / "scenario.ipynb", ["print one", "error Boom it broke", "print never"])
    out = tmp_path / "out.ipynb"
    proc = subprocess.run([str(mock_runner), "run", str(src), "-o", str(out)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "Boom: it broke" in proc.stderr and "error Boom it broke" in proc.stderr
    assert "\033[" not in proc.stderr, "colours are dropped when stderr is not a terminal"
    nb = nbformat.read(str(out), as_version=4)
    nbformat.validate(nb)
    assert [c.execution_count for c in nb.cells[1:]] == [1, 2, None]
    assert nb.cells[3].outputs == [{"output_type": "stream", "name": "stdout", "text": "stale\n"}], \
        "cells after the failure are left as they were"


def test_input_eof_and_lines(tmp_path, mock_runner):
    f = tmp_path / "prog.cg"
    f.write_text("input first?\n# %%\ninput second?\n# %%\ninput third?\n")
    proc = subprocess.run([str(mock_runner), "exec", str(f)], input="one\r\ntwo", capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 1
    assert proc.stdout == "first?got: [one]\nsecond?got: [two]\nthird?"
    assert "EOFError: EOF when reading a line" in proc.stderr


def test_timeout_interrupts_and_the_notebook_is_written(tmp_path, mock_runner):
    src = scenario_notebook(tmp_path / "scenario.ipynb", ["print one", "print two\nsleep 30", "print never"])
    out = tmp_path / "out.ipynb"
    t0 = time.time()
    proc = subprocess.run([str(mock_runner), "run", str(src), "-o", str(out), "--timeout", "0.5"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and time.time() - t0 < 10
    nb = nbformat.read(str(out), as_version=4)
    assert nb.cells[2].outputs[0].text == "two\n"
    assert nb.cells[2].outputs[1].ename == "KeyboardInterrupt"
