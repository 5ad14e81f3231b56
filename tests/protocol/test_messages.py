"""Every shell request, with busy/idle bracketing, parents and IOPub order."""
import time

import pytest

from conftest import (TIMEOUT, drain_iopub, iopub_until_idle, request, run_cell, stdout_of, types_of,
                      wait_reply)


def check_bracketed(msgs, msg_id):
    """busy first, idle last, every message parented by the request."""
    assert msgs[0]["msg_type"] == "status" and msgs[0]["content"]["execution_state"] == "busy"
    assert msgs[-1]["msg_type"] == "status" and msgs[-1]["content"]["execution_state"] == "idle"
    for m in msgs:
        assert m["parent_header"]["msg_id"] == msg_id


def test_kernel_info(kernel):
    reply, msgs = request(kernel.kc, "kernel_info_request")
    c = reply["content"]
    assert c["status"] == "ok"
    assert c["protocol_version"].split(".")[0] == "5" and float(c["protocol_version"]) >= 5.3
    assert c["implementation"] == "cgpu"
    assert c["implementation_version"]
    li = c["language_info"]
    for key in ("name", "version", "mimetype", "file_extension", "pygments_lexer", "codemirror_mode",
                "nbconvert_exporter"):
        assert key in li, key
    assert li["name"] == "cgpu"
    assert isinstance(c["banner"], str) and isinstance(c["help_links"], list)
    assert c["debugger"] is False
    check_bracketed(msgs, reply["parent_header"]["msg_id"])
    assert types_of(msgs) == ["status/busy", "status/idle"]
    h = reply["header"]
    assert h["version"] >= "5.3" and h["username"] and h["session"]
    assert h["date"].tzinfo is not None  # ISO 8601 with a timezone


def test_kernel_info_on_control(kernel):
    reply, msgs = request(kernel.kc, "kernel_info_request", channel="control")
    assert reply["msg_type"] == "kernel_info_reply" and reply["content"]["status"] == "ok"
    check_bracketed(msgs, reply["parent_header"]["msg_id"])


def test_replies_carry_one_session_and_unique_ids(kernel):
    ids, sessions = set(), set()
    for _ in range(5):
        reply, msgs = request(kernel.kc, "kernel_info_request")
        for m in [reply] + msgs:
            ids.add(m["header"]["msg_id"])
            sessions.add(m["header"]["session"])
    assert len(ids) == 15 and len(sessions) == 1


def test_execute_print_order(kernel):
    reply, msgs = run_cell(kernel.kc, "print(1+1)")
    assert reply["content"]["status"] == "ok"
    check_bracketed(msgs, reply["parent_header"]["msg_id"])
    assert types_of(msgs) == ["status/busy", "execute_input", "stream", "status/idle"]
    assert msgs[1]["content"]["code"] == "print(1+1)"
    assert msgs[1]["content"]["execution_count"] == reply["content"]["execution_count"]
    assert stdout_of(msgs) == "2\n"
    # the reply is sent before idle
    assert reply["header"]["date"] <= msgs[-1]["header"]["date"]


def test_execute_result_and_counter(kernel):
    r1, _ = run_cell(kernel.kc, "x = 40")
    n = r1["content"]["execution_count"]
    r2, msgs = run_cell(kernel.kc, "x + 2")
    assert r2["content"]["execution_count"] == n + 1
    results = [m for m in msgs if m["msg_type"] == "execute_result"]
    assert len(results) == 1
    assert results[0]["content"]["data"]["text/plain"] == "42"
    assert results[0]["content"]["execution_count"] == n + 1
    assert types_of(msgs) == ["status/busy", "execute_input", "execute_result", "status/idle"]


def test_silent_and_store_history(kernel):
    r0, _ = run_cell(kernel.kc, "y = 1")
    n = r0["content"]["execution_count"]
    r1, msgs = run_cell(kernel.kc, "print(5)\ny", silent=True)
    assert r1["content"]["status"] == "ok"
    assert types_of(msgs) == ["status/busy", "status/idle"]  # no execute_input, no outputs
    assert r1["content"]["execution_count"] == n
    r2, msgs = run_cell(kernel.kc, "y", store_history=False)
    assert r2["content"]["execution_count"] == n
    r3, _ = run_cell(kernel.kc, "y")
    assert r3["content"]["execution_count"] == n + 1


