"""Random programs in the common subset of C-GPU and Python (host values only):
numbers, strings and their methods, f-strings, str.format and % formatting,
lists/tuples/dicts and their methods, comprehensions, functions with
defaults, *args, keywords and closures, globals, control flow, try/except,
and the errors these raise.

generate(rng) returns a program as a list of top-level statements (each a
string, possibly several lines). Every program terminates quickly in both
languages: loops are bounded by literals or by the length of a container,
repetition counts and exponents are small literals, and a name is read only
after an assignment that certainly ran. Values come from pools that stay
inside the documented subset (case mapping in the covered scripts, 64-bit
ints most of the time); whatever leaves it at run time (an int growing past
64 bits) is recognised by the harness's list of documented differences.
"""
import random

INT_POOL = [0, 1, 2, 3, -1, -2, 5, 7, 10, -7, 13, 100, 255, -128, 2**31, 10**9, 2**62]
FLOAT_POOL = ['0.0', '-0.0', '1.5', '-2.5', '0.1', '1/3', '2.0', '-9.0', '1e16', '1e-7',
              '3.14159', '123456.789', '-0.5', '1e300', '2.5e-5', "float('inf')",
              "float('-inf')", "float('nan')", '7.0', '0.30000000000000004', '1e22']
STR_POOL = ["''", "'a'", "'abc'", "'Hello World'", "' a b  '", "'x,y,,z'", "'héllo'",
            "'ÉCOLE été'", "'straße'", "'ΣΊΣΥΦΟΣ'", "'Привет мир'", "'ŉ'", "'ǅungla'",
            "'123'", "'-42'", "' 3.5 '", "'1_000'", "'0x1f'", "'a\\tb\\nc'", "'ab\\r\\ncd'",
            "'MiXeD cAsE'", "'  '", "'é'", "'aaa'", "'1e3'", "'title case here'",
            "'don\\'t'", "'say \"hi\"'", "'\\u00a0x'", "'\\u200b'", "'\\xad'", "'ǈ'",
            "'İ'", "'ﬁ'", "'éa'", "'nan'", "'-inf'", "'0b11'", "'0o17'", "'1__0'", "'٣'"]
NUM_STRS = ["'12'", "' -7 '", "'+3'", "'1_000'", "'1__0'", "'0x10'", "'0o17'", "'0b11'",
            "'1e3'", "'1_000.5'", "'inf'", "'-Infinity'", "'nan'", "'3.'", "'.5'", "'abc'",
            "''", "'1.5e-3'", "'0'", "'00'", "'٣'", "' 1 2 '", "'12_'", "'_12'"]
PERCENT_FORMATS = ['%d|%.2f|%s', '%5d %-8.3f %r', '%x %e %10s', '%+d %g %.2s', '%o|%G|%-5s|%%',
                   '%05d %.0f %s', '%i %10.4f %s']
FMT_SPECS = ['', '>6', '<6', '^7', '*^9', '+', ' ', '08.3f', '.2f', '.0f', '.3e', '.4g', 'g',
             ',', '_', '.1%', '>+10.2f', 'e', '#x', 'x', 'o', 'b', '#b', '05d', 'd', ',.2f',
             '=+8', '.3', '10.4', '-^11', '.5s', '>4s', 'X', '#o', 'n', '%', 'E', 'G', '.0e']
INT_SPECS = {'', '>6', '<6', '^7', '*^9', '+', ' ', ',', '_', '#x', 'x', 'o', 'b', '#b',
             '05d', 'd', '=+8', '-^11', 'X', '#o', 'n', '08.3f', '.2f', '.0f', '.3e',
             '.4g', 'g', '.1%', '>+10.2f', 'e', ',.2f', '.3', '10.4', '%', 'E', 'G', '.0e'}
FLOAT_SPECS = {'', '>6', '<6', '^7', '*^9', '+', ' ', '08.3f', '.2f', '.0f', '.3e', '.4g',
               'g', ',', '_', '.1%', '>+10.2f', 'e', ',.2f', '=+8', '.3', '10.4', '-^11',
               'n', '%', 'E', 'G', '.0e'}
