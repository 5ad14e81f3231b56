"""The TensorFlow tutorial originals run unchanged: tests/lang/tutorial_*.cgt
hold every code cell of ../shared/reference/*.tf.ipynb (the reference notes
beside the repository, or $CGPU_REFERENCE_DIR); this checks that the copies are exact, so the
language suite runs the originals. Skipped where that folder is absent."""
import json
import os
import re
from pathlib import Path

import pytest

from conftest import ROOT

REFERENCE = Path(os.environ.get("CGPU_REFERENCE_DIR", ROOT.parent / "shared" / "reference"))
FIXTURES = sorted((ROOT / "tests" / "lang").glob("tutorial_*.cgt"))


def fixture_cells(path):
    """{notebook file name: [cell source, ...]} from '### cell N of NAME' cases."""
    cells = {}
    lines = path.read_text().split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"### cell (\d+) of (\S+)$", lines[i])
        i += 1
        if not m:
            continue
        src = []
        while lines[i] != "---":
            src.append(lines[i])
            i += 1
        cells.setdefault(m.group(2), []).append("\n".join(src))
    return cells


def test_fixtures_exist():
    assert len(FIXTURES) == 3


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.name)
def test_fixture_is_the_original(fixture):
    if not REFERENCE.is_dir():
        pytest.skip("no %s beside the repository" % REFERENCE)
    for name, cells in fixture_cells(fixture).items():
        nb = json.loads((REFERENCE / name).read_text())
        original = ["".join(c["source"]).rstrip("\n") for c in nb["cells"] if c["cell_type"] == "code"]
        shell = [c for c in original if re.match(r"\s*[!%](pip|conda|apt|nvidia-smi)", c)]
        assert shell == [], "shell or install cells must be listed in the fixture's header"
        assert cells == original, "%s differs from %s" % (fixture.name, name)
