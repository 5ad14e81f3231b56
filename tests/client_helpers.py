"""Message helpers shared by the Python test suites that drive the kernel
with jupyter_client (tests/protocol, tests/robustness)."""
import queue
import time


def wait_reply(kc, msg_id, timeout, channel="shell"):
    """The reply to msg_id on shell or control (other replies are skipped)."""
    get = kc.get_shell_msg if channel == "shell" else kc.get_control_msg
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no {channel} reply to {msg_id}")
        msg = get(timeout=left)
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg


def next_iopub(kc, msg_id, timeout):
    """The next IOPub message whose parent is msg_id.

    Messages of other requests are kept for later calls instead of being
    dropped: two requests in flight (a cell and an interrupt_request on
    control) interleave on IOPub, and waiting for one must not lose the
    other's error or idle."""
    stash = kc.__dict__.setdefault("_cgpu_iopub_stash", [])
    for i, m in enumerate(stash):
        if m["parent_header"].get("msg_id") == msg_id:
            return stash.pop(i)
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no iopub message for {msg_id}")
        msg = kc.get_iopub_msg(timeout=left)
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg
        stash.append(msg)
        del stash[:-1000]  # bounded: requests nobody waits for leave their messages here


def wait_iopub(kc, msg_id, pred, timeout):
    """The first IOPub message of request msg_id for which pred(msg) holds."""
    deadline = time.monotonic() + timeout
    while True:
        msg = next_iopub(kc, msg_id, deadline - time.monotonic())
        if pred(msg):
            return msg


def is_idle(msg):
    return msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle"


def iopub_until_idle(kc, msg_id, timeout):
    """IOPub messages whose parent is msg_id, up to and including its idle."""
    out = []
    deadline = time.monotonic() + timeout
    while True:
        try:
            msg = next_iopub(kc, msg_id, deadline - time.monotonic())
        except (TimeoutError, queue.Empty):
            raise TimeoutError(f"no idle for {msg_id}; got {[m['msg_type'] for m in out]}") from None
        out.append(msg)
        if is_idle(msg):
            return out


def forget_iopub(kc):
    """Drops the messages next_iopub kept (drain_iopub's counterpart)."""
    kc.__dict__.get("_cgpu_iopub_stash", []).clear()
