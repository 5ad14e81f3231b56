"""Signatures, replays and garbage: dropped or answered, never a crash."""
import json
import time

import pytest
from jupyter_client.session import Session

from conftest import TIMEOUT, raw_socket, recv_multipart, request, run_cell, stdout_of

DELIM = b"<IDS|MSG>"


def reply_of(k, sock, timeout=1.0):
    """The next message on a raw DEALER socket, deserialized, or None."""
    frames = recv_multipart(sock, timeout)
    if frames is None:
        return None
    idents, rest = k.kc.session.feed_identities(frames)
    return k.kc.session.deserialize(rest)


def still_serving(k):
    reply, msgs = run_cell(k.kc, "print('ok')")
    assert stdout_of(msgs) == "ok\n"
    assert k.process.poll() is None


def signed_frames(session, header, parent=b"{}", metadata=b"{}", content=b"{}"):
    return [DELIM, session.sign([header, parent, metadata, content]), header, parent, metadata, content]


def header_bytes(session, msg_type="kernel_info_request", **extra):
    h = session.msg_header(msg_type)
    h["date"] = h["date"].isoformat()
    h.update(extra)
    return json.dumps(h).encode()


def test_wrong_signature_ignored(kernel):
    sock = raw_socket(kernel)
    bad = Session(key=b"not-the-right-key", username="intruder")
    bad.send(sock, "execute_request", {"code": "print('pwned')", "silent": False})
    assert reply_of(kernel, sock) is None
    assert "invalid signature" in kernel.stderr()
    assert "not-the-right-key" not in kernel.stderr()
    # unsigned
    Session(key=b"").send(sock, "kernel_info_request", {})
    assert reply_of(kernel, sock) is None
    sock.close()
    still_serving(kernel)


def test_replay_rejected(kernel):
    sock = raw_socket(kernel)
    s = kernel.kc.session
    frames = s.serialize(s.msg("kernel_info_request", {}))
    sock.send_multipart(frames)
    assert reply_of(kernel, sock)["msg_type"] == "kernel_info_reply"
    sock.send_multipart(frames)  # the same signed message again
    assert reply_of(kernel, sock) is None
    assert "duplicate signature" in kernel.stderr()
    sock.close()


@pytest.mark.parametrize("case", ["one frame", "no delimiter", "too few frames", "empty frames",
                                  "header not json", "header without msg_type"])
def test_garbage_dropped(kernel, case):
    sock = raw_socket(kernel)
    s = kernel.kc.session
    frames = {
        "one frame": [b"junk"],
        "no delimiter": [b"a", b"b", b"c", b"d", b"e", b"f"],
        "too few frames": [DELIM, b"x", b"{}"],
        "empty frames": [DELIM, b"", b"", b"", b"", b""],
        "header not json": signed_frames(s, b"{not json"),
        "header without msg_type": signed_frames(s, json.dumps({"msg_id": "m1", "session": "x"}).encode()),
    }[case]
    sock.send_multipart(frames)
    assert reply_of(kernel, sock, 0.5) is None
    sock.close()
    still_serving(kernel)


@pytest.mark.parametrize("case", ["invalid JSON content", "content not an object", "16 MiB content",
                                  "64 MiB content"])
def test_bad_content_answered_with_error(kernel, case):
    sock = raw_socket(kernel)
    s = kernel.kc.session
    content = {
        "invalid JSON content": b'{"code": "print(1)"',
        "content not an object": b"[1, 2, 3]",
        "16 MiB content": b'{"code": "' + b"x" * (16 << 20) + b'"}',
        "64 MiB content": b'{"code": "' + b"x" * (64 << 20) + b'"}',
    }[case]
    sock.send_multipart(signed_frames(s, header_bytes(s, "execute_request"), content=content))
    reply = reply_of(kernel, sock, 10)
    assert reply is not None and reply["msg_type"] == "execute_reply"
    assert reply["content"]["status"] == "error"
    if "MiB" in case:
        assert "too large" in reply["content"]["evalue"]
    sock.close()
    still_serving(kernel)


def test_request_with_buffers_served(kernel):
    """Extra buffer frames on a request are accepted (comm messages carry them)."""
    sock = raw_socket(kernel)
    s = kernel.kc.session
    frames = signed_frames(s, header_bytes(s, "kernel_info_request")) + [b"\0" * (1 << 20)]
    sock.send_multipart(frames)
    reply = reply_of(kernel, sock, 5)
    assert reply is not None and reply["content"]["status"] == "ok"
    sock.close()