STR_SPECS = {'', '>6', '<6', '^7', '*^9', '.5s', '>4s', '-^11'}
STR_METHODS_STR = ['upper()', 'lower()', 'title()', 'capitalize()', 'swapcase()', 'strip()',
                   'lstrip()', 'rstrip()', "strip('a ')", 'zfill(6)', "center(9, '*')",
                   'ljust(7)', "rjust(7, '.')",
                   "replace('a', 'XY')", "replace('', '-')", "replace('l', '', 1)",
                   "lstrip('hé')"]
STR_METHODS_INT = ["find('a')", "rfind('l')", "count('a')", "count('')", "find('')"]
STR_METHODS_BOOL = ['isdigit()', 'isalpha()', 'isalnum()', 'isspace()', 'isupper()',
                    'islower()', "startswith('a')", "endswith('o')", "startswith('')"]
STR_METHODS_LIST = ['split()', "split(',')", 'split(None, 1)', "split(' ')", 'splitlines()',
                    "split('a', 1)", "split(',', 2)"]


class Gen:
    def __init__(self, rng):
        self.r = rng
        self.vars = {}          # name -> type, definitely assigned at this point
        self.funcs = {}         # name -> (nparams_required, nparams_max, star)
        self.nvar = 0
        self.depth = 0
        self.frozen = set()     # while-loop counters: never assigned in the body

    # ---- helpers -------------------------------------------------------------------
    def pick(self, xs):
        return self.r.choice(xs)

    def chance(self, p):
        return self.r.random() < p

    def var_of(self, t, assignable=False):
        names = [n for n, ty in self.vars.items() if ty == t and not (assignable and n in self.frozen)]
        return self.pick(names) if names else None

    def fresh(self, prefix='v'):
        self.nvar += 1
        return f'{prefix}{self.nvar}'

    # ---- expressions by type -------------------------------------------------------
    def expr(self, t, d=0):
        v = self.var_of(t)
        if v and self.chance(0.4):
            return v
        if d > 2 or self.chance(0.25):
            return self.leaf(t)
        return getattr(self, 'e_' + t)(d + 1)

    def leaf(self, t):
        v = self.var_of(t)
        if v and self.chance(0.5):
            return v
        if t == 'int':
            return str(self.pick(INT_POOL)) if self.chance(0.8) else f'({self.pick(INT_POOL)})'
        if t == 'float':
            return self.pick(FLOAT_POOL)
        if t == 'bool':
            return self.pick(['True', 'False'])
        if t == 'str':
            return self.pick(STR_POOL)
        if t == 'list':
            n = self.r.randint(0, 4)
            return '[' + ', '.join(self.leaf(self.pick(['int', 'int', 'str', 'float']))
                                   for _ in range(n)) + ']'
        if t == 'ilist':
            n = self.r.randint(0, 5)
            return '[' + ', '.join(str(self.r.randint(-5, 9)) for _ in range(n)) + ']'
        if t == 'tuple':
            n = self.r.randint(0, 3)
            items = [self.leaf(self.pick(['int', 'str'])) for _ in range(n)]
            return '(' + ', '.join(items) + (',)' if n == 1 else ')')
        if t == 'dict':
            n = self.r.randint(0, 3)
            keys = self.r.sample(["'a'", "'b'", "'k'", "'zz'", "'é'"], n)
            return '{' + ', '.join(f'{k}: {self.leaf("int")}' for k in keys) + '}'
        if t == 'none':
            return 'None'
        raise ValueError(t)

    def literal_ilist(self):
        return '[' + ', '.join(str(self.r.randint(-5, 9)) for _ in range(self.r.randint(0, 3))) + ']'

    def e_int(self, d):
        c = self.r.randint(0, 17)
        a = lambda: self.expr('int', d)
        if c == 0:
            return f'({a()} {self.pick(["+", "-", "*"])} {a()})'
        if c == 1:
            return f'({a()} {self.pick(["//", "%"])} {a()})'
        if c == 2:
            return f'({a()} {self.pick(["&", "|", "^", "<<", ">>"])} {self.r.randint(0, 5)})'
        if c == 3:
            return f'({a()} ** {self.r.randint(0, 3)})'
        if c == 4:
            return f'len({self.expr(self.pick(["str", "list", "ilist", "tuple", "dict"]), d)})'
        if c == 5:
            return f'{self.expr("str", d)}.{self.pick(STR_METHODS_INT)}'
        if c == 6:
            return f'int({self.expr("float", d)})'
        if c == 7:
            base = self.pick(['', '', ', 0', ', 16', ', 8', ', 2', ', 36'])
            return f'int({self.pick(NUM_STRS)}{base})'
        if c == 8:
            return f'{self.pick(["abs", "-", "~", "+"])}({a()})'
        if c == 9:
            return f'round({self.expr("float", d)})'
        if c == 10:
            if self.chance(0.4):
                fn = self.pick(['max', 'min'])
                return self.pick([f'{fn}({self.expr("ilist", d)}, default={a()})',
                                  f'{fn}({self.expr("ilist", d)}, key=abs)',
                                  f'{fn}({a()}, {a()}, key=lambda q: -q)',
                                  f'{fn}({self.expr("ilist", d)}, key=lambda q: q % 3, default=0)'])
            return f'{self.pick(["sum", "max", "min", "len"])}({self.expr("ilist", d)})'
        if c == 11:
            return f'{self.expr("ilist", d)}[{a()}]'
        if c == 12:
            k = self.pick(["'a'", "'b'", "'k'"])
            return f'{self.expr("dict", d)}[{k}]'
        if c == 13:
            k = self.pick(["'a'", "'q'"])
            return f'{self.expr("dict", d)}.get({k}, {a()})'
        if c == 14:
            return f'ord({self.expr("str", d)}[0])' if self.chance(0.5) else f"ord('ß')"
        if c == 15:
            return f'({a()} if {self.expr("bool", d)} else {a()})'
        if c == 16:
            return f'{self.expr("ilist", d)}.{self.pick(["index", "count"])}({a()})'
        fn = self.pick(list(self.funcs)) if self.funcs else None
        if fn:
            return self.call(fn, d)
        return f'divmod({a()}, {a()})[{self.r.randint(0, 1)}]'

    def call(self, fn, d):
        lo, hi, star, params = self.funcs[fn]
        if self.chance(0.08):   # a wrong number of arguments: TypeError
            n = self.pick([max(0, lo - 1), hi + 1]) if not star else max(0, lo - 1)
            return f'{fn}({", ".join(self.expr("int", d) for _ in range(n))})'
        n = self.r.randint(lo, hi + (2 if star else 0))
        args = [self.expr("int", d) for _ in range(n)]
        if not star and n < hi and self.chance(0.4):
            args.append(f'{params[hi - 1]}={self.expr("int", d)}')   # the defaulted parameter by keyword
        return f'{fn}({", ".join(args)})'

    def e_float(self, d):
        a = lambda: self.expr(self.pick(['float', 'float', 'int']), d)
        options = [lambda: f'({a()} {self.pick(["+", "-", "*", "/"])} {a()})',
                   lambda: f'({a()} {self.pick(["//", "%"])} {self.expr("float", d)})',
                   lambda: f'divmod({a()}, {self.expr("float", d)})[{self.r.randint(0, 1)}]',
                   lambda: f'float({self.pick(NUM_STRS)})',
                   lambda: f'round({self.expr("float", d)}, {self.r.randint(-2, 4)})',
                   lambda: f'({a()} ** {self.pick(["2", "0.5", "-1", "3", "0"])})',
                   lambda: f'abs({a()})',
                   lambda: f'({self.expr("int", d)} / {self.expr("int", d)})',
                   lambda: f'float({self.expr("int", d)})',
                   lambda: f'sum({self.expr("ilist", d)}, 0.5)',
                   lambda: f'max({a()}, {a()})']
        return self.pick(options)()

    def e_bool(self, d):
        c = self.r.randint(0, 8)
        if c == 0:
            t = self.pick(['int', 'float', 'str'])
            return f'({self.expr(t, d)} {self.pick(["<", "<=", "==", "!=", ">", ">="])} {self.expr(t, d)})'
        if c == 1:
            return f'({self.expr("bool", d)} {self.pick(["and", "or"])} {self.expr("bool", d)})'
        if c == 2:
            return f'(not {self.expr("bool", d)})'
        if c == 3:
            return f'{self.expr("str", d)}.{self.pick(STR_METHODS_BOOL)}'
        if c == 4:
            return f'({self.expr("int", d)} in {self.expr("ilist", d)})'
        if c == 5:
            return f'({self.expr("str", d)} in {self.expr("str", d)})'
        if c == 6:
            return f'bool({self.expr(self.pick(["int", "str", "list", "float"]), d)})'
        if c == 7:
            if self.chance(0.5):
                t = self.pick(['int', 'float', 'str', 'ilist', 'tuple', 'bool'])
                return f'isinstance({self.expr(t, d)}, {self.pick(["int", "float", "str", "list", "tuple", "dict", "bool", "(int, float)", "(str, list)"])})'
            return f'{self.pick(["any", "all"])}({self.expr("ilist", d)})'
        if self.chance(0.5):
            k = self.pick(["'a'", "'b'", "'q'"])
            return f'({k} in {self.expr("dict", d)})'
        return f'({self.pick(["1 < 2 < 3", "0 <= 5 < 3", "1 == 1.0", "None is None"])})'

    def e_str(self, d):
        c = self.r.randint(0, 14)
        s = lambda: self.expr('str', d)
        if c == 0:
            return f'({s()} + {s()})'
        if c == 1:
            return f'({s()} * {self.r.randint(-1, 3)})'
        if c == 2:
            return f'{s()}.{self.pick(STR_METHODS_STR)}'
        if c == 3:
            return f'{s()}[{self.pick(["1:3", "::-1", "::2", "-2:", ":-1", "5:1", "1:"])}]'
        if c == 4:
            return f'{self.pick(["str", "repr"])}({self.expr(self.pick(["int", "float", "str", "list", "tuple", "dict", "bool", "none"]), d)})'
        if c == 5:
            return self.fstring(d)
        if c == 6:
            sep = self.pick(['"-"', '", "', '""'])
            return f'{sep}.join({self.str_list(d)})'
        if c == 7:
            return f'format({self.fmt_value(d)})'
        if c == 8:
            return self.format_call(d)
        if c == 9:
            return f'{s()}[{self.expr("int", d)}]'
        if c == 10:
            return f'chr({self.pick(["65", "233", "946", "1078", "0x1F600", "10", "173", "160"])})'
        if c == 11:
            return f'{s()}.{self.pick(["upper", "lower", "title", "swapcase"])}()'
        if c == 12:
            sep = self.pick(['""', '"-"'])
            return f'{sep}.join(sorted({s()}))'
        if c == 13:
            return f'({s()} if {self.expr("bool", d)} else {s()})'
        return f'str({self.expr("float", d)})'

    def str_list(self, d):
        return self.pick([f'{self.expr("str", d)}.split()', f'[str(i) for i in {self.expr("ilist", d)}]',
                          f'list({self.expr("str", d)})', "['a', 'b']", f'{self.expr("str", d)}.split(",")'])

    def fmt_value(self, d):
        t = self.pick(['int', 'float', 'str'])
        specs = {'int': INT_SPECS, 'float': FLOAT_SPECS, 'str': STR_SPECS}[t]
        spec = self.pick(sorted(specs)) if self.chance(0.9) else self.pick(FMT_SPECS)
        return f'{self.expr(t, d)}, {spec!r}'

    def fstring(self, d):
        parts = []
        for _ in range(self.r.randint(1, 3)):
            t = self.pick(['int', 'float', 'str', 'list', 'bool'])
            e = self.leaf(t) if t != 'list' else self.pick(['[1, 2]', "{'k': 1}", '(1,)'])
            while '\\' in e or '"' in e:
                e = self.leaf(t)
            e = e.replace("'", '"')
            if e.startswith('{'):
                e = ' ' + e + ' '
            conv = self.pick(['', '', '!r', '!s']) if t != 'list' else ''
            spec = ''
            if t in ('int', 'float', 'str') and self.chance(0.6):
                spec = ':' + self.pick(sorted({'int': INT_SPECS, 'float': FLOAT_SPECS, 'str': STR_SPECS}[t]))
                if conv:
                    spec = ''
            eq = '=' if self.chance(0.1) and not e.startswith(' ') else ''
            parts.append(self.pick(['', 'x', ' | ', 'é:']) + '{' + e + eq + conv + spec + '}')
        if self.chance(0.2):
            parts.append('{{lit}}')
        return "f'" + ''.join(parts) + "'"

    def format_call(self, d):
        c = self.r.randint(0, 4)
        if c == 0:
            return f"'{{}} and {{}}'.format({self.expr('int', d)}, {self.expr('str', d)})"
        if c == 1:
            return f"'{{1}}-{{0}}-{{1}}'.format({self.expr('str', d)}, {self.expr('float', d)})"
        if c == 2:
            return f"'{{:>{{}}}}|'.format({self.expr('str', d)}, {self.r.randint(0, 8)})"
        if c == 3:
            return f"'{{name}}={{v:.2f}}'.format(name={self.expr('str', d)}, v={self.expr('float', d)})"
        return f"'{{0[1]}} {{0[0]}}'.format({self.expr('str', d)})"

    def e_list(self, d):
        options = [lambda: f'[{self.expr("int", d)}, {self.expr("str", d)}]',
                   lambda: f'({self.expr("list", d)} + {self.expr("list", d)})',
                   lambda: f'{self.expr("str", d)}.{self.pick(STR_METHODS_LIST)}',
                   lambda: f'list({self.expr(self.pick(["str", "tuple", "dict"]), d)})',
                   lambda: f'sorted({self.expr("dict", d)}.items())',
                   lambda: f'list(zip({self.expr("ilist", d)}, {self.expr("str", d)}))',
                   lambda: f'list(enumerate({self.expr("str", d)}, {self.r.randint(0, 2)}))']
        return self.pick(options)()

    def e_ilist(self, d):
        x = self.fresh('i')
        options = [lambda: f'[{x} * {x} for {x} in {self.expr("ilist", d)} if {x} % 2 == 0]',
                   lambda: f'sorted({self.expr("ilist", d)}{self.pick(["", ", reverse=True", ", key=abs", ", key=lambda q: -q"])})',
                   lambda: f'list(range({self.r.randint(-3, 6)}, {self.r.randint(-3, 9)}, {self.pick([1, 2, -1, 3])}))',
                   lambda: f'{self.expr("ilist", d)}[{self.pick(["1:3", "::-1", "::2", "-2:", ":-1", "5:1"])}]',
                   lambda: f'({self.expr("ilist", d)} + {self.expr("ilist", d)})',
                   lambda: f'({self.expr("ilist", d)} * {self.r.randint(0, 2)})',
                   lambda: f'list(map(lambda {x}: {x} + 1, {self.expr("ilist", d)}))',
                   lambda: f'list(filter(lambda {x}: {x} > 0, {self.expr("ilist", d)}))',
                   lambda: f'[len({x}) for {x} in {self.expr("str", d)}.split()]',
                   lambda: f'list(reversed({self.expr("ilist", d)}))']
        return self.pick(options)()

    def e_tuple(self, d):
        options = [lambda: f'({self.expr("int", d)}, {self.expr("str", d)})',
                   lambda: f'tuple({self.expr("ilist", d)})',
                   lambda: f'divmod({self.expr(self.pick(["int", "float"]), d)}, {self.expr(self.pick(["int", "float"]), d)})',
                   lambda: f'{self.expr("tuple", d)}[{self.pick(["1:", "::-1", ":1"])}]']
        return self.pick(options)()

    def e_dict(self, d):
        x = self.fresh('k')
        options = [lambda: f'{{{x}: len({x}) for {x} in {self.expr("str", d)}.split()}}',
                   lambda: f'dict(zip({self.expr("str", d)}, {self.expr("ilist", d)}))',
                   lambda: f'dict({self.expr("dict", d)}, z={self.expr("int", d)})',
                   lambda: f'dict([("a", 1), ("b", {self.expr("int", d)})])']
        return self.pick(options)()

    def e_none(self, d):
        return 'None'

    # ---- statements ----------------------------------------------------------------
    def stmt(self, ind=0):
        r = self.r.random()
        pad = '    ' * ind
        if r < 0.30 or self.depth > 1:
            return self.simple(pad)
        self.depth += 1
        try:
            if r < 0.45:
                return self.s_if(ind)
            if r < 0.60:
                return self.s_for(ind)
            if r < 0.68:
                return self.s_while(ind)
            if r < 0.85 and ind == 0:
                return self.s_def(ind)
            return self.simple(pad)
        finally:
            self.depth -= 1

    def block(self, ind, n=None):
        saved = dict(self.vars)
        lines = [self.stmt(ind) for _ in range(n or self.r.randint(1, 3))]
        self.vars = saved          # assignments inside a branch are not certain
        return '\n'.join(lines)

    def printable(self):
        t = self.pick(['int', 'float', 'str', 'bool', 'list', 'ilist', 'tuple', 'dict', 'none'])
        e = self.expr(t)
        return self.pick([e, e, f'repr({e})']) if t == 'str' else e

    def simple(self, pad):
        c = self.r.randint(0, 12)
        if c == 12:
            return self.misc(pad)
        if c <= 2:
            args = ', '.join(self.printable() for _ in range(self.r.randint(1, 3)))
            extra = self.pick(['', '', ", sep='|'", ", end='!\\n'", ", sep=''"])
            return f'{pad}print({args}{extra})'
        if c <= 5:
            t = self.pick(['int', 'float', 'str', 'ilist', 'list', 'dict', 'tuple', 'bool'])
            v = self.var_of(t, True) if self.chance(0.3) else None
            v = v or self.fresh()
            e = self.expr(t)
            self.vars[v] = t
            return f'{pad}{v} = {e}'
        if c == 6:
            v = self.var_of('ilist', True)
            if not v:
                v, e = self.fresh(), self.leaf('ilist')
                self.vars[v] = 'ilist'
                return f'{pad}{v} = {e}'
            m = self.pick([f'append({self.expr("int")})', f'extend({self.literal_ilist()})',
                           f'insert({self.expr("int")}, {self.expr("int")})', 'pop()',
                           f'pop({self.expr("int")})', f'remove({self.expr("int")})', 'sort()',
                           'sort(reverse=True)', 'sort(key=lambda q: q % 3)', 'reverse()',
                           'clear()' if self.chance(0.2) else 'sort()'])
            return f'{pad}{v}.{m}\n{pad}print({v})'
        if c == 7:
            v = self.var_of('dict')
            if not v:
                v, e = self.fresh(), self.leaf('dict')
                self.vars[v] = 'dict'
                return f'{pad}{v} = {e}'
            k = self.pick(["'a'", "'b'", "'q'", "'é'"])
            m = self.pick([f'{v}[{k}] = {self.expr("int")}', f'print({v}.pop({k}))',
                           f'print({v}.pop({k}, None))', f'print({v}.setdefault({k}, 0))',
                           f'{v}.update({self.expr("dict")})', f'del {v}[{k}]',
                           f'print(sorted({v}), list({v}.values()), list({v}.items()))',
                           f'print({v}[{k}])'])
            return f'{pad}{m}\n{pad}print({v})'
        if c == 8:
            v = self.var_of('int', True)
            if not v:
                return f'{pad}print({self.expr("int")})'
            return f'{pad}{v} {self.pick(["+=", "-=", "*=", "//=", "%="])} {self.expr("int")}'
        if c == 9:
            a, b = self.fresh(), self.fresh()
            e = self.pick([f'divmod({self.expr("int")}, {self.expr("int")})', f'{self.expr("str")}[:2]',
                           f'({self.expr("int")}, {self.expr("str")})'])
            line = f'{pad}{a}, {b} = {e}\n{pad}print({a}, {b})'
            return line
        if c == 10 and self.chance(0.3):
            bad = self.pick([f'{self.expr("int")} + {self.expr("str")}', f'{self.expr("ilist")} < {self.expr("str")}',
                             f'len({self.expr("int")})', f'{self.expr("str")} * {self.expr("float")}',
                             f'None + {self.expr("int")}', f'{self.expr("dict")}[{self.expr("ilist")}]',
                             f'{self.expr("tuple")}.index({self.expr("int")})', f'{self.expr("ilist")}.pop({self.expr("int")})',
                             f'chr({self.expr("int")})', f'ord({self.expr("str")})', f'{self.expr("str")}.index({self.expr("str")})',
                             f'int({self.expr("ilist")})', f'abs({self.expr("str")})', f'{self.expr("str")}[{self.expr("float")}]',
                             f'sorted([{self.expr("int")}, {self.expr("str")}])', f'{self.expr("dict")}.pop({self.expr("str")})'])
            return f'{pad}print({bad})'
        if c == 10:
            return f'{pad}print({self.pick(["range(10)[2:5]", "range(3, 20, 4)[1:]", "range(5)[::-1]", "len(range(2, 30, 3)[1:-1])", "list(range(10)[2:7:2])", "range(0)", "range(-3, 4)[-1]"])})'
        return f'{pad}print({self.printable()})'

    def misc(self, pad):
        """Statements and forms the expression tables leave out: assert,
        del, in-place list and str updates, calls with * and **, is/not in,
        membership in ranges, dict and tuple methods."""
        x = self.fresh('m')
        forms = [
            lambda: f'assert {self.expr("bool")}, {self.expr("str")}',
            lambda: f'{x} = {self.literal_ilist()}\n{pad}del {x}[{self.expr("int")}]\n{pad}print({x})',
            lambda: f'{x} = {self.literal_ilist()}\n{pad}del {x}[{self.pick(["1:", "::2", ":-1", "5:"])}]\n{pad}print({x})',
            lambda: f'{x} = {self.expr("str")}\n{pad}{x} += {self.expr("str")}\n{pad}{x} *= {self.r.randint(0, 2)}\n{pad}print(repr({x}))',
            lambda: f'{x} = {self.literal_ilist()}\n{pad}{x} += {self.expr("str")}\n{pad}print({x})',
            lambda: f'{x} = {self.literal_ilist()}\n{pad}{x}[{self.pick(["1:2", "::2", ":"])}] = {self.literal_ilist()}\n{pad}print({x})',
            lambda: f'print(max(*{self.expr("ilist")}, 0), min(*{self.expr("str")}, "z"))',
            lambda: f'print(dict(**{self.expr("dict")}), {self.expr("ilist")} is None, {self.expr("str")} not in {self.expr("str")}, {self.expr("int")} in range({self.r.randint(-3, 3)}, {self.r.randint(0, 9)}, {self.pick([1, 2, -1])}))',
            lambda: f'print({self.expr("tuple")}.count({self.expr("int")}), {self.expr("dict")}.copy(), list({self.expr("dict")}.keys()), {self.expr("dict")} == {self.expr("dict")})',
            lambda: f'{x} = {self.expr("dict")}\n{pad}{x}.clear()\n{pad}{x}.update(a={self.expr("int")}, b={self.expr("str")})\n{pad}print({x}, {x}.get("b", 0))',
            lambda: f'print({self.expr("ilist")} < {self.expr("ilist")}, {self.expr("tuple")} == {self.expr("tuple")}, {self.expr("str")} >= {self.expr("str")}, {self.expr("float")} == {self.expr("int")})',
            lambda: f'print([({x}, {x} * 2) for {x} in range({self.r.randint(0, 4)}) for _ in range(2) if {x} != 1])',
            lambda: f'print(list(map(lambda a, b: a - b, {self.expr("ilist")}, {self.expr("ilist")})), list(zip(*[{self.literal_ilist()}, {self.literal_ilist()}])))',
            lambda: self.try_except(pad),
            lambda: f'print({self.pick(PERCENT_FORMATS)!r} % ({self.expr("int")}, {self.expr("float")}, {self.expr("str")}))',
        ]
        return pad + self.pick(forms)()

    def try_except(self, pad):
        """try/except/else/finally around an operation that may fail; the
        handler prints the error's type and message."""
        body = self.pick([f'print({self.expr("int")} // {self.expr("int")})', f'print({self.expr("ilist")}[{self.expr("int")}])',
                          f'print({self.expr("dict")}[{self.leaf("str")}])', f'print(int({self.pick(NUM_STRS)}))',
                          f'print({self.expr("int")} + {self.expr("str")})', f'assert {self.expr("bool")}, {self.expr("str")}',
                          f'raise ValueError({self.expr("str")})'])
        kinds = self.pick(['ZeroDivisionError', 'IndexError', 'KeyError', 'ValueError', 'TypeError', 'LookupError',
                           'ArithmeticError', 'Exception', '(KeyError, ValueError)', 'AssertionError'])
        e = self.fresh('e')
        out = [f'try:', f'    {body}', f'except {kinds} as {e}:', f'    print(type({e}).__name__, {e})']
        if self.chance(0.3):
            out += ['else:', f'    print("else")']
        if self.chance(0.3):
            out += ['finally:', f'    print("finally")']
        return ('\n' + pad).join(out)

    def s_if(self, ind):
        pad = '    ' * ind
        out = [f'{pad}if {self.expr("bool")}:', self.block(ind + 1)]
        if self.chance(0.4):
            out += [f'{pad}elif {self.expr("bool")}:', self.block(ind + 1)]
        if self.chance(0.5):
            out += [f'{pad}else:', self.block(ind + 1)]
        return '\n'.join(out)

    def s_for(self, ind):
        pad = '    ' * ind
        x = self.fresh('x')
        it, t = self.pick([(self.expr('ilist'), 'int'), (self.expr('str'), 'str'),
                           (f'range({self.r.randint(0, 6)})', 'int'),
                           (f'sorted({self.expr("dict")})', 'str')])
        self.vars[x] = t
        grow = it in self.vars and it not in self.frozen   # a list must not grow while iterated
        if grow:
            self.frozen.add(it)
        body = self.block(ind + 1)
        if grow:
            self.frozen.discard(it)
        del self.vars[x]
        extra = ''
        if self.chance(0.3):
            extra = f'\n{pad}    if {x} {self.pick(["==", "!="])} {self.leaf(t)}:\n{pad}        {self.pick(["break", "continue"])}'
        tail = f'\n{pad}else:\n{self.block(ind + 1, 1)}' if self.chance(0.2) else ''
        return f'{pad}for {x} in {it}:{extra}\n{body}{tail}'

    def s_while(self, ind):
        pad = '    ' * ind
        k = self.fresh('n')
        head = f'{pad}{k} = 0\n{pad}while {k} < {self.r.randint(0, 4)}:\n{pad}    {k} += 1'
        self.vars[k] = 'int'
        self.frozen.add(k)
        body = self.block(ind + 1)
        return f'{head}\n{body}'

    def s_def(self, ind):
        name = self.fresh('f')
        nreq = self.r.randint(0, 2)
        ndef = self.r.randint(0, 1)
        star = self.chance(0.3)
        params = [self.fresh('p') for _ in range(nreq + ndef)]
        sig = params[:nreq] + [f'{p}={self.leaf("int")}' for p in params[nreq:]]
        if star:
            sig.append('*rest')
        saved_vars, saved_funcs = self.vars, dict(self.funcs)
        self.vars = {p: 'int' for p in params}
        if star:
            self.vars['rest'] = 'tuple'
        lines = [f'def {name}({", ".join(sig)}):']
        globals_ = [n for n, t in saved_vars.items() if t == 'int' and n not in self.frozen and n not in params]
        if ind == 0 and self.chance(0.15) and globals_:
            # a global updated from inside
            gv = self.pick(globals_)
            lines += [f'    global {gv}', f'    {gv} = {self.leaf("int")} + {gv}']
            self.vars[gv] = 'int'
        elif self.chance(0.15):
            # a closure factory: the inner function sees the parameter later
            inner = self.fresh('h')
            pv = params[0] if params else '0'
            lines += [f'    def {inner}(q, w={self.leaf("int")}):', f'        return q * w + {pv}',
                      f'    print({inner}({self.leaf("int")}), {inner}(w={self.leaf("int")}, q=1))']
        if self.chance(0.3):
            # a closure with a nonlocal counter
            cnt, inner = self.fresh('c'), self.fresh('g')
            lines += [f'    {cnt} = {self.leaf("int")}', f'    def {inner}(z=1):',
                      f'        nonlocal {cnt}', f'        {cnt} += z', f'        return {cnt}',
                      f'    {inner}()', f'    {inner}({self.leaf("int")})']
            self.vars[cnt] = 'int'
        lines.append(self.block(1, self.r.randint(0, 2)) if self.chance(0.6) else '    pass')
        ret = self.expr('int')
        if star:
            ret = f'{ret} + len(rest)'
        lines.append(f'    return {ret}')
        self.vars, self.funcs = saved_vars, saved_funcs
        self.funcs[name] = (nreq, nreq + ndef, star, params)
        return '\n'.join(lines)


def generate(rng, nstmts=None):
    g = Gen(rng)
    stmts = [g.stmt(0) for _ in range(nstmts or rng.randint(3, 9))]
    # the last statement prints, so no cell ends in an expression that would be displayed
    stmts.append(f'print({g.printable()})')
    return stmts


if __name__ == '__main__':
    import sys
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    print('\n'.join(generate(random.Random(seed))))
