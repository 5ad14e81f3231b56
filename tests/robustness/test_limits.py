"""Memory limits: a kernel of a class on a shared machine never takes it.

A kernel started (through jupyter_client, as JupyterLab starts it) with
CGPU_MEMORY_LIMIT raises MemoryError with the size asked for, keeps its
state, and at its limit still answers kernel_info, interrupt and shutdown.
The cgroup path (memory.max, what JupyterHub/Kubernetes set per user) is
checked with CGPU_CGROUP_ROOT pointing at a cgroup tree made here; limits
in a wrong format are reported once on stderr and the default applies.
Run by tests/robustness/faults_suite.sh (the kernelspec "cgpu" installed
into a temporary prefix).
"""
import os
import subprocess
import textwrap

import pytest

from test_faults import TIMEOUT, Kernel, execute, finish_cell, kernel_binary, rss_mb, start_cell, wait_reply

LIMIT_MB = 300


@pytest.fixture(scope="module")
def limited():
    kernel_binary()
    kern = Kernel(env=dict(os.environ, CGPU_MEMORY_LIMIT=f"{LIMIT_MB}M"))
    yield kern
    kern.close()


def test_the_limit_is_the_one_set(limited):
    content, value, _ = execute(limited.kc, 'memory_info("CPU:0")["limit"]')
    assert content["status"] == "ok", content
    assert int(value) == LIMIT_MB << 20


def test_growth_in_a_loop_stops_at_the_limit_and_state_is_kept(limited):
    content, _, _ = execute(limited.kc, "keep = 41")
    assert content["status"] == "ok"
    grow = textwrap.dedent("""\
        x = []
        while True:
            x.append("abcdefgh" * 100)
        """)
    content, _, _ = execute(limited.kc, grow, timeout=120)
    assert content["status"] == "error"
    assert content["ename"] == "MemoryError", content
    assert f"CGPU_MEMORY_LIMIT={LIMIT_MB}M" in content["evalue"], content["evalue"]
    # the kernel stayed under its limit (plus the poll's slack) and kept its state
    assert rss_mb(limited.pid) < LIMIT_MB * 1.1 + 16
    content, value, _ = execute(limited.kc, "x = None\nkeep + 1")
    assert content["status"] == "ok" and value == "42", (content, value)


def test_single_large_requests_fail_at_once(limited):
    for code, size in [("list(range(10 ** 12))", "16000000000000 bytes"),
                       ('"x" * 10 ** 12', "2000000000000 bytes"),
                       ('with device("CPU:0"):\n    zeros((10 ** 6, 10 ** 6))', "4000000000000 bytes"),
                       ("[i for i in range(10 ** 12)]", None)]:
        content, _, _ = execute(limited.kc, code, timeout=120)
        assert content["status"] == "error" and content["ename"] == "MemoryError", (code, content)
        if size:
            assert f"cannot allocate {size}" in content["evalue"], (code, content["evalue"])
    content, value, _ = execute(limited.kc, "keep")
    assert value == "41"


def test_at_its_limit_the_kernel_still_answers(limited):
    # hold most of the limit, then ask for more: the request fails, yet the
    # kernel answers kernel_info, is interruptible and keeps what it holds
    content, _, _ = execute(limited.kc, 'hog = "x" * (120 * 2 ** 20)')
    assert content["status"] == "ok", content
    content, _, _ = execute(limited.kc, 'more = "y" * (200 * 2 ** 20)')
    assert content["ename"] == "MemoryError", content
    msg_id = limited.kc.kernel_info()
    reply = wait_reply(limited.kc, msg_id)
    assert reply["content"]["status"] == "ok"
    cell = start_cell(limited.kc, "while True:\n    pass")
    limited.km.interrupt_kernel()
    content = finish_cell(limited.kc, cell)
    assert content["ename"] == "KeyboardInterrupt", content
    content, value, _ = execute(limited.kc, "len(hog)")
    assert value == str(120 * 2 ** 20)


def run_exec(code, env_extra, tmp_path):
    src = tmp_path / "cell.cg"
    src.write_text(code)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CGPU_")}
    env.update(env_extra)
    return subprocess.run([kernel_binary(), "exec", str(src)], capture_output=True, text=True, env=env,
                          timeout=TIMEOUT)


def fake_cgroup(tmp_path, limits):
    """A cgroup tree under tmp_path mirroring this process's own cgroup path,
    with memory.max set on the leaf and its parent as `limits` says."""
    with open("/proc/self/cgroup") as f:
        rel = next(line[3:].strip() for line in f if line.startswith("0::"))
    root = tmp_path / "cgroup"
    leaf = root / rel.lstrip("/")
    leaf.mkdir(parents=True, exist_ok=True)
    (leaf / "memory.max").write_text(limits.get("leaf", "max") + "\n")
    if rel.strip("/"):
        (leaf.parent / "memory.max").write_text(limits.get("parent", "max") + "\n")
    return root


def test_cgroup_memory_max_less_a_margin(tmp_path):
    root = fake_cgroup(tmp_path, {"leaf": str(2 << 30)})
    r = run_exec('print(memory_info("CPU:0")["limit"])', {"CGPU_CGROUP_ROOT": str(root)}, tmp_path)
    assert r.returncode == 0, r.stderr
    # 2 GiB less 1/16 (128 MiB)
    assert int(r.stdout) == (2 << 30) - (128 << 20)


def test_the_tightest_cgroup_ancestor_binds(tmp_path):
    with open("/proc/self/cgroup") as f:
        rel = next(line[3:].strip() for line in f if line.startswith("0::"))
    if not rel.strip("/"):
        pytest.skip("this process runs in the root cgroup: no ancestor to test")
    root = fake_cgroup(tmp_path, {"leaf": "max", "parent": str(1 << 30)})
    r = run_exec('print(memory_info("CPU:0")["limit"])', {"CGPU_CGROUP_ROOT": str(root)}, tmp_path)
    assert int(r.stdout) == (1 << 30) - (64 << 20)


def test_the_environment_overrides_the_cgroup(tmp_path):
    root = fake_cgroup(tmp_path, {"leaf": str(2 << 30)})
    r = run_exec('print(memory_info("CPU:0")["limit"])',
                 {"CGPU_CGROUP_ROOT": str(root), "CGPU_MEMORY_LIMIT": "512M"}, tmp_path)
    assert int(r.stdout) == 512 << 20


def test_malformed_limits_are_reported_once_and_the_default_applies(tmp_path):
    r = run_exec('print(memory_info("CPU:0")["limit"] > 0)\nprint(1 + 1)',
                 {"CGPU_MEMORY_LIMIT": "lots", "CGPU_GPU_MEMORY_LIMIT": "half"}, tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["True", "2"]
    assert r.stderr.count("ignoring CGPU_MEMORY_LIMIT=lots") == 1, r.stderr
    assert r.stderr.count("ignoring CGPU_GPU_MEMORY_LIMIT=half") == 1, r.stderr
