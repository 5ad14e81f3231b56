"""Faults and security: the real cgpu-kernel under things going wrong.

Every fault test is followed by the same check (`survived`): the kernel
process is alive, answers the next execute_request, variables bound before
the fault still hold their values, and its RSS is back near what it was when
the test started (the module's kernel is warmed up first, so the runtime's
allocator caches are in place; CGPU_FAULTS_RSS_SLACK_MB, default 48, is the
allowance).

The kernelspec "cgpu" must be findable: tests/robustness/faults_suite.sh
installs it into a temporary prefix (make install PREFIX=...) and sets
JUPYTER_PATH. Security tests start the binary directly on connection files
written here (transport, ip, key and scheme under the test's control).
"""
import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import textwrap
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import client_helpers  # noqa: E402

import pytest
import zmq
from jupyter_client import BlockingKernelClient
from jupyter_client.connect import write_connection_file
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from jupyter_client.manager import KernelManager
from jupyter_client.session import Session

TIMEOUT = float(os.environ.get("CGPU_FAULTS_TIMEOUT", "60"))
RSS_SLACK_MB = float(os.environ.get("CGPU_FAULTS_RSS_SLACK_MB", "48"))
PY = "/usr/bin/python3"


# ---- kernels ----------------------------------------------------------------------------

def kernel_binary():
    try:
        return KernelSpecManager().get_kernel_spec("cgpu").argv[0]
    except NoSuchKernel:
        pytest.skip("kernelspec cgpu is not installed (run through tests/robustness/faults_suite.sh)")


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


class Kernel:
    """A kernel started by jupyter_client's KernelManager (the real launch path)."""

    def __init__(self, env=None, **kw):
        self.log = tempfile.NamedTemporaryFile("w+", prefix="cgpu-faults-", suffix=".log", delete=False)
        self.km = KernelManager(kernel_name="cgpu", **kw)
        extra = {"env": env} if env is not None else {}
        self.km.start_kernel(stderr=self.log, stdout=self.log, **extra)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=TIMEOUT)
        self.key = self.km.session.key

    @property
    def pid(self):
        return self.km.provisioner.process.pid

    def alive(self):
        return self.km.provisioner.process.poll() is None

    def output(self):
        self.log.flush()
        with open(self.log.name, errors="replace") as f:
            return f.read()

    def close(self):
        try:
            self.kc.stop_channels()
            self.km.shutdown_kernel(now=False)
        except Exception:
            try:
                self.km.shutdown_kernel(now=True)
            except Exception:
                pass
        self.log.close()
        try:
            os.unlink(self.log.name)
        except OSError:
            pass


def wait_reply(kc, msg_id, timeout=TIMEOUT, channel="shell"):
    return client_helpers.wait_reply(kc, msg_id, timeout, channel)


def wait_iopub(kc, msg_id, pred, timeout=TIMEOUT):
    """The first IOPub message of request msg_id for which pred(msg) holds."""
    return client_helpers.wait_iopub(kc, msg_id, pred, timeout)


def execute(kc, code, timeout=TIMEOUT):
    """Runs code; returns (reply content, text/plain of the result or None, stdout)."""
    msg_id = kc.execute(code)
    reply = wait_reply(kc, msg_id, timeout)
    out, value = [], None
    for msg in client_helpers.iopub_until_idle(kc, msg_id, timeout):
        if msg["msg_type"] == "stream" and msg["content"]["name"] == "stdout":
            out.append(msg["content"]["text"])
        elif msg["msg_type"] == "execute_result":
            value = msg["content"]["data"].get("text/plain")
    return reply["content"], value, "".join(out)


def start_cell(kc, code):
    """Sends code and waits until the kernel has announced it (execute_input).
    stop_on_error=False: a request arriving while the kernel drains after an
    error must not be aborted (these tests interrupt cells on purpose)."""
    msg_id = kc.execute(code, stop_on_error=False)
    wait_iopub(kc, msg_id, lambda m: m["msg_type"] == "execute_input")
    return msg_id


def finish_cell(kc, msg_id, timeout=TIMEOUT):
    reply = wait_reply(kc, msg_id, timeout)
    wait_iopub(kc, msg_id, client_helpers.is_idle, timeout)
    return reply["content"]