def test_execute_error(kernel):
    reply, msgs = run_cell(kernel.kc, "undefined_name_xyz")
    c = reply["content"]
    assert c["status"] == "error"
    assert c["ename"] == "NameError"
    assert "undefined_name_xyz" in c["evalue"]
    assert isinstance(c["traceback"], list) and c["traceback"]
    errors = [m for m in msgs if m["msg_type"] == "error"]
    assert len(errors) == 1 and errors[0]["content"]["ename"] == "NameError"
    assert types_of(msgs) == ["status/busy", "execute_input", "error", "status/idle"]


def test_stop_on_error_aborts_queued(kernel):
    kc = kernel.kc
    # the failing cell waits on input() until the next two are surely queued
    fail = "s = input('go? ')\nprint(undefined_name_abc)\n"
    ids = [kc.execute(fail, allow_stdin=True), kc.execute("print('never 1')"), kc.execute("print('never 2')")]
    time.sleep(0.2)
    prompt = kc.get_stdin_msg(timeout=TIMEOUT)
    assert prompt["msg_type"] == "input_request"
    kc.input("go")
    replies = [wait_reply(kc, i) for i in ids]
    assert [r["content"]["status"] for r in replies] == ["error", "aborted", "aborted"]
    outs = [iopub_until_idle(kc, i) for i in ids]
    assert "never" not in stdout_of(outs[1] + outs[2])
    # afterwards, cells run again
    reply, msgs = run_cell(kc, "print('again')")
    assert reply["content"]["status"] == "ok" and stdout_of(msgs) == "again\n"
    # stop_on_error=False: the next cell runs
    a = kc.execute("print(undefined_name_abc)", stop_on_error=False)
    b = kc.execute("print('runs')")
    assert wait_reply(kc, a)["content"]["status"] == "error"
    assert wait_reply(kc, b)["content"]["status"] == "ok"
    iopub_until_idle(kc, a)
    assert stdout_of(iopub_until_idle(kc, b)) == "runs\n"


def test_user_expressions(kernel):
    run_cell(kernel.kc, "z = 6")
    reply, _ = run_cell(kernel.kc, "z = z * 7", user_expressions={"val": "z", "bad": "nope_not_defined"})
    ue = reply["content"]["user_expressions"]
    assert ue["val"]["status"] == "ok" and ue["val"]["data"]["text/plain"] == "42"
    assert ue["bad"]["status"] == "error" and ue["bad"]["ename"] == "NameError"


def test_stream_arrives_while_cell_runs(kernel):
    """A line printed early is published ~50 ms later, not with the cell's end.
    Judged by the kernel's own header dates, so a slow client does not matter."""
    # busy for 0.6 s between two prints (time() is the language's clock)
    code = "print('start')\nt0 = time()\nwhile time() - t0 < 0.6:\n    pass\nprint('end')\n"
    reply, msgs = run_cell(kernel.kc, code, timeout=TIMEOUT * 3)
    assert reply["content"]["status"] == "ok", reply["content"]
    streams = [m for m in msgs if m["msg_type"] == "stream"]
    assert [m["content"]["text"] for m in streams] == ["start\n", "end\n"]
    started = msgs[1]["header"]["date"]  # execute_input
    t_start = (streams[0]["header"]["date"] - started).total_seconds()
    t_end = (streams[1]["header"]["date"] - started).total_seconds()
    assert t_end >= 0.6
    assert t_start < 0.3, f"'start' published {t_start:.3f} s into the cell"


def test_stream_batching_keeps_every_line(kernel):
    reply, msgs = run_cell(kernel.kc, "for i in range(3000):\n    print(i)\n")
    assert reply["content"]["status"] == "ok"
    streams = [m for m in msgs if m["msg_type"] == "stream"]
    assert stdout_of(msgs) == "".join(f"{i}\n" for i in range(3000))
    assert len(streams) < 100  # batched, not one message per line


def test_complete(kernel):
    reply, msgs = request(kernel.kc, "complete_request", {"code": "pri", "cursor_pos": 3})
    c = reply["content"]
    assert c["status"] == "ok" and "print" in c["matches"]
    assert c["cursor_start"] == 0 and c["cursor_end"] == 3
    assert isinstance(c["metadata"], dict)
    check_bracketed(msgs, reply["parent_header"]["msg_id"])


def test_inspect(kernel):
    reply, msgs = request(kernel.kc, "inspect_request", {"code": "print", "cursor_pos": 5, "detail_level": 0})
    c = reply["content"]
    assert c["status"] == "ok" and isinstance(c["found"], bool)
    if c["found"]:
        assert "text/plain" in c["data"]
    check_bracketed(msgs, reply["parent_header"]["msg_id"])


