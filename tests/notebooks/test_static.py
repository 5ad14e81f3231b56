"""The shipped notebooks as files: valid nbformat 4.5, committed without
outputs, the C-GPU kernelspec, a markdown cell first, no imports; and
README's speed figures against the recorded runs."""
import json
import re

import nbformat
import pytest

from conftest import NOTEBOOK_DIR, NOTEBOOKS, ROOT

SHIPPED = ["num_gpu.ipynb", "celsius.ipynb", "celsius_mirrored.ipynb", "gpu_basics.ipynb"]


def test_the_shipped_notebooks_exist():
    missing = [n for n in SHIPPED if n not in NOTEBOOKS]
    assert not missing, "missing notebooks: %s" % missing


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_valid_against_the_schema(name):
    nb = nbformat.read(str(NOTEBOOK_DIR / name), as_version=4)
    nbformat.validate(nb)  # raises ValidationError
    assert (nb.nbformat, nb.nbformat_minor) >= (4, 5)
    ids = [c.get("id") for c in nb.cells]
    assert all(ids), "every cell has an id"
    assert len(set(ids)) == len(ids), "cell ids are unique"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_committed_without_outputs(name):
    nb = nbformat.read(str(NOTEBOOK_DIR / name), as_version=4)
    for c in nb.cells:
        if c.cell_type == "code":
            assert c.outputs == [], "cell %s has outputs" % c.id
            assert c.execution_count is None, "cell %s has an execution count" % c.id
            assert "execution" not in c.metadata, "cell %s has execution timings" % c.id


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_kernelspec_and_language(name):
    nb = nbformat.read(str(NOTEBOOK_DIR / name), as_version=4)
    ks = nb.metadata.get("kernelspec", {})
    assert ks.get("name") == "cgpu"
    assert ks.get("display_name") == "C-GPU"
    assert ks.get("language") == "cgpu"
    li = nb.metadata.get("language_info", {})
    assert li.get("name") == "cgpu"
    assert li.get("file_extension") == ".cg"
    assert li.get("mimetype") == "text/x-cgpu"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_opens_with_a_markdown_cell(name):
    nb = nbformat.read(str(NOTEBOOK_DIR / name), as_version=4)
    assert nb.cells and nb.cells[0].cell_type == "markdown"
    assert nb.cells[0].source.lstrip().startswith("# "), "the first cell has a title"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_no_imports(name):
    """The language has its names built in; `import` is an error there."""
    nb = nbformat.read(str(NOTEBOOK_DIR / name), as_version=4)
    for c in nb.cells:
        if c.cell_type == "code":
            for line in c.source.splitlines():
                assert not re.match(r"\s*(import|from)\s+\w+", line), "%s: %s" % (c.id, line)


@pytest.mark.parametrize("name", SHIPPED)
def test_file_is_what_nbformat_writes(name):
    """Committed as nbformat writes it (so saving from JupyterLab gives no diff noise)."""
    path = NOTEBOOK_DIR / name
    text = path.read_text(encoding="utf-8")
    nb = nbformat.reads(text, as_version=4)
    assert nbformat.writes(nb) + "\n" == text or nbformat.writes(nb) == text


def test_celsius_data_is_the_tutorials():
    """The 8 pairs of the reference tutorial, unchanged."""
    for name in ("celsius.ipynb", "celsius_mirrored.ipynb"):
        nb = nbformat.read(str(NOTEBOOK_DIR / name), as_version=4)
        src = [c.source for c in nb.cells if c.get("id") == "data"][0]
        assert "array([-40, -10,  0,  8, 15, 22,  38,  45],  dtype=float)" in src
        assert "array([-40,  14, 32, 46, 59, 72, 100, 113],  dtype=float)" in src


def test_mirrored_differs_from_celsius_by_the_strategy_only():
    """The mirrored notebook is the celsius notebook plus the strategy cell,
    with the model cell moved inside `with mirrored_strategy.scope():`."""
    plain = nbformat.read(str(NOTEBOOK_DIR / "celsius.ipynb"), as_version=4)
    mirrored = nbformat.read(str(NOTEBOOK_DIR / "celsius_mirrored.ipynb"), as_version=4)
    code_plain = [c for c in plain.cells if c.cell_type == "code"]
    code_mirr = [c for c in mirrored.cells if c.cell_type == "code"]
    assert code_mirr[1].id == "strategy" and "MirroredStrategy()" in code_mirr[1].source
    assert code_mirr[0].source == code_plain[0].source
    rest_mirr = code_mirr[2:]
    assert [c.id for c in rest_mirr] == [c.id for c in code_plain[1:]]
    for a, b in zip(code_plain[1:], rest_mirr):
        if a.id == "model":
            assert b.source.startswith("with mirrored_strategy.scope():\n")
            body = "\n".join(line[2:] for line in b.source.splitlines()[1:])
            assert body == a.source
        else:
            assert a.source == b.source, a.id


def _recorded(results, number, unit):
    """number with its unit in RESULTS.md: "178 ms" in text, or a table row
    that has the number as a cell and the unit in another ("| TB/s | 2.87 |")."""
    units = {unit, "us", "us/op"} if unit == "µs" else {unit}
    n = re.escape(number)
    for u in units:
        if re.search(r"(?<![\d.])" + n + r"\s*" + re.escape(u) + r"(?![\w/])", results):
            return True
    for line in results.splitlines():
        if (line.startswith("|") and re.search(r"\|\s*" + n + r"\s*\|", line)
                and any(re.search(r"\|\s*" + re.escape(u) + r"\s*\|", line) for u in units)):
            return True
    return False


def test_readme_speed_figures_are_recorded_runs():
    """Every measured figure in README's speed section (a number with a
    unit) is one that tests/bench/RESULTS.md records with that unit."""
    readme = (ROOT / "README.md").read_text()
    results = (ROOT / "tests" / "bench" / "RESULTS.md").read_text()
    section = readme.split("## Speed", 1)[1].split("\n## ", 1)[0]
    figures = re.findall(r"(\d+(?:\.\d+)?)\s*(TB/s|TFLOP/s|µs|ms|MB)(?![\w/])", section)
    assert len(figures) >= 10, figures
    missing = [f"{n} {u}" for n, u in figures if not _recorded(results, n, u)]
    assert not missing, f"README figures that no recorded run contains: {missing}"
