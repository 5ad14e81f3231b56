#!/usr/bin/python3
"""Writes the fuzzers' seed corpora into tests/fuzz/corpus/{frames,conn,lang}/.

frames: real Jupyter messages signed by jupyter_client's Session (the key
        fuzz_frames.c uses), one file per (message, harness mode); layout
        as fuzz_frames.c reads it: a mode byte, then frames joined by 0xFF.
conn:   connection files as jupyter_client writes them, plus variants.
lang:   notebook cells (notebooks/*.ipynb: one input per notebook, cells
        joined by NUL bytes) and the code of every tests/lang/*.cgt case.

Deterministic for a given tree (fixed msg_ids and dates), so re-running it
changes nothing unless the notebooks or language tests changed.
Usage: /usr/bin/python3 tests/fuzz/gen_corpus.py
"""
import datetime
import glob
import hashlib
import json
import os
import re
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "tests", "fuzz", "corpus")
KEY = b"fuzz-key-0123456789abcdef"  # fuzz_frames.c's KEY
SEP = b"\xff"
DELIM = b"<IDS|MSG>"


def write(sub, name, data):
    d = os.path.join(OUT, sub)
    os.makedirs(d, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:80]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---- frames ------------------------------------------------------------------------

def messages():
    shell = [
        ("kernel_info_request", {}),
        ("execute_request", {"code": "x = 1 + 2\nprint(x)", "silent": False, "store_history": True,
                             "user_expressions": {"y": "x * 2"}, "allow_stdin": False, "stop_on_error": True}),
        ("execute_request", {"code": "!boom", "silent": False, "store_history": True,
                             "user_expressions": {}, "allow_stdin": True, "stop_on_error": True}),
        ("execute_request", {"code": "", "silent": True, "store_history": False}),
        ("complete_request", {"code": "pri", "cursor_pos": 3}),
        ("complete_request", {"code": "x = zer", "cursor_pos": 999}),
        ("inspect_request", {"code": "print", "cursor_pos": 2, "detail_level": 1}),
        ("is_complete_request", {"code": "for i in range(3):"}),
        ("history_request", {"output": False, "raw": True, "hist_access_type": "tail", "n": 10}),
        ("history_request", {"output": True, "raw": True, "hist_access_type": "range", "session": 0,
                             "start": 1, "stop": 5}),
        ("history_request", {"output": False, "raw": True, "hist_access_type": "search", "pattern": "x*",
                             "unique": True, "n": 3}),
        ("comm_info_request", {"target_name": "jupyter.widget"}),
        ("comm_open", {"comm_id": "c1", "target_name": "t", "data": {}}),
        ("comm_msg", {"comm_id": "c1", "data": {"a": 1}}),
        ("comm_close", {"comm_id": "c1", "data": {}}),
        ("connect_request", {}),
        ("no_such_request", {"what": "ever"}),
    ]
    control = [
        ("interrupt_request", {}),
        ("shutdown_request", {"restart": False}),
        ("kernel_info_request", {}),
        ("debug_request", {"seq": 1, "type": "request", "command": "initialize"}),
    ]
    return shell, control


def frames_corpus():
    from jupyter_client.session import Session

    signed = Session(key=KEY, username="fuzz", session="0" * 32)
    unsigned = Session(key=b"", username="fuzz", session="1" * 32)
    shell, control = messages()
    date = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)

    def build(session, mtype, content, n, idents=(b"client-1",), buffers=()):
        msg = session.msg(mtype, content)
        msg["header"]["msg_id"] = "m%04d" % n
        msg["header"]["date"] = date
        frames = session.serialize(msg, ident=list(idents))
        return frames + list(buffers)

    n = 0
    for ch, msgs in (("shell", shell), ("control", control)):
        for mtype, content in msgs:
            n += 1
            fs = build(unsigned, mtype, content, n)
            write("frames", f"unsigned-{ch}-{mtype}-{n}", b"\x00" + SEP.join(fs))
            fs = build(signed, mtype, content, n)
            write("frames", f"signed-{ch}-{mtype}-{n}", b"\x01" + SEP.join(fs))
            write("frames", f"resign-{ch}-{mtype}-{n}", b"\x02" + SEP.join(fs))
            write("frames", f"replay-{ch}-{mtype}-{n}", b"\x03" + SEP.join(fs))
            fs = build(unsigned, mtype, content, n)
            write("frames", f"dispatch-{ch}-{mtype}-{n}", (b"\x05" if ch == "shell" else b"\x0d") + SEP.join(fs))
    # odd shapes
    fs = build(unsigned, "execute_request", {"code": "1"}, 900, idents=(), buffers=(b"\x00\x01\x02", b""))
    write("frames", "unsigned-noident-buffers", b"\x00" + SEP.join(fs))
    fs = build(unsigned, "execute_request", {"code": "1"}, 901, idents=(b"a", b"b", b"c"))
    write("frames", "dispatch-three-idents", b"\x05" + SEP.join(fs))
    write("frames", "too-few", b"\x00" + SEP.join([DELIM, b"", b"{}"]))
    write("frames", "no-delim", b"\x00" + SEP.join([b"a", b"b", b"c", b"d", b"e", b"f"]))
    write("frames", "verify-empty", b"\x04")
    write("frames", "verify-text", b"\x04" + b'{"msg_type":"execute_request"}{}{}{"code":"1"}')
    hdr = json.dumps({"msg_id": "u", "msg_type": "execute_request", "session": "s", "username": "u",
                      "date": "2024-01-01T00:00:00Z", "version": "5.3"}).encode()
    write("frames", "unicode-content",
          b"\x00" + SEP.join([DELIM, b"", hdr, b"{}", b"{}", '{"code": "print(\\"é ✓ \\ud83d\\ude00\\")"}'.encode()]))
    write("frames", "bad-utf8-content", b"\x00" + SEP.join([DELIM, b"", hdr, b"{}", b"{}", b'{"code": "\xc3("}']))