@pytest.fixture(scope="module")
def k():
    kernel_binary()
    kern = Kernel()
    kc = kern.kc
    # warm up: the interpreter, arrays, a small fit, so caches are in place
    warm = textwrap.dedent("""\
        keep = 123
        keep_list = [1, 'two', 3.0]
        a = arange(0, 1000).reshape((10, 100))
        b = (a * 2.0) @ a.T
        s = 0
        for i in range(10000):
            s += i
        """)
    content, _, _ = execute(kc, warm)
    assert content["status"] == "ok", content
    for _ in range(3):
        execute(kc, "b = (a * 2.0) @ a.T\nz = [str(i) for i in range(1000)]")
    time.sleep(0.3)
    kern.baseline = kern.before = rss_mb(kern.pid)
    yield kern
    kern.close()


@pytest.fixture(autouse=True)
def rss_before(request):
    """Records the module kernel's RSS as each test starts (the reference
    `survived` compares with), so one test's leftovers do not fail the next."""
    if "k" in request.fixturenames:
        kern = request.getfixturevalue("k")
        kern.before = rss_mb(kern.pid)
    yield


def survived(kern, what, cleanup=None):
    """The kernel is alive, serving, its state intact, its RSS back near what
    it was before the fault (after `cleanup` dropped what the test itself bound)."""
    assert kern.alive(), f"the kernel died after {what}"
    if cleanup:
        content, _, _ = execute(kern.kc, cleanup)
        assert content["status"] == "ok", f"after {what}: {cleanup!r} failed: {content}"
    content, value, _ = execute(kern.kc, "keep", timeout=TIMEOUT)
    assert content["status"] == "ok", f"after {what}: {content}"
    assert value == "123", f"after {what}: keep is {value!r}"
    content, value, _ = execute(kern.kc, "keep_list")
    assert value == "[1, 'two', 3.0]", f"after {what}: keep_list is {value!r}"
    # RSS: give the allocator a moment, then compare with the RSS the
    # kernel had when this test started
    rss = rss_mb(kern.pid)
    for _ in range(20):
        if rss <= kern.before + RSS_SLACK_MB:
            break
        time.sleep(0.1)
        rss = rss_mb(kern.pid)
    assert rss <= kern.before + RSS_SLACK_MB, \
        f"after {what}: RSS {rss:.1f} MiB, {kern.before:.1f} MiB before the fault (+{RSS_SLACK_MB} allowed)"


def calibrated_loop(kc, seconds):
    """A cell that keeps the interpreter busy for about `seconds`."""
    n = 200000
    t0 = time.monotonic()
    execute(kc, f"t = 0\nfor i in range({n}):\n    t += i % 7")
    per = max((time.monotonic() - t0) / n, 1e-8)
    return f"t = 0\nfor i in range({int(seconds / per)}):\n    t += i % 7\nloop_done = 1"


# ---- faults ----------------------------------------------------------------------------

CLIENT = textwrap.dedent("""\
    import os, signal, sys, time
    from jupyter_client import BlockingKernelClient
    kc = BlockingKernelClient(connection_file=sys.argv[1])
    kc.load_connection_file()
    kc.start_channels()
    msg_id = kc.execute(sys.argv[2])
    while True:   # wait until the kernel runs the cell (and, for output, prints)
        m = kc.get_iopub_msg(timeout=60)
        if m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == sys.argv[3]:
            break
    if sys.argv[4] == "close-iopub":
        kc.iopub_channel.stop()  # closes the SUB socket: the kernel publishes into the void
        time.sleep(1.0)
    os.kill(os.getpid(), signal.SIGKILL)
    """)


