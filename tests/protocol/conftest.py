"""Protocol tests: the real cgpu-kernel binary driven by jupyter_client.

The kernelspec "cgpu" must be findable: tests/protocol/suite.sh installs it
into a temporary Jupyter data dir (make install PREFIX=...) and sets
JUPYTER_PATH. Run directly with pytest, this file does the same itself
(building with BUILD, default "build").
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import client_helpers  # noqa: E402

import pytest
import zmq
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from jupyter_client.manager import KernelManager

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
KERNEL = "cgpu"
TIMEOUT = float(os.environ.get("CGPU_PROTOCOL_TIMEOUT", "20"))
# Loops that keep the interpreter busy until interrupted.
LOOP_FOREVER = "while True:\n    pass\n"


def _find_spec():
    try:
        return KernelSpecManager().get_kernel_spec(KERNEL)
    except NoSuchKernel:
        return None


def _install():
    prefix = tempfile.mkdtemp(prefix="cgpu-protocol-")
    build = os.environ.get("BUILD", "build")
    subprocess.run(["make", "-s", f"BUILD={build}", "install", f"PREFIX={prefix}"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    data = os.path.join(prefix, "share", "jupyter")
    os.environ["JUPYTER_PATH"] = data + os.pathsep + os.environ.get("JUPYTER_PATH", "")
    return _find_spec()


def kernel_spec():
    spec = _find_spec() or _install()
    assert spec is not None, "kernelspec cgpu could not be installed"
    return spec


def kernel_binary():
    return kernel_spec().argv[0]


# ---- starting kernels ---------------------------------------------------------------

class Kernel:
    """A started kernel: manager, blocking client, and its stderr log file."""

    def __init__(self, transport="tcp", ip=None, key=None, extra_env=None):
        kernel_spec()
        kw = {"kernel_name": KERNEL, "transport": transport}
        if ip:
            kw["ip"] = ip
        self.km = KernelManager(**kw)
        if key is not None:
            self.km.session.key = key
        self.log_path = tempfile.mktemp(prefix="cgpu-kernel-", suffix=".log")
        self.log = open(self.log_path, "w")
        env = dict(os.environ)
        env.update(extra_env or {})
        self.km.start_kernel(stderr=self.log, env=env)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=TIMEOUT)

    @property
    def pid(self):
        return self.km.provisioner.process.pid

    @property
    def process(self):
        return self.km.provisioner.process

    def stderr(self):
        self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def close(self):
        try:
            self.kc.stop_channels()
        except Exception:
            pass
        try:
            if self.km.has_kernel:
                self.km.shutdown_kernel(now=False)
        except Exception:
            pass
        self.log.close()
        try:
            os.unlink(self.log_path)
        except OSError:
            pass


@pytest.fixture(scope="module")
def kernel():
    """One kernel shared by a test module (tests must not depend on order)."""
    k = Kernel()
    yield k
    k.close()


@pytest.fixture
def fresh_kernel():
    """A kernel of the test's own (for shutdown, interrupt, signal tests)."""
    made = []

    def make(**kw):
        k = Kernel(**kw)
        made.append(k)
        return k

    yield make
    for k in made:
        k.close()


# ---- message helpers ------------------------------------------------------------------

def wait_reply(kc, msg_id, timeout=TIMEOUT, channel="shell"):
    return client_helpers.wait_reply(kc, msg_id, timeout, channel)


def iopub_until_idle(kc, msg_id, timeout=TIMEOUT):
    """IOPub messages whose parent is msg_id, up to and including its idle."""
    return client_helpers.iopub_until_idle(kc, msg_id, timeout)


def run_cell(kc, code, timeout=TIMEOUT, **kw):
    """Executes code; returns (execute_reply, [iopub messages of this request])."""
    msg_id = kc.execute(code, **kw)
    reply = wait_reply(kc, msg_id, timeout)
    return reply, iopub_until_idle(kc, msg_id, timeout)


def request(kc, msg_type, content=None, channel="shell", timeout=TIMEOUT):
    """Sends any request; returns (reply, iopub messages)."""
    msg = kc.session.msg(msg_type, content or {})
    ch = kc.shell_channel if channel == "shell" else kc.control_channel
    ch.send(msg)
    msg_id = msg["header"]["msg_id"]
    reply = wait_reply(kc, msg_id, timeout, channel)
    return reply, iopub_until_idle(kc, msg_id, timeout)


def stdout_of(msgs):
    return "".join(m["content"]["text"] for m in msgs
                   if m["msg_type"] == "stream" and m["content"]["name"] == "stdout")


def types_of(msgs):
    return [m["msg_type"] if m["msg_type"] != "status" else "status/" + m["content"]["execution_state"]
            for m in msgs]


def drain_iopub(kc, quiet=0.2):
    """Discards IOPub messages until none arrive for `quiet` seconds."""
    client_helpers.forget_iopub(kc)
    while True:
        try:
            kc.get_iopub_msg(timeout=quiet)
        except Exception:
            return


def raw_socket(k, channel="shell"):
    """A DEALER (or REQ for hb) socket connected to the kernel's channel."""
    connect = {"shell": k.km.connect_shell, "control": k.km.connect_control, "hb": k.km.connect_hb,
               "stdin": k.km.connect_stdin}[channel]
    sock = connect()
    sock.linger = 0
    return sock


def recv_multipart(sock, timeout):
    if sock.poll(int(timeout * 1000)):
        return sock.recv_multipart()
    return None


def wait_exit(proc, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return proc.returncode
        time.sleep(0.02)
    return None
