"""Start-up, interrupts, heartbeat, shutdown/restart, signals, transports."""
import json
import os
import shutil
import signal
import stat
import sys
import subprocess
import tempfile
import time

import pytest
from jupyter_client.session import Session

from conftest import (LOOP_FOREVER, TIMEOUT, iopub_until_idle, kernel_binary, kernel_spec, raw_socket, recv_multipart,
                      request, run_cell, stdout_of, wait_exit, wait_reply)
import client_helpers  # noqa: E402 (conftest puts tests/ on the path)


def wait_busy(kc, msg_id, timeout=TIMEOUT):
    """Until the cell msg_id has been announced (execute_input)."""
    client_helpers.wait_iopub(kc, msg_id, lambda m: m["msg_type"] == "execute_input", timeout)


def start_loop(k):
    run_cell(k.kc, "x = 5")
    msg_id = k.kc.execute(LOOP_FOREVER)
    wait_busy(k.kc, msg_id)
    time.sleep(0.2)  # well inside the loop
    return msg_id


def after_interrupt(k, msg_id):
    reply = wait_reply(k.kc, msg_id, timeout=10)
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "KeyboardInterrupt"
    iopub_until_idle(k.kc, msg_id)
    # the kernel is usable and kept its state
    reply, msgs = run_cell(k.kc, "print(x)")
    assert reply["content"]["status"] == "ok" and stdout_of(msgs) == "5\n"


def test_interrupt_by_message(fresh_kernel):
    k = fresh_kernel()
    msg_id = start_loop(k)
    reply, msgs = request(k.kc, "interrupt_request", {}, channel="control")
    assert reply["msg_type"] == "interrupt_reply" and reply["content"]["status"] == "ok"
    after_interrupt(k, msg_id)


def test_interrupt_by_signal(fresh_kernel):
    k = fresh_kernel()
    assert k.km.kernel_spec.interrupt_mode == "signal"
    msg_id = start_loop(k)
    k.km.interrupt_kernel()  # SIGINT
    after_interrupt(k, msg_id)
    # SIGINT while idle does nothing to the next cell
    os.kill(k.pid, signal.SIGINT)
    time.sleep(0.1)
    reply, msgs = run_cell(k.kc, "print(x + 1)")
    assert reply["content"]["status"] == "ok" and stdout_of(msgs) == "6\n"


def test_heartbeat_and_control_during_long_cell(fresh_kernel):
    k = fresh_kernel()
    msg_id = start_loop(k)
    hb = raw_socket(k, "hb")
    for i in range(3):
        t0 = time.monotonic()
        hb.send(b"ping %d" % i)
        assert recv_multipart(hb, 2.0) == [b"ping %d" % i]
        assert time.monotonic() - t0 < 1.0
    hb.close()
    # kernel_info on control is answered while shell is busy
    reply, _ = request(k.kc, "kernel_info_request", {}, channel="control", timeout=5)
    assert reply["content"]["status"] == "ok"
    request(k.kc, "interrupt_request", {}, channel="control")
    after_interrupt(k, msg_id)


def test_shutdown_on_control_exits_cleanly(fresh_kernel):
    k = fresh_kernel()
    reply, msgs = request(k.kc, "shutdown_request", {"restart": False}, channel="control")
    assert reply["content"] == {"status": "ok", "restart": False}
    assert wait_exit(k.process, 5) == 0
    assert "shutdown_reply" in [m["msg_type"] for m in msgs]


def test_shutdown_on_shell_exits_cleanly(fresh_kernel):
    k = fresh_kernel()
    reply, _ = request(k.kc, "shutdown_request", {"restart": True}, channel="shell")
    assert reply["content"] == {"status": "ok", "restart": True}
    assert wait_exit(k.process, 5) == 0


def test_shutdown_while_cell_runs(fresh_kernel):
    k = fresh_kernel()
    start_loop(k)
    reply, _ = request(k.kc, "shutdown_request", {"restart": False}, channel="control")
    assert reply["content"]["status"] == "ok"
    assert wait_exit(k.process, 8) == 0


def test_restart_through_manager(fresh_kernel):
    k = fresh_kernel()
    run_cell(k.kc, "a = 1")
    old = k.pid
    k.km.restart_kernel(now=False)
    k.kc.wait_for_ready(timeout=TIMEOUT)
    assert k.pid != old
    reply, msgs = run_cell(k.kc, "print(1)")
    assert reply["content"]["status"] == "ok"
    assert reply["content"]["execution_count"] == 1  # a new session


def test_sigterm_exits_cleanly(fresh_kernel):
    k = fresh_kernel()
    os.kill(k.pid, signal.SIGTERM)
    assert wait_exit(k.process, 5) == 0
    k2 = fresh_kernel()
    start_loop(k2)
    os.kill(k2.pid, signal.SIGTERM)  # mid-cell too
    assert wait_exit(k2.process, 5) == 0


def test_ipc_transport_and_socket_modes(fresh_kernel):
    d = tempfile.mkdtemp(prefix="cgpu-ipc-")
    try:
        k = fresh_kernel(transport="ipc", ip=os.path.join(d, "kernel"))
        reply, msgs = run_cell(k.kc, "print(3)")
        assert stdout_of(msgs) == "3\n"
        files = [f for f in os.listdir(d) if f.startswith("kernel-")]
        assert len(files) == 5
        for f in files:
            mode = stat.S_IMODE(os.stat(os.path.join(d, f)).st_mode)
            assert mode & 0o077 == 0, f"{f} has mode {oct(mode)}"
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_empty_key_runs_unsigned(fresh_kernel):
    k = fresh_kernel(key=b"")
    reply, msgs = run_cell(k.kc, "print(4)")
    assert stdout_of(msgs) == "4\n"
    err = k.stderr()
    assert err.count("not signed") == 1