def run_doomed_client(kern, code, wait_for, how):
    p = subprocess.run([PY, "-c", CLIENT, kern.km.connection_file, code, wait_for, how],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
    assert p.returncode == -signal.SIGKILL, p.stderr.decode()[-2000:]


def test_client_killed_mid_cell(k):
    code = calibrated_loop(k.kc, 2.0).replace("loop_done = 1", "killed_client_done = keep")
    run_doomed_client(k, code, "execute_input", "kill")
    # the orphaned cell finishes; its reply goes to a peer that is gone
    deadline = time.monotonic() + TIMEOUT
    while True:
        content, value, _ = execute(k.kc, "killed_client_done")
        if content["status"] == "ok":
            assert value == "123"
            break
        assert time.monotonic() < deadline, content
        time.sleep(0.2)
    survived(k, "a client killed mid-cell")


def test_iopub_subscriber_gone(k):
    code = "for i in range(20000):\n    print('line', i)\niopub_done = keep"
    run_doomed_client(k, code, "stream", "close-iopub")
    deadline = time.monotonic() + TIMEOUT
    while True:
        content, value, _ = execute(k.kc, "iopub_done")
        if content["status"] == "ok":
            assert value == "123"
            break
        assert time.monotonic() < deadline, content
        time.sleep(0.2)
    survived(k, "the iopub subscriber vanished mid-output")


def test_flood_of_10000_execute_requests(k):
    """10 000 requests sent without waiting: every one answered, in order."""
    n = int(os.environ.get("CGPU_FLOOD", "10000"))
    execute(k.kc, "flood = 0")
    ctx = zmq.Context.instance()
    sock = ctx.socket(zmq.DEALER)
    sock.linger = 0
    sock.connect(f"tcp://{k.km.ip}:{k.km.shell_port}")
    sess = Session(key=k.key, signature_scheme=k.km.session.signature_scheme, username="flood")
    ids = []
    for i in range(n):
        msg = sess.msg("execute_request", {"code": "flood += 1", "silent": True, "store_history": False,
                                          "user_expressions": {}, "allow_stdin": False, "stop_on_error": False})
        ids.append(msg["header"]["msg_id"])
        sess.send(sock, msg)
    got = []
    deadline = time.monotonic() + max(TIMEOUT, n / 50.0)
    while len(got) < n:
        left = deadline - time.monotonic()
        assert left > 0, f"only {len(got)} of {n} replies arrived"
        if not sock.poll(int(left * 1000)):
            continue
        _, frames = sess.feed_identities(sock.recv_multipart())
        reply = sess.deserialize(frames)
        assert reply["content"]["status"] == "ok", reply["content"]
        got.append(reply["parent_header"]["msg_id"])
    sock.close()
    assert got == ids, "replies out of order or lost"
    content, value, _ = execute(k.kc, "flood")
    assert value == str(n)
    survived(k, f"a flood of {n} execute requests")


def test_64_mib_message(k):
    ctx = zmq.Context.instance()
    sock = ctx.socket(zmq.DEALER)
    sock.linger = 0
    sock.connect(f"tcp://{k.km.ip}:{k.km.shell_port}")
    sess = Session(key=k.key, signature_scheme=k.km.session.signature_scheme, username="big")
    code = "x = '" + "a" * (64 << 20) + "'"
    msg = sess.msg("execute_request", {"code": code, "silent": False})
    sess.send(sock, msg)
    assert sock.poll(int(TIMEOUT * 1000)), "no reply to a 64 MiB message"
    _, frames = sess.feed_identities(sock.recv_multipart())
    reply = sess.deserialize(frames)
    assert reply["parent_header"]["msg_id"] == msg["header"]["msg_id"]
    assert reply["content"]["status"] == "error"
    sock.close()
    del code, msg
    survived(k, "a 64 MiB message")


def test_cell_allocating_more_than_the_device(k):
    content, _, _ = execute(k.kc, "huge = zeros((1 << 40,))")
    assert content["status"] == "error"
    # host memory (CPU:0) is MemoryError, a GPU's is OutOfMemoryError
    assert content["ename"] in ("MemoryError", "OutOfMemoryError"), content
    content, _, _ = execute(k.kc, "huge = zeros((1 << 22,))\nhuge = None")  # 16 MiB still works
    assert content["status"] == "ok", content
    survived(k, "a cell asking for 4 TiB")


def test_deep_recursion(k):
    content, _, _ = execute(k.kc, "def down(n):\n    return down(n + 1)\ndown(0)")
    assert content["status"] == "error" and content["ename"] == "RecursionError", content
    content, _, _ = execute(k.kc, "x = " + "(" * 50000 + "1" + ")" * 50000)
    assert content["status"] == "error", content  # nesting too deep to parse: an error, not a crash
    content, _, _ = execute(k.kc, "d = []\nfor i in range(100000):\n    d = [d]\nrepr_len = len(str(d)) > 0")
    assert content["status"] in ("ok", "error"), content
    survived(k, "deep recursion")


def test_deeply_nested_value_freed(k):
    """A million nested lists: building, printing and freeing them must not
    recurse on the C stack."""
    content, _, _ = execute(k.kc, "d = []\nfor i in range(1000000):\n    d = [d]\nnested_ok = len(repr(d)) > 0")
    assert content["status"] in ("ok", "error"), content
    content, _, _ = execute(k.kc, "d = None\nnested_freed = 1")
    assert k.alive(), "the kernel crashed freeing a deeply nested list"
    assert content["status"] == "ok", content
    survived(k, "freeing a million nested lists")


def test_long_loop_interrupted_100_times(k):
    """Each interrupt is sent as soon as the kernel has announced the cell
    (execute_input), as a user pressing stop at once would: it must not be
    lost in the moment before the interpreter starts."""
    for i in range(100):
        msg_id = start_cell(k.kc, "while True:\n    pass")
        if i % 2 == 0:
            k.km.interrupt_kernel()  # SIGINT: the kernelspec's interrupt_mode is "signal"
        else:
            req = k.kc.session.msg("interrupt_request", {})
            k.kc.control_channel.send(req)
            assert wait_reply(k.kc, req["header"]["msg_id"], channel="control")["content"]["status"] == "ok"
        try:
            content = finish_cell(k.kc, msg_id, timeout=20)
        except Exception:
            k.km.interrupt_kernel()  # unstick the kernel for the tests that follow
            finish_cell(k.kc, msg_id, timeout=20)
            raise AssertionError(f"interrupt {i + 1} of 100 was lost: the cell kept running")
        assert content["status"] == "error" and content["ename"] == "KeyboardInterrupt", (i, content)
    survived(k, "100 interrupts in a row")


def test_sigint_during_fit(k):
    content, _, _ = execute(k.kc, textwrap.dedent("""\
        seed(0)
        fc = array([-40, -10, 0, 8, 15, 22, 38], dtype=float)
        ff = array([-40, 14, 32, 46, 59, 72, 100], dtype=float)
        fm = Sequential([Input(shape=[1]), Dense(units=1)])
        fm.compile(loss='mean_squared_error', optimizer=Adam(0.1))
        """))
    assert content["status"] == "ok", content   # training is part of every build
    msg_id = start_cell(k.kc, "fh = fm.fit(fc, ff, epochs=10000000, verbose=False)")
    time.sleep(0.5)
    os.kill(k.pid, signal.SIGINT)
    content = finish_cell(k.kc, msg_id, timeout=30)
    assert content["status"] == "error" and content["ename"] == "KeyboardInterrupt", content
    # the model is usable afterwards: fit again, predict
    content, value, _ = execute(k.kc, "fm.fit(fc, ff, epochs=2, verbose=False)\nfm.predict(array([100.0]), verbose=0).shape")
    assert content["status"] == "ok" and value == "(1, 1)", (content, value)
    survived(k, "SIGINT during fit", cleanup="fm = None\nfh = None")


def test_key_never_in_logs(k):
    out = k.output()
    key = k.key.decode()
    assert key and key not in out, "the HMAC key appears in the kernel's output"


# ---- direct launches: signals and security -----------------------------------------------

class Direct:
    """cgpu-kernel -f FILE on a connection file written here."""

    def __init__(self, transport="tcp", ip="127.0.0.1", key=None, scheme="hmac-sha256", extra=None,
                 raw_text=None, wait=True):
        self.dir = tempfile.mkdtemp(prefix="cgpu-faults-")
        self.path = os.path.join(self.dir, "kernel.json")
        if key is None:
            key = os.urandom(16).hex().encode()
        self.key = key
        if raw_text is not None:
            with open(self.path, "w") as f:
                f.write(raw_text)
        else:
            kw = {}
            if transport == "ipc":
                ip = os.path.join(self.dir, "kernel-ipc")
            write_connection_file(self.path, ip=ip, key=key, transport=transport, signature_scheme=scheme, **kw)
            if extra:
                with open(self.path) as f:
                    d = json.load(f)
                d.update(extra)
                with open(self.path, "w") as f:
                    json.dump(d, f)
        with open(self.path) as f:
            self.info = json.load(f) if raw_text is None else None
        self.err = open(os.path.join(self.dir, "stderr.log"), "w+")
        self.out = open(os.path.join(self.dir, "stdout.log"), "w+")
        self.proc = subprocess.Popen([kernel_binary(), "-f", self.path], stdout=self.out, stderr=self.err)
        self.kc = None
        if wait:
            self.kc = BlockingKernelClient(connection_file=self.path)
            self.kc.load_connection_file()
            self.kc.start_channels()
            self.kc.wait_for_ready(timeout=TIMEOUT)

    def logs(self):
        text = ""
        for f in (self.err, self.out):
            f.flush()
            with open(f.name, errors="replace") as g:
                text += g.read()
        return text

    def stderr(self):
        self.err.flush()
        with open(self.err.name, errors="replace") as g:
            return g.read()

    def wait_exit(self, timeout=15):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def close(self):
        if self.kc:
            self.kc.stop_channels()
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.err.close()
        self.out.close()
        subprocess.run(["rm", "-rf", self.dir])


@pytest.fixture
def direct():
    made = []

    def make(**kw):
        d = Direct(**kw)
        made.append(d)
        return d

    yield make
    for d in made:
        d.close()


def listening_sockets(pid):
    """(family, address, port) of the TCP sockets the process listens on."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        m = re.match(r"socket:\[(\d+)\]", target)
        if m:
            inodes.add(m.group(1))
    found = []
    for fam, path in (("ipv4", "/proc/net/tcp"), ("ipv6", "/proc/net/tcp6")):
        try:
            lines = open(path).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            local, state, inode = parts[1], parts[3], parts[9]
            if state != "0A" or inode not in inodes:  # 0A: LISTEN
                continue
            addr_hex, port_hex = local.split(":")
            if fam == "ipv4":
                addr = socket.inet_ntop(socket.AF_INET, bytes.fromhex(addr_hex)[::-1])
            else:
                raw = bytes.fromhex(addr_hex)
                addr = socket.inet_ntop(socket.AF_INET6, b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4)))
            found.append((fam, addr, int(port_hex, 16)))
    return found


def conn_ports(info):
    return {info[p] for p in ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")}


def test_sigterm_clean_exit(direct):
    d = direct()
    ports = conn_ports(d.info)
    assert {p for _, _, p in listening_sockets(d.proc.pid)} == ports
    content, value, _ = execute(d.kc, "x = 1\nx + 1")
    assert value == "2"
    os.kill(d.proc.pid, signal.SIGTERM)
    rc = d.wait_exit(15)
    assert rc == 0, f"exit status {rc} after SIGTERM"
    # sockets closed: nothing accepts on the kernel's ports any more
    for port in ports:
        s = socket.socket()
        s.settimeout(1)
        assert s.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still accepts after exit"
        s.close()


def test_sigterm_during_a_cell(direct):
    d = direct()
    msg_id = start_cell(d.kc, "while True:\n    pass")
    os.kill(d.proc.pid, signal.SIGTERM)
    rc = d.wait_exit(15)
    assert rc == 0, f"exit status {rc} after SIGTERM during a running cell"


def test_bound_on_loopback_only(direct):
    d = direct()
    socks = listening_sockets(d.proc.pid)
    assert socks, "no listening sockets found"
    for fam, addr, port in socks:
        assert addr == "127.0.0.1", f"listening on {addr}:{port}"


def test_bound_on_the_files_ip(direct):
    d = direct(ip="127.0.0.2")
    for fam, addr, port in listening_sockets(d.proc.pid):
        assert addr == "127.0.0.2", f"listening on {addr}:{port} instead of 127.0.0.2"
    content, value, _ = execute(d.kc, "3 * 3")
    assert value == "9"


def test_ipc_socket_files_0600(direct):
    d = direct(transport="ipc")
    prefix = d.info["ip"]
    files = [os.path.join(d.dir, f) for f in os.listdir(d.dir) if f.startswith("kernel-ipc-")]
    assert len(files) == 5, files
    for f in files:
        mode = stat.S_IMODE(os.stat(f).st_mode)
        assert stat.S_ISSOCK(os.stat(f).st_mode), f
        assert mode & 0o077 == 0, f"{f} has mode {oct(mode)}"
    content, value, _ = execute(d.kc, "2 + 2")
    assert value == "4"
    d.kc.stop_channels()
    d.kc = None
    os.kill(d.proc.pid, signal.SIGTERM)
    assert d.wait_exit(15) == 0
    left = [f for f in os.listdir(d.dir) if f.startswith("kernel-ipc-")]
    assert not left, f"ipc socket files left behind after SIGTERM: {left}"


def test_unknown_signature_scheme_refused(direct):
    d = direct(scheme="hmac-nothing", wait=False)
    rc = d.wait_exit(15)
    assert rc is not None and rc != 0, "the kernel started with an unknown signature scheme"
    err = d.stderr()
    assert "hmac-nothing" in err
    assert d.key.decode() not in d.logs()


@pytest.mark.parametrize("scheme", ["sha256", "", "none", "hmac-", "hmac-sha256 "])
def test_other_bad_schemes_refused(direct, scheme):
    d = direct(extra={"signature_scheme": scheme}, wait=False)
    rc = d.wait_exit(15)
    assert rc is not None and rc != 0, f"the kernel started with signature_scheme {scheme!r}"
    assert d.key.decode() not in d.logs()


def test_empty_key_unsigned_with_a_note(direct):
    d = direct(key=b"")
    content, value, _ = execute(d.kc, "5 + 5")
    assert value == "10"
    assert "not signed" in d.stderr() or "unsigned" in d.stderr(), d.stderr()


def test_bad_signature_dropped_before_parsing(direct):
    """A wrongly signed message with an unparsable header is logged as a bad
    signature, never as bad JSON: the signature is checked first."""
    d = direct()
    ctx = zmq.Context.instance()
    sock = ctx.socket(zmq.DEALER)
    sock.linger = 0
    sock.connect(f"tcp://127.0.0.1:{d.info['shell_port']}")
    wrong = Session(key=b"wrong-key", username="intruder")
    header = b'{"msg_type": "execute_request", this is not json'
    sock.send_multipart([b"<IDS|MSG>", wrong.sign([header, b"{}", b"{}", b"{}"]), header, b"{}", b"{}",
                         b'{"code": "print(1)"}'])
    # and a well-formed one, wrongly signed
    wrong.send(sock, "execute_request", {"code": "pwned = 1", "silent": False})
    assert not sock.poll(1000), "the kernel answered a wrongly signed message"
    sock.close()
    content, _, _ = execute(d.kc, "pwned")
    assert content["status"] == "error" and content["ename"] == "NameError", "a forged cell ran"
    err = d.stderr()
    assert "signature" in err
    assert "JSON" not in err and "json" not in err, err
    assert d.key.decode() not in d.logs()


def test_replay_rejected(direct):
    d = direct()
    ctx = zmq.Context.instance()
    sock = ctx.socket(zmq.DEALER)
    sock.linger = 0
    sock.connect(f"tcp://127.0.0.1:{d.info['shell_port']}")
    s = Session(key=d.key, username="replayer")
    frames = s.serialize(s.msg("execute_request", {"code": "count = count + 1", "silent": True}))
    execute(d.kc, "count = 0")
    sock.send_multipart(frames)
    assert sock.poll(int(TIMEOUT * 1000))
    sock.recv_multipart()
    sock.send_multipart(frames)  # the same bytes again
    assert not sock.poll(1500), "a replayed message was answered"
    sock.close()
    content, value, _ = execute(d.kc, "count")
    assert value == "1", f"the replayed cell ran: count is {value}"
    assert "duplicate" in d.stderr() or "replay" in d.stderr()


def test_key_not_printed_on_bad_connection_file(direct):
    """A malformed connection file is reported without quoting the key.
    (jansson quotes the token it was reading when it is at most 20
    characters long, so the key here is short.)"""
    secret = "SECRET-" + os.urandom(4).hex()
    bad = ('{"shell_port": 50001, "iopub_port": 50002, "stdin_port": 50003, "control_port": 50004, '
           '"hb_port": 50005, "key": "' + secret + '\\q"}')
    d = direct(raw_text=bad, wait=False)
    rc = d.wait_exit(15)
    assert rc is not None and rc != 0
    assert secret[:10] not in d.logs(), f"the key is quoted in the error: {d.stderr().strip()}"