# ---- connection files ----------------------------------------------------------------

def conn_corpus():
    base = {"shell_port": 50001, "iopub_port": 50002, "stdin_port": 50003, "control_port": 50004,
            "hb_port": 50005, "ip": "127.0.0.1", "key": "a0436f6c-1916-498b-8eb9-e81ab9368e84",
            "transport": "tcp", "signature_scheme": "hmac-sha256", "kernel_name": "cgpu"}
    try:
        from jupyter_client.connect import write_connection_file
        import tempfile
        fd, path = tempfile.mkstemp(suffix=".json")
        os.close(fd)
        write_connection_file(path, ip="127.0.0.1", key=b"a0436f6c-1916-498b-8eb9-e81ab9368e84",
                              shell_port=50001, iopub_port=50002, stdin_port=50003, hb_port=50005,
                              control_port=50004, transport="tcp", signature_scheme="hmac-sha256",
                              kernel_name="cgpu")
        with open(path, "rb") as f:
            write("conn", "jupyter_client-tcp", f.read())
        os.unlink(path)
    except Exception as e:  # jupyter_client is optional here
        print("gen_corpus: jupyter_client connection file skipped:", e, file=sys.stderr)
    variants = {
        "tcp": {},
        "ipc": {"transport": "ipc", "ip": "/tmp/kernel-abc"},
        "ipv6": {"ip": "::1"},
        "ipv6-bracket": {"ip": "[::1]"},
        "any": {"ip": "0.0.0.0"},
        "empty-key": {"key": ""},
        "sha512": {"signature_scheme": "hmac-sha512"},
        "blake2b": {"signature_scheme": "hmac-blake2b"},
        "unknown-scheme": {"signature_scheme": "hmac-nothing"},
        "null-scheme": {"signature_scheme": None},
        "udp": {"transport": "udp"},
        "port-zero": {"hb_port": 0},
        "port-big": {"shell_port": 70000},
        "port-string": {"shell_port": "50001"},
        "key-unicode": {"key": "clé-✓"},
    }
    for name, change in variants.items():
        d = dict(base)
        d.update(change)
        write("conn", name, json.dumps(d, indent=1).encode())
    d = dict(base)
    del d["key"], d["signature_scheme"], d["transport"]
    write("conn", "minimal", json.dumps(d).encode())
    write("conn", "array", b"[1, 2, 3]")
    write("conn", "truncated", json.dumps(base).encode()[:60])


# ---- language -------------------------------------------------------------------------

