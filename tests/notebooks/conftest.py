"""Shared fixtures of the notebook tests.

The suite (suite.sh) installs the kernel into a temporary prefix and sets
JUPYTER_PATH and CGPU_KERNEL; run by hand, the tests use $BUILD/cgpu-kernel
and whatever kernelspec Jupyter finds. Each shipped notebook is executed at
most once per session by nbconvert and once by `cgpu-kernel run`; the
tests share those results.
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(p.name for p in NOTEBOOK_DIR.glob("*.ipynb"))
PYTHON = os.environ.get("PYTHON", "/usr/bin/python3")
EXEC_TIMEOUT = int(os.environ.get("CGPU_NB_TIMEOUT", "600"))


def kernel_binary():
    path = os.environ.get("CGPU_KERNEL") or str(ROOT / os.environ.get("BUILD", "build") / "cgpu-kernel")
    return path


def expected_gpus():
    """The number of GPUs the notebooks should report: CGPU_EXPECT_GPUS when
    set, else what nvidia-smi lists, else 0."""
    if os.environ.get("CGPU_EXPECT_GPUS"):
        return int(os.environ["CGPU_EXPECT_GPUS"])
    smi = shutil.which("nvidia-smi")
    if not smi:
        return 0
    try:
        out = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return 0
    if out.returncode != 0:
        return 0
    return sum(1 for line in out.stdout.splitlines() if line.startswith("GPU "))


class Executed:
    """One execution of a notebook: the process and the notebook it wrote."""

    def __init__(self, proc, path):
        self.proc = proc
        self.path = path
        self.nb = nbformat.read(str(path), as_version=4) if path.exists() else None

    def explain(self):
        return "exit %s\n--- stdout\n%s\n--- stderr\n%s" % (
            self.proc.returncode, self.proc.stdout[-4000:], self.proc.stderr[-4000:])


@pytest.fixture(scope="session")
def outdir(tmp_path_factory):
    return tmp_path_factory.mktemp("executed")


@pytest.fixture(scope="session")
def nbconvert(outdir):
    """nbconvert(name) -> Executed, with `jupyter nbconvert --to notebook --execute`."""
    cache = {}

    def run(name):
        if name not in cache:
            stem = name[:-len(".ipynb")]
            out = outdir / (stem + ".nbconvert.ipynb")
            cmd = [PYTHON, "-m", "nbconvert", "--to", "notebook", "--execute",
                   "--ExecutePreprocessor.timeout=%d" % EXEC_TIMEOUT,
                   "--output-dir", str(outdir), "--output", out.name, str(NOTEBOOK_DIR / name)]
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=EXEC_TIMEOUT + 120)
            cache[name] = Executed(proc, out)
        return cache[name]
    return run


@pytest.fixture(scope="session")
def runner(outdir):
    """runner(name) -> Executed, with `cgpu-kernel run`."""
    cache = {}

    def run(name):
        if name not in cache:
            stem = name[:-len(".ipynb")]
            out = outdir / (stem + ".runner.ipynb")
            cmd = [kernel_binary(), "run", str(NOTEBOOK_DIR / name), "-o", str(out),
                   "--timeout", str(EXEC_TIMEOUT)]
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=EXEC_TIMEOUT + 120)
            cache[name] = Executed(proc, out)
        return cache[name]
    return run


# ---- helpers on executed notebooks ---------------------------------------------------

def cell_by_id(nb, cell_id):
    for cell in nb.cells:
        if cell.get("id") == cell_id:
            return cell
    raise KeyError("no cell with id %r" % cell_id)


def stdout_of(cell):
    return "".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stdout")


def errors_in(nb):
    """'cell-id: ename: evalue' for every error output."""
    return ["%s: %s: %s" % (c.get("id"), o.ename, o.evalue)
            for c in nb.cells if c.cell_type == "code"
            for o in c.outputs if o.output_type == "error"]


def numbers_in(text):
    return [float(x) for x in re.findall(r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?", text)]


def signature(nb):
    """Per code cell: the output types, stream names and MIME keys."""
    sig = []
    for c in nb.cells:
        if c.cell_type != "code":
            continue
        outs = []
        for o in c.outputs:
            if o.output_type == "stream":
                outs.append(("stream", o.name))
            elif o.output_type in ("display_data", "execute_result"):
                outs.append((o.output_type, tuple(sorted(o.data.keys()))))
            else:
                outs.append((o.output_type, o.get("ename")))
        sig.append((c.get("id"), c.execution_count, outs))
    return sig


_DURATION = re.compile(r"\b\d+(?:\.\d+)?(?:us|ms|s)\b")   # "16us/step", "0s" in progress bars
_SVG_ID = re.compile(r"\bcgpu[0-9a-f]{6,}\b")              # ids unique to each drawing


def _normalized(value):
    if isinstance(value, str):
        return _SVG_ID.sub("cgpuID", _DURATION.sub("<time>", value))
    if isinstance(value, list):
        return [_normalized(v) for v in value]
    if isinstance(value, dict):
        return {k: _normalized(v) for k, v in value.items()}
    return value


def without_timings(nb):
    """The notebook as plain data without what differs between two runs of
    the same cells: nbclient's execution timestamps, durations printed in
    outputs (progress bars) and the unique ids inside SVG figures."""
    d = nbformat.from_dict(nb)
    for c in d.cells:
        c.metadata.pop("execution", None)
        if c.cell_type == "code":
            c.outputs = _normalized(c.outputs)
    return d


def first_difference(a, b, path="notebook"):
    """A readable description of where two JSON-like values first differ."""
    if type(a) is not type(b):
        return "%s: %r != %r" % (path, a, b)
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return "%s: key %r only in %s" % (path, k, "the first" if k in a else "the second")
            d = first_difference(a[k], b[k], "%s.%s" % (path, k))
            if d:
                return d
        return None
    if isinstance(a, list):
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, "%s[%d]" % (path, i))
            if d:
                return d
        if len(a) != len(b):
            return "%s: %d items != %d items" % (path, len(a), len(b))
        return None
    return None if a == b else "%s: %r != %r" % (path, a, b)
