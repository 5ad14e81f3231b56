"""Differential test of the language against CPython.

Generates random programs (gen_lang.py), runs them in C-GPU (many programs
per `cgpu-kernel exec --allow-errors` process, one cell each) and in this
Python (each in a fresh namespace), and compares stdout exactly and, when
Python raises, the error type (C-GPU's type must be Python's or one of its
bases, so UnboundLocalError matches NameError). A program whose outcome
differs only by a documented difference (DOCUMENTED, each pointing at its
line in kernel/lang/REFERENCE.md) is counted as skipped. Every other
divergence is shrunk (statements and lines dropped while it remains) and
printed as a one-cell repro.

  lang_diff.py --seed S --count N [--bin build/cgpu-kernel] [--max-report K]

Ends with "N passed, N failed, N skipped" (programs); exit status 1 when
any failed.
"""
import argparse
import contextlib
import io
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_lang  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REFERENCE = os.path.join(ROOT, 'kernel', 'lang', 'REFERENCE.md')
MARK = '<<<cell {}>>>'
MARK_RE = re.compile(r'^<<<cell (\d+)>>>$')


# ---- documented differences ----------------------------------------------------------
# (name, text of the REFERENCE.md line that documents it, test(py, cg) -> bool)
# py and cg are Outcome objects; a program matching one is counted as skipped.

def _int_overflow(py, cg):
    # Python goes on with a big int where C-GPU stops (or a handler prints the error)
    return ('integer overflow' in cg.msg and cg.err == 'ValueError' and py.out.startswith(cg.out)) or \
        ('integer overflow' in cg.out and 'integer overflow' not in py.out)


def _no_complex(py, cg):
    return cg.err == 'ValueError' and 'would be complex' in cg.msg and py.out.startswith(cg.out)


DOCUMENTED = [
    ('64-bit ints', '**Integers are 64-bit.**', _int_overflow),
    ('no complex numbers', 'No complex numbers', _no_complex),
]


def reference_lines():
    """Line number in REFERENCE.md of each documented difference (checked, so
    a difference cannot outlive its documentation)."""
    text = open(REFERENCE, encoding='utf-8').read().splitlines()
    out = {}
    for name, needle, _ in DOCUMENTED:
        hits = [i + 1 for i, line in enumerate(text) if needle in line]
        if not hits:
            sys.exit(f'lang_diff: documented difference {name!r} is not in REFERENCE.md ({needle!r})')
        out[name] = hits[0]
    return out


# ---- running -------------------------------------------------------------------------

class Outcome:
    def __init__(self, out, err=None, msg='', mro=()):
        self.out, self.err, self.msg, self.mro = out, err, msg, mro

    def __repr__(self):
        e = f'  error: {self.err}: {self.msg}' if self.err else '  no error'
        out = repr(self.out)
        if len(out) > 2000:
            out = out[:2000] + f'... ({len(self.out)} characters)'
        return f'  stdout: {out}\n{e}'


PY_SECONDS = 5   # a program that runs longer (a list doubling in nested loops) is skipped


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout()


def run_python(src):
    buf = io.StringIO()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            code = compile(src, '<cell>', 'exec')
    except SyntaxError as e:
        return Outcome('', 'SyntaxError', str(e), ('SyntaxError', 'Exception'))
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(PY_SECONDS)
    try:
        with contextlib.redirect_stdout(buf):
            exec(code, {'__builtins__': __builtins__})
        return Outcome(buf.getvalue())
    except _Timeout:
        return Outcome(buf.getvalue()[:1000], 'Timeout', f'python took over {PY_SECONDS} s')
    except BaseException as e:  # noqa: B902 - every error is a result here
        return Outcome(buf.getvalue(), type(e).__name__, str(e), tuple(c.__name__ for c in type(e).__mro__))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


ERR_HEAD = re.compile(r'^cgpu-kernel exec: error in .*?(?:, cell (\d+) \(line \d+\))?:$')
ERR_LINE = re.compile(r'^([A-Za-z_]\w*(?:Error|Interrupt|Exception))(?:: (.*))?$')


def _parse_errors(stderr):
    """cell number (1-based) -> (type, message) from exec's stderr."""
    errs, cur, block = {}, None, []

    def close():
        for line in reversed(block):
            m = ERR_LINE.match(line)
            if m:   # the last such line: a message may span lines
                errs[cur] = (m.group(1), m.group(2) or '')
                return
        errs[cur] = ('?', '\n'.join(block[-3:]))

    for line in stderr.splitlines():
        m = ERR_HEAD.match(line)
        if m:
            if cur is not None:
                close()
            cur, block = int(m.group(1) or 1), []
        elif cur is not None:
            block.append(line)
    if cur is not None:
        close()
    return errs