def lang_corpus():
    for nb in sorted(glob.glob(os.path.join(ROOT, "notebooks", "*.ipynb"))):
        with open(nb, encoding="utf-8") as f:
            cells = [c for c in json.load(f)["cells"] if c["cell_type"] == "code"]
        srcs = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in cells]
        name = os.path.splitext(os.path.basename(nb))[0]
        # whole notebook (up to the harness's 16 cells) and each cell alone
        write("lang", f"nb-{name}", "\0".join(srcs[:16]).encode())
        for i, s in enumerate(srcs):
            write("lang", f"nb-{name}-{i:02d}", s.encode())
    for cgt in sorted(glob.glob(os.path.join(ROOT, "tests", "lang", "*.cgt"))):
        name = os.path.splitext(os.path.basename(cgt))[0]
        with open(cgt, encoding="utf-8") as f:
            text = f.read()
        cases = re.split(r"^### .*$", text, flags=re.M)[1:]
        for i, case in enumerate(cases):
            code = case.split("\n---\n")[0].strip("\n")
            if code:
                write("lang", f"cgt-{name}-{i:02d}", code.encode())
    extra = {
        "deep-recursion": "def f(n):\n    return f(n + 1)\nf(0)",
        "deep-nesting": "x = " + "(" * 200 + "1" + ")" * 200,
        "loop-forever": "while True:\n    pass",
        "big-array": "a = zeros((1 << 40,))",
        "big-list": "xs = [0] * (1 << 40)",
        "string-repeat": "s = 'ab' * (1 << 30)",
        "unicode": "s = 'é✓😀'\nprint(s[1:], len(s), s.upper())",
        "fstring": "x = 3.14159\nprint(f'{x:.2f} {x!r} {x:>10}')",
        "dict-cycle": "d = {}\nd['self'] = d\nprint(d)",
        "list-cycle": "a = []\na.append(a)\nprint(a)",
        "input": "name = input('name? ')\nprint(name)",
        "magics": "%time x = sum(range(1000))\n%who",
        "matmul": "a = ones((64, 64))\nb = a @ a\nprint(b.sum())",
        "fit": ("model = Sequential([Dense(1, input_shape=[1])])\n"
                "model.compile(loss='mean_squared_error', optimizer=Adam(0.1))\n"
                "h = model.fit(array([1.0, 2.0, 3.0]), array([2.0, 4.0, 6.0]), epochs=5, verbose=0)\n"
                "print(model.predict(array([4.0])))"),
    }
    for name, code in extra.items():
        write("lang", f"x-{name}", code.encode())


def lang_dict():
    """tests/fuzz/lang.dict: keywords, operators, builtins (from the language's own list)."""
    words = ["def", "return", "if", "elif", "else", "for", "in", "while", "break", "continue", "pass",
             "lambda", "and", "or", "not", "is", "None", "True", "False", "with", "as", "del",
             "global", "nonlocal", "try", "except", "finally", "raise", "import", "from", "class",
             "assert", "yield"]
    ops = ["+", "-", "*", "/", "//", "%", "**", "@", "==", "!=", "<=", ">=", "<<", ">>", "&", "|",
           "^", "~", "+=", "-=", "*=", "/=", "=", ":", ",", ".", "(", ")", "[", "]", "{", "}",
           "\\x0a    ", "\\x0a", "'", "\\\"", "f'", "#", "...", "%time ", "%%time\\x0a", "%who", "\\x00",
           "1e308", "-1", "0x7fffffff", "2**63", "1<<62", "3.5", "nan", "inf"]
    names = set()
    pat = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\s*\(")
    for src in glob.glob(os.path.join(ROOT, "tests", "lang", "*.cgt")) + \
            glob.glob(os.path.join(ROOT, "notebooks", "*.ipynb")):
        with open(src, encoding="utf-8") as f:
            names.update(pat.findall(f.read()))
    names -= set(words)
    lines = ["# Language dictionary for fuzz_lang (generated by gen_corpus.py)."]
    for w in words + sorted(names):
        lines.append(f'"{w}"')
    for o in ops:
        lines.append(f'"{o}"')
    with open(os.path.join(ROOT, "tests", "fuzz", "lang.dict"), "w") as f:
        f.write("\n".join(lines) + "\n")


def frames_dict():
    lines = ["# Protocol dictionary for fuzz_frames (generated by gen_corpus.py)."]
    for w in ["<IDS|MSG>", "\\xff", "msg_type", "msg_id", "execute_request", "kernel_info_request",
              "complete_request", "inspect_request", "is_complete_request", "history_request",
              "shutdown_request", "interrupt_request", "comm_open", "comm_msg", "comm_info_request",
              "input_reply", "code", "cursor_pos", "silent", "store_history", "user_expressions",
              "allow_stdin", "stop_on_error", "restart", "header", "parent_header", "content",
              "session", "username", "version", "5.3", "date", "{}", "[]", "null", "true", "\\\"",
              "\\\\u0000", "\\\\ud800"]:
        lines.append(f'"{w}"')
    with open(os.path.join(ROOT, "tests", "fuzz", "frames.dict"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    frames_corpus()
    conn_corpus()
    lang_corpus()
    lang_dict()
    frames_dict()
    for sub in ("frames", "conn", "lang"):
        print(sub, len(os.listdir(os.path.join(OUT, sub))), "seeds")