def _conn_file(**over):
    info = {"shell_port": 1, "iopub_port": 2, "stdin_port": 3, "control_port": 4, "hb_port": 5,
            "ip": "127.0.0.1", "key": "a-secret-key-value", "transport": "tcp",
            "signature_scheme": "hmac-sha256"}
    info.update(over)
    fd, path = tempfile.mkstemp(suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump(info, f)
    return path


@pytest.mark.parametrize("bad", [{"signature_scheme": "hmac-nosuchhash"}, {"signature_scheme": "rsa"},
                                 {"transport": "udp"}, {"shell_port": "x"}])
def test_bad_connection_file_refused(bad):
    path = _conn_file(**bad)
    try:
        p = subprocess.run([kernel_binary(), "-f", path], capture_output=True, text=True, timeout=10)
    finally:
        os.unlink(path)
    assert p.returncode != 0
    assert "cgpu-kernel" in p.stderr and "a-secret-key-value" not in p.stderr
    if "signature_scheme" in bad:
        assert "signature_scheme" in p.stderr


def test_missing_connection_file():
    p = subprocess.run([kernel_binary(), "-f", "/nonexistent/kernel.json"], capture_output=True, text=True,
                       timeout=10)
    assert p.returncode != 0 and "No such file" in p.stderr


@pytest.mark.parametrize("scheme", ["hmac-sha512", "hmac-md5", "hmac-sha1"])
def test_other_hmac_schemes(scheme):
    """jupyter_client writes its Session's scheme into the connection file."""
    from jupyter_client.manager import KernelManager
    kernel_spec()
    km = KernelManager(kernel_name="cgpu")
    km.session.signature_scheme = scheme
    km.start_kernel()
    try:
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=TIMEOUT)
        reply, msgs = run_cell(kc, "print(7)")
        assert stdout_of(msgs) == "7\n"
        kc.stop_channels()
    finally:
        km.shutdown_kernel(now=False)


def test_client_vanishing_mid_cell(fresh_kernel):
    k = fresh_kernel()
    # a second client (its own session, so its own socket identity) starts a
    # chatty cell and disappears
    kc2 = k.km.client(session=Session(key=k.km.session.key, signature_scheme=k.km.session.signature_scheme))
    kc2.start_channels(hb=False, stdin=False, control=False)
    kc2.execute("for i in range(20000):\n    print(i)\n")
    kc2.stop_channels()
    # the first client is still served
    reply, msgs = run_cell(k.kc, "print('alive')", timeout=30)
    assert "alive\n" in stdout_of(msgs)


def test_iopub_held_until_first_subscriber():
    """IOPub output produced before any client subscribed reaches the first
    subscriber (a plain PUB would drop it; jupyter console subscribes late)."""
    from jupyter_client.manager import KernelManager
    kernel_spec()
    km = KernelManager(kernel_name="cgpu")
    km.start_kernel()
    try:
        shell = km.connect_shell()
        shell.linger = 0
        s = km.session
        msg = s.msg("execute_request", {"code": "print('early bird')", "silent": False})
        s.send(shell, msg)
        assert recv_multipart(shell, TIMEOUT) is not None  # the reply: the cell ran
        time.sleep(0.2)
        sub = km.connect_iopub()  # only now
        sub.linger = 0
        seen = []
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and "idle" not in seen:
            frames = recv_multipart(sub, 1.0)
            if frames is None:
                continue
            idents, rest = s.feed_identities(frames)
            m = s.deserialize(rest)
            if m["parent_header"].get("msg_id") == msg["header"]["msg_id"]:
                seen.append(m["content"].get("execution_state") or m["msg_type"])
                if m["msg_type"] == "stream":
                    assert m["content"]["text"] == "early bird\n"
        assert seen == ["busy", "execute_input", "stream", "idle"]
        shell.close()
        sub.close()
    finally:
        km.shutdown_kernel(now=False)


def test_exits_when_its_launcher_dies():
    """A kernel whose launching process dies (JPY_PARENT_PID set, as
    jupyter_client does) exits by itself instead of lingering."""
    launcher = (
        "import os, subprocess, sys, time\n"
        "from jupyter_client.manager import KernelManager\n"
        "km = KernelManager(kernel_name='cgpu'); km.start_kernel()\n"
        "print(km.provisioner.process.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    kernel_spec()
    p = subprocess.Popen([sys.executable, "-c", launcher], stdout=subprocess.PIPE, text=True, env=dict(os.environ))
    kpid = int(p.stdout.readline())
    time.sleep(0.5)
    p.kill()  # the launcher dies without shutting the kernel down
    p.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(kpid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(kpid, signal.SIGKILL)
    pytest.fail("the kernel outlived its launcher by 10 s")


def test_no_cuda_library_mapped_until_a_device_is_used(fresh_kernel):
    """The CUDA backend (libcgpucuda.so with cudart, cuBLAS, NCCL) is loaded
    by the first device discovery, never at start-up: a kernel that answered
    kernel_info and ran a cell without arrays has none of it mapped."""
    k = fresh_kernel()
    reply, _ = run_cell(k.kc, "a = 1\nprint(a + 1)")
    assert reply["content"]["status"] == "ok"
    with open(f"/proc/{k.pid}/maps") as f:
        maps = f.read()
    for lib in ("libcgpucuda", "libcudart", "libcublas", "libnccl"):
        assert lib not in maps, f"{lib} is mapped before any device was used"
