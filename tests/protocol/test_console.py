"""`jupyter console --kernel cgpu --simple-prompt` driven through a pipe."""
import os
import shutil
import subprocess

import pytest

from conftest import kernel_spec


def test_console_runs_a_cell():
    kernel_spec()
    if not shutil.which("jupyter-console") and not shutil.which("jupyter"):
        pytest.skip("jupyter console is not installed")
    p = subprocess.run(["jupyter", "console", "--kernel", "cgpu", "--simple-prompt"],
                       input="print(6*7)\nv = 5\nv * 3\n", capture_output=True, text=True, timeout=60,
                       env=dict(os.environ))
    out = p.stdout
    assert "42" in out, out + p.stderr
    assert "15" in out, out + p.stderr
    assert "Shutting down kernel" in out + p.stderr