def test_is_complete(kernel):
    reply, _ = request(kernel.kc, "is_complete_request", {"code": "for i in range(3):"})
    assert reply["content"]["status"] == "incomplete"
    assert isinstance(reply["content"]["indent"], str)
    reply, _ = request(kernel.kc, "is_complete_request", {"code": "x = 1"})
    assert reply["content"]["status"] == "complete"


def test_history(kernel):
    marker = "hist_marker_value = 12345"
    r, _ = run_cell(kernel.kc, marker)
    line = r["content"]["execution_count"]
    reply, msgs = request(kernel.kc, "history_request",
                          {"hist_access_type": "tail", "n": 3, "output": False, "raw": True})
    hist = reply["content"]["history"]
    assert reply["content"]["status"] == "ok" and 1 <= len(hist) <= 3
    assert [h for h in hist if h[2] == marker and h[1] == line]
    reply, _ = request(kernel.kc, "history_request",
                       {"hist_access_type": "search", "pattern": "hist_marker*", "unique": True,
                        "output": False, "raw": True})
    assert [h[2] for h in reply["content"]["history"]] == [marker]
    reply, _ = request(kernel.kc, "history_request",
                       {"hist_access_type": "range", "session": 0, "start": line, "stop": line + 1,
                        "output": True, "raw": True})
    assert reply["content"]["history"] == [[reply["content"]["history"][0][0], line, [marker, None]]]


def test_comm_info_and_unknown_comm_open(kernel):
    reply, _ = request(kernel.kc, "comm_info_request", {})
    assert reply["content"] == {"status": "ok", "comms": {}}
    kc = kernel.kc
    msg = kc.session.msg("comm_open", {"comm_id": "c0ffee", "target_name": "no.such.target", "data": {}})
    kc.shell_channel.send(msg)
    msgs = iopub_until_idle(kc, msg["header"]["msg_id"])
    closes = [m for m in msgs if m["msg_type"] == "comm_close"]
    assert len(closes) == 1 and closes[0]["content"]["comm_id"] == "c0ffee"


def test_connect_request(kernel):
    reply, _ = request(kernel.kc, "connect_request", {})
    c = reply["content"]
    assert c["status"] == "ok"
    assert c["shell_port"] == kernel.km.shell_port and c["hb_port"] == kernel.km.hb_port


def test_unknown_message_type(kernel):
    kc = kernel.kc
    msg = kc.session.msg("no_such_request", {})
    kc.shell_channel.send(msg)
    msgs = iopub_until_idle(kc, msg["header"]["msg_id"])
    assert types_of(msgs) == ["status/busy", "status/idle"]
    with pytest.raises(Exception):
        wait_reply(kc, msg["header"]["msg_id"], timeout=0.5)
    assert "no_such_request" in kernel.stderr()


def test_stdin_input(kernel):
    kc = kernel.kc
    prompts = []

    def answer(msg):
        prompts.append(msg)
        kc.input("Ada")

    outs = []
    reply = kc.execute_interactive("name = input('name? ')\nprint('hi ' + name)", allow_stdin=True,
                                   stdin_hook=answer, output_hook=outs.append, timeout=TIMEOUT)
    assert reply["content"]["status"] == "ok"
    assert len(prompts) == 1
    assert prompts[0]["content"]["prompt"] == "name? "
    assert prompts[0]["parent_header"]["msg_id"] == reply["parent_header"]["msg_id"]
    assert stdout_of(outs) == "hi Ada\n"


def test_stdin_not_allowed(kernel):
    reply, msgs = run_cell(kernel.kc, "v = input('x? ')", allow_stdin=False)
    assert reply["content"]["status"] == "error"
    assert "frontend does not support stdin" in reply["content"]["evalue"] + "".join(reply["content"]["traceback"])


def test_bad_execute_content_answered(kernel):
    """An execute_request without code gets an error reply, and the kernel goes on."""
    reply, msgs = request(kernel.kc, "execute_request", {"silent": False})
    assert reply["content"]["status"] == "error"
    check_bracketed(msgs, reply["parent_header"]["msg_id"])
    r, m = run_cell(kernel.kc, "print('still here')")
    assert stdout_of(m) == "still here\n"
    drain_iopub(kernel.kc, 0.05)
