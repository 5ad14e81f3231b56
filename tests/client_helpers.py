"""Message helpers shared by the Python test suites that drive the kernel
with jupyter_client (tests/protocol, tests/robustness)."""
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