def run_cgpu(binary, sources, timeout=20):
    """Outcome of each source, run as consecutive cells of one process;
    a crash or a timeout restarts the process after the cell that caused it."""
    results = [None] * len(sources)
    start = 0
    while start < len(sources):
        with tempfile.NamedTemporaryFile('w', suffix='.cg', delete=False, encoding='utf-8') as f:
            for i in range(start, len(sources)):
                f.write(f'# %%\nprint({MARK.format(i)!r})\n{sources[i]}\n')
            path = f.name
        try:
            p = subprocess.run([binary, 'exec', path, '--allow-errors', '--timeout', str(timeout)],
                               capture_output=True, timeout=timeout * 4 + 60)
            stdout, stderr, rc = p.stdout, p.stderr, p.returncode
        except subprocess.TimeoutExpired as e:
            stdout, stderr, rc = e.stdout or b'', e.stderr or b'', -999
        finally:
            os.unlink(path)
        stdout = stdout.decode('utf-8', 'replace')
        errs = _parse_errors(stderr.decode('utf-8', 'replace'))
        chunks, cur = {}, None
        for line in stdout.splitlines(keepends=True):
            m = MARK_RE.match(line.rstrip('\n'))
            if m:
                cur = int(m.group(1))
                chunks[cur] = []
            elif cur is not None:
                chunks[cur].append(line)
        last = max(chunks) if chunks else start - 1
        timed_out = any(e[0] == 'KeyboardInterrupt' for e in errs.values())
        complete = rc in (0, 1) and not timed_out
        for i in range(start, len(sources) if complete else last + 1):
            out = ''.join(chunks.get(i, []))
            if i in chunks:
                err = errs.get(i - start + 1)
                results[i] = Outcome(out, err[0], err[1]) if err else Outcome(out)
            else:  # no marker: the cell did not parse
                err = errs.get(i - start + 1, ('?', 'no output'))
                results[i] = Outcome('', err[0], err[1])
        # A crash, or a timeout (which stops exec), ends the process early:
        # blame the last cell that started and go on after it.
        if complete:
            break
        bad = max(last, start)
        results[bad] = Outcome(''.join(chunks.get(bad, [])), 'Crash' if not timed_out else 'Timeout',
                               f'exit status {rc}')
        start = bad + 1
    return results


def diverges(py, cg):
    if py.out != cg.out:
        return True
    if py.err is None:
        return cg.err is not None
    return cg.err not in py.mro


def documented(py, cg):
    if py.err == 'Timeout':
        return 'too slow for a test (Python took over %d s)' % PY_SECONDS
    for name, _, test in DOCUMENTED:
        if test(py, cg):
            return name
    return None


def classify(binary, src):
    py = run_python(src)
    cg = run_cgpu(binary, [src])[0]
    if not diverges(py, cg):
        return 'pass', py, cg
    return ('skip:' + documented(py, cg)) if documented(py, cg) else 'fail', py, cg


def _indent(line):
    return len(line) - len(line.lstrip(' '))


def _line_cuts(lines, i):
    """Smaller programs around line i: without the line and its block,
    without the line (its block dedented, for a compound statement), or
    without just the line."""
    line = lines[i]
    if line.rstrip().endswith(':'):
        j = i + 1
        while j < len(lines) and _indent(lines[j]) > _indent(line):
            j += 1
        yield lines[:i] + lines[j:]
        yield lines[:i] + [ln[4:] for ln in lines[i + 1:j]] + lines[j:]
    yield lines[:i] + lines[i + 1:]


def signature(py, cg):
    return py.out == cg.out, py.err is None or cg.err in py.mro


def shrink(binary, stmts, sig):
    """Drops top-level statements, then single lines, while the program
    still diverges outside the documented list in the same way (sig)."""
    def bad(lines_or_stmts):
        src = '\n'.join(lines_or_stmts)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                compile(src, '<cell>', 'exec')
        except SyntaxError:
            if sig[0] != 'SyntaxError':
                return False
        kind, py, cg = classify(binary, src)
        return kind == 'fail' and signature(py, cg) == sig

    cur = list(stmts)
    i = 0
    while i < len(cur):
        trial = cur[:i] + cur[i + 1:]
        if trial and bad(trial):
            cur = trial
        else:
            i += 1
    lines = '\n'.join(cur).split('\n')
    changed = True
    while changed:
        changed = False
        i = 0
        while i < len(lines):
            for trial in _line_cuts(lines, i):
                if trial and bad(trial):
                    lines, changed = trial, True
                    break
            else:
                i += 1
    return '\n'.join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--seed', default='1')
    ap.add_argument('--count', type=int, default=500)
    ap.add_argument('--bin', default=os.path.join(ROOT, os.environ.get('BUILD', 'build'), 'cgpu-kernel'))
    ap.add_argument('--max-report', type=int, default=10, help='divergences shrunk and printed')
    ap.add_argument('--batch', type=int, default=500, help='programs per C-GPU process')
    args = ap.parse_args()
    if not os.access(args.bin, os.X_OK):
        print(f'lang_diff: {args.bin} is missing (run make first)')
        print('0 passed, 1 failed, 0 skipped')
        return 1
    lines = reference_lines()

    passed = failed = 0
    skipped = {}
    reported = 0
    for b0 in range(0, args.count, args.batch):
        idx = list(range(b0, min(args.count, b0 + args.batch)))
        progs = [gen_lang.generate(random.Random(f'{args.seed}:{i}')) for i in idx]
        srcs = ['\n'.join(p) for p in progs]
        cgs = run_cgpu(args.bin, srcs)
        for i, prog, src, cg in zip(idx, progs, srcs, cgs):
            py = run_python(src)
            if not diverges(py, cg):
                passed += 1
                continue
            doc = documented(py, cg)
            if doc:
                skipped[doc] = skipped.get(doc, 0) + 1
                continue
            failed += 1
            if reported >= args.max_report:
                continue
            reported += 1
            small = shrink(args.bin, prog, signature(py, cg))
            kind, spy, scg = classify(args.bin, small)
            print(f'DIVERGENCE seed {args.seed} program {i} (shrunk from {len(src.splitlines())} lines):')
            print('# %%\n' + small)
            print('python:\n' + repr(spy))
            print('c-gpu:\n' + repr(scg))
            print()
    if skipped:
        for name, n in sorted(skipped.items()):
            where = f' (kernel/lang/REFERENCE.md line {lines[name]})' if name in lines else ''
            print(f'skipped {n}: {name}{where}')
    if failed > reported:
        print(f'({failed - reported} more divergences not shrunk; --max-report raises the limit)')
    nskip = sum(skipped.values())
    print(f'lang_diff seed {args.seed}: {args.count} programs')
    print(f'{passed} passed, {failed} failed, {nskip} skipped')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
