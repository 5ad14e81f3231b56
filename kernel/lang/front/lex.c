/* lex.c — tokenizer (lex.h): Python's lexical rules for our subset.
 *
 * Logical lines end with NEWLINE; inside (), [] and {} and after a backslash
 * line breaks are ignored. At the start of each logical line the indentation
 * is compared with a stack and INDENT/DEDENT tokens are emitted. Blank and
 * comment-only lines produce nothing.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lex.h"

/* ORDER tok_type */
static const char *const tok_names[T_COUNT] = {
    "end of input", "end of line", "indent", "dedent",
    "name", "integer", "float", "string", "magic",
    "'('", "')'", "'['", "']'", "'{'", "'}'",
    "','", "':'", "'.'", "';'", "'->'",
    "'+'", "'-'", "'*'", "'/'", "'//'", "'%'", "'**'", "'@'",
    "'&'", "'|'", "'^'", "'~'", "'<<'", "'>>'",
    "'=='", "'!='", "'<'", "'<='", "'>'", "'>='",
    "'='", "'+='", "'-='", "'*='", "'/='", "'//='", "'%='",
    "'**='", "'@='", "'&='", "'|='", "'^='", "'<<='", "'>>='",
    "'False'", "'None'", "'True'", "'and'", "'as'", "'assert'", "'break'", "'class'", "'continue'",
    "'def'", "'del'", "'elif'", "'else'", "'except'", "'finally'", "'for'", "'from'", "'global'", "'if'",
    "'import'", "'in'", "'is'", "'lambda'", "'nonlocal'", "'not'", "'or'", "'pass'", "'raise'",
    "'return'", "'try'", "'while'", "'with'", "'yield'",
};

const char *tok_name(tok_type t) { return t < T_COUNT ? tok_names[t] : "?"; }

static const struct { const char *s; tok_type t; } keywords[] = {
    {"False", T_FALSE}, {"None", T_NONE}, {"True", T_TRUE}, {"and", T_AND}, {"as", T_AS},
    {"assert", T_ASSERT}, {"break", T_BREAK}, {"class", T_CLASS}, {"continue", T_CONTINUE},
    {"def", T_DEF}, {"del", T_DEL}, {"elif", T_ELIF}, {"else", T_ELSE}, {"except", T_EXCEPT},
    {"finally", T_FINALLY}, {"for", T_FOR}, {"from", T_FROM}, {"global", T_GLOBAL}, {"if", T_IF},
    {"import", T_IMPORT}, {"in", T_IN}, {"is", T_IS}, {"lambda", T_LAMBDA},
    {"nonlocal", T_NONLOCAL}, {"not", T_NOT}, {"or", T_OR}, {"pass", T_PASS}, {"raise", T_RAISE},
    {"return", T_RETURN}, {"try", T_TRY}, {"while", T_WHILE}, {"with", T_WITH}, {"yield", T_YIELD},
};

tok_type lex_keyword(const char *s, int len)
{
    for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
        if ((int)strlen(keywords[i].s) == len && memcmp(keywords[i].s, s, len) == 0) return keywords[i].t;
    return T_NAME;
}

typedef struct {
    lang_arena *A;
    const char *src, *p;
    int line;
    const char *line_start;
    token *toks;
    int n, cap;
    int depth;              /* bracket nesting */
    char brackets[200];     /* open bracket chars */
    int bracket_line[200];
    int bracket_col[200];
    int indents[100];
    int nindent;
    lex_result *out;
} lexer;

static int lex_error(lexer *X, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int lex_error(lexer *X, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(X->out->err, sizeof X->out->err, fmt, ap);
    va_end(ap);
    X->out->err_line = line;
    X->out->err_col = col;
    return -1;
}

static token *push(lexer *X, tok_type t, const char *start, int len)
{
    if (X->n == X->cap) {
        int nc = X->cap ? X->cap * 2 : 64;
        token *nt = realloc(X->toks, nc * sizeof *nt);
        if (!nt) return NULL;
        X->toks = nt;
        X->cap = nc;
    }
    token *k = &X->toks[X->n++];
    memset(k, 0, sizeof *k);
    k->type = t;
    k->start = start;
    k->len = len;
    k->line = X->line;
    k->col = (int)(start - X->line_start);
    return k;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

static size_t put_utf8(char *o, uint32_t cp)
{
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) { o[0] = (char)(0xC0 | (cp >> 6)); o[1] = (char)(0x80 | (cp & 63)); return 2; }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12)); o[1] = (char)(0x80 | ((cp >> 6) & 63));
        o[2] = (char)(0x80 | (cp & 63)); return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18)); o[1] = (char)(0x80 | ((cp >> 12) & 63));
    o[2] = (char)(0x80 | ((cp >> 6) & 63)); o[3] = (char)(0x80 | (cp & 63)); return 4;
}

/* Decodes backslash escapes of s[0..n) into a new arena string. Returns
 * NULL on OOM; bad escapes are kept literally, as Python does (with a
 * warning there). */
char *lex_decode(lang_arena *A, const char *s, size_t n, size_t *outlen)
{
    char *o = arena_alloc(A, n + 1), *q = o;
    if (!o) return NULL;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c != '\\' || i + 1 >= n) { *q++ = c; continue; }
        char e = s[++i];
        switch (e) {
        case 'n': *q++ = '\n'; break;
        case 't': *q++ = '\t'; break;
        case 'r': *q++ = '\r'; break;
        case '0': *q++ = '\0'; break;
        case 'a': *q++ = '\a'; break;
        case 'b': *q++ = '\b'; break;
        case 'f': *q++ = '\f'; break;
        case 'v': *q++ = '\v'; break;
        case '\\': *q++ = '\\'; break;
        case '\'': *q++ = '\''; break;
        case '"': *q++ = '"'; break;
        case '\n': break; /* line continuation inside a string */
        case 'x': case 'u': case 'U': {
            int nd = e == 'x' ? 2 : e == 'u' ? 4 : 8;
            uint32_t cp = 0;
            int ok = i + nd < n;
            for (int k = 0; ok && k < nd; k++) {
                int h = i + 1 + k < n ? hexval((unsigned char)s[i + 1 + k]) : -1;
                if (h < 0) ok = 0; else cp = cp * 16 + (uint32_t)h;
            }
            if (!ok || cp > 0x10FFFF) { *q++ = '\\'; *q++ = e; break; }
            q += put_utf8(q, cp);
            i += nd;
            break;
        }
        default: *q++ = '\\'; *q++ = e; break;
        }
    }
    *q = 0;
    *outlen = (size_t)(q - o);
    return o;
}

/* string literal starting at X->p (after any prefix letters pfx) */
static int lex_string(lexer *X, const char *tokstart, int is_raw, int is_f)
{
    const char *p = X->p;
    char q = *p;
    int triple = p[1] == q && p[2] == q;
    int startline = X->line, startcol = (int)(tokstart - X->line_start);
    const char *body = p + (triple ? 3 : 1);
    const char *s = body;
    const char *save_line_start = X->line_start;
    int save_line = X->line;
    for (;;) {
        if (!*s) {
            if (triple) {
                X->out->incomplete = 1;
                return lex_error(X, startline, startcol, "unterminated triple-quoted string literal (detected at line %d)", X->line);
            }
            return lex_error(X, startline, startcol, "unterminated string literal (detected at line %d)", startline);
        }
        if (*s == '\\' && s[1]) {
            if (s[1] == '\n') { X->line++; X->line_start = s + 2; }
            s += 2;
            continue;
        }
        if (*s == '\n') {
            if (!triple) return lex_error(X, startline, startcol, "unterminated string literal (detected at line %d)", startline);
            X->line++;
            X->line_start = s + 1;
        }
        if (*s == q && (!triple || (s[1] == q && s[2] == q))) break;
        s++;
    }
    const char *body_end = s;
    const char *end = s + (triple ? 3 : 1);
    /* the token's position is where it started */
    int cur_line = X->line;
    const char *cur_ls = X->line_start;
    X->line = save_line;
    X->line_start = save_line_start;
    token *k = push(X, T_STRING, tokstart, (int)(end - tokstart));
    X->line = cur_line;
    X->line_start = cur_ls;
    if (!k) return lex_error(X, startline, startcol, "out of memory");
    size_t n = (size_t)(body_end - body);
    if (is_f) {
        k->fstring = 1 + is_raw; /* 2: raw f-string */
        k->raw_offset = (int)(body - X->src);
        k->v.str.s = arena_strndup(X->A, body, n);
        k->v.str.n = n;
    } else if (is_raw) {
        k->v.str.s = arena_strndup(X->A, body, n);
        k->v.str.n = n;
    } else {
        k->v.str.s = lex_decode(X->A, body, n, &k->v.str.n);
    }
    if (!k->v.str.s) return lex_error(X, startline, startcol, "out of memory");
    X->p = end;
    return 0;
}

static int lex_number(lexer *X)
{
    const char *p = X->p, *start = p;
    char buf[128];
    int bl = 0, isfloat = 0, base = 10;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X' || p[1] == 'o' || p[1] == 'O' || p[1] == 'b' || p[1] == 'B')) {
        base = tolower(p[1]) == 'x' ? 16 : tolower(p[1]) == 'o' ? 8 : 2;
        p += 2;
        while (isalnum((unsigned char)*p) || *p == '_') {
            if (*p != '_' && bl < 120) buf[bl++] = *p;
            p++;
        }
    } else {
        while (isdigit((unsigned char)*p) || *p == '_') { if (*p != '_' && bl < 120) buf[bl++] = *p; p++; }
        if (*p == '.' ) {
            isfloat = 1;
            if (bl < 120) buf[bl++] = *p;
            p++;
            while (isdigit((unsigned char)*p) || *p == '_') { if (*p != '_' && bl < 120) buf[bl++] = *p; p++; }
        }
        if ((*p == 'e' || *p == 'E') &&
            (isdigit((unsigned char)p[1]) || ((p[1] == '+' || p[1] == '-') && isdigit((unsigned char)p[2])))) {
            isfloat = 1;
            if (bl < 120) buf[bl++] = *p;
            p++;
            if (*p == '+' || *p == '-') { if (bl < 120) buf[bl++] = *p; p++; }
            while (isdigit((unsigned char)*p)) { if (bl < 120) buf[bl++] = *p; p++; }
        }
        if (*p == 'j' || *p == 'J')
            return lex_error(X, X->line, (int)(start - X->line_start), "complex numbers are not supported");
    }
    buf[bl] = 0;
    if (isalpha((unsigned char)*p) || *p == '_')
        return lex_error(X, X->line, (int)(p - X->line_start), "invalid decimal literal");
    token *k = push(X, isfloat ? T_FLOAT : T_INT, start, (int)(p - start));
    if (!k) return lex_error(X, X->line, 0, "out of memory");
    if (isfloat) {
        k->v.f = strtod(buf, NULL);
    } else {
        char *end;
        errno = 0;
        unsigned long long u = strtoull(buf, &end, base);
        if (*end || bl == 0)
            return lex_error(X, X->line, (int)(start - X->line_start), "invalid %s literal",
                             base == 16 ? "hexadecimal" : base == 8 ? "octal" : base == 2 ? "binary" : "decimal");
        if (u == (unsigned long long)INT64_MAX + 1 && errno != ERANGE) {
            /* 2**63: only valid negated (-9223372036854775808) */
            k->v.i = INT64_MIN;
            k->fstring = 3;
        } else if (errno == ERANGE || u > (unsigned long long)INT64_MAX)
            return lex_error(X, X->line, (int)(start - X->line_start),
                             "integer literal %.*s is too large (ints are 64-bit; write it as a float)",
                             (int)(p - start), start);
        else k->v.i = (int64_t)u;
    }
    X->p = p;
    return 0;
}

/* operators, longest first */
static const struct { const char *s; tok_type t; } ops[] = {
    {"**=", T_DSTAREQ}, {"//=", T_DSLASHEQ}, {"<<=", T_LSHIFTEQ}, {">>=", T_RSHIFTEQ},
    {"**", T_DSTAR}, {"//", T_DSLASH}, {"<<", T_LSHIFT}, {">>", T_RSHIFT}, {"==", T_EQ},
    {"!=", T_NE}, {"<=", T_LE}, {">=", T_GE}, {"+=", T_PLUSEQ}, {"-=", T_MINUSEQ},
    {"*=", T_STAREQ}, {"/=", T_SLASHEQ}, {"%=", T_PERCENTEQ}, {"@=", T_ATEQ}, {"&=", T_AMPEQ},
    {"|=", T_PIPEEQ}, {"^=", T_CARETEQ}, {"->", T_ARROW},
    {"(", T_LPAREN}, {")", T_RPAREN}, {"[", T_LBRACKET}, {"]", T_RBRACKET}, {"{", T_LBRACE},
    {"}", T_RBRACE}, {",", T_COMMA}, {":", T_COLON}, {".", T_DOT}, {";", T_SEMI},
    {"+", T_PLUS}, {"-", T_MINUS}, {"*", T_STAR}, {"/", T_SLASH}, {"%", T_PERCENT},
    {"@", T_AT}, {"&", T_AMP}, {"|", T_PIPE}, {"^", T_CARET}, {"~", T_TILDE},
    {"<", T_LT}, {">", T_GT}, {"=", T_ASSIGN},
};

/* Handles indentation at the start of a logical line. Returns 0, 1 if the
 * line is blank (skip it), -1 on error. */
static int lex_indent(lexer *X)
{
    const char *p = X->p;
    int col = 0;
    for (;; p++) {
        if (*p == ' ') col++;
        else if (*p == '\t') col = (col / 8 + 1) * 8;
        else if (*p == '\f') col = 0;
        else break;
    }
    if (*p == '#' ) { while (*p && *p != '\n') p++; }
    if (*p == '\n' || *p == '\r' || !*p) {
        /* blank line */
        if (*p == '\r') p++;
        if (*p == '\n') { p++; X->line++; X->line_start = p; }
        X->p = p;
        return 1;
    }
    X->p = p;
    int top = X->indents[X->nindent - 1];
    if (col > top) {
        if (X->nindent >= 100) return lex_error(X, X->line, col, "too many levels of indentation");
        X->indents[X->nindent++] = col;
        if (!push(X, T_INDENT, p, 0)) return lex_error(X, X->line, 0, "out of memory");
    } else if (col < top) {
        while (X->nindent > 1 && X->indents[X->nindent - 1] > col) {
            X->nindent--;
            if (!push(X, T_DEDENT, p, 0)) return lex_error(X, X->line, 0, "out of memory");
        }
        if (X->indents[X->nindent - 1] != col)
            return lex_error(X, X->line, col, "unindent does not match any outer indentation level");
    }
    return 0;
}

int lex_tokenize(lang_arena *A, const char *src, lex_result *out)
{
    lexer X;
    memset(&X, 0, sizeof X);
    memset(out, 0, sizeof *out);
    X.A = A;
    X.src = X.p = X.line_start = src;
    X.line = 1;
    X.indents[0] = 0;
    X.nindent = 1;
    X.out = out;
    int at_line_start = 1, rc = 0;

    while (rc == 0) {
        if (at_line_start && X.depth == 0) {
            if (!*X.p) break;
            int r = lex_indent(&X);
            if (r < 0) { rc = -1; break; }
            if (r == 1) continue;
            at_line_start = 0;
        }
        char c = *X.p;
        if (!c) break;
        if (c == ' ' || c == '\t' || c == '\f' || c == '\r') { X.p++; continue; }
        if (c == '#') { while (*X.p && *X.p != '\n') X.p++; continue; }
        if (c == '\\') {
            const char *q = X.p + 1;
            if (*q == '\r') q++;
            if (*q == '\n') { X.p = q + 1; X.line++; X.line_start = X.p; continue; }
            if (!*q) { out->incomplete = 1; rc = lex_error(&X, X.line, (int)(X.p - X.line_start), "unexpected end of input after line continuation character"); break; }
            rc = lex_error(&X, X.line, (int)(X.p - X.line_start), "unexpected character after line continuation character");
            break;
        }
        if (c == '\n') {
            if (X.depth == 0) {
                if (X.n > 0 && X.toks[X.n - 1].type != T_NEWLINE && !push(&X, T_NEWLINE, X.p, 0)) { rc = lex_error(&X, X.line, 0, "out of memory"); break; }
                at_line_start = 1;
            }
            X.p++;
            X.line++;
            X.line_start = X.p;
            continue;
        }
        if (isalpha((unsigned char)c) || c == '_' || (unsigned char)c >= 0x80) {
            const char *s = X.p;
            while (isalnum((unsigned char)*X.p) || *X.p == '_' || (unsigned char)*X.p >= 0x80) X.p++;
            int len = (int)(X.p - s);
            /* string prefixes */
            if ((*X.p == '"' || *X.p == '\'') && len <= 2) {
                int is_raw = 0, is_f = 0, ok = 1;
                for (int i = 0; i < len; i++) {
                    char l = (char)tolower((unsigned char)s[i]);
                    if (l == 'r') is_raw = 1;
                    else if (l == 'f') is_f = 1;
                    else if (l == 'u' && len == 1) ;
                    else ok = 0;
                }
                if (ok) { rc = lex_string(&X, s, is_raw, is_f); continue; }
                if (len == 1 && tolower((unsigned char)s[0]) == 'b') {
                    rc = lex_error(&X, X.line, (int)(s - X.line_start), "bytes literals are not supported");
                    break;
                }
            }
            token *k = push(&X, lex_keyword(s, len), s, len);
            if (!k) { rc = lex_error(&X, X.line, 0, "out of memory"); break; }
            continue;
        }
        if (isdigit((unsigned char)c) || (c == '.' && isdigit((unsigned char)X.p[1]))) {
            rc = lex_number(&X);
            continue;
        }
        if (c == '"' || c == '\'') { rc = lex_string(&X, X.p, 0, 0); continue; }
        if (c == '%' && X.depth == 0 && (X.n == 0 || X.toks[X.n - 1].type == T_NEWLINE ||
                                         X.toks[X.n - 1].type == T_INDENT || X.toks[X.n - 1].type == T_DEDENT)) {
            /* a magic line: %time STATEMENT, %%time, %who, %reset -f */
            const char *s = X.p;
            while (*X.p && *X.p != '\n') X.p++;
            const char *e = X.p;
            while (e > s + 1 && (e[-1] == ' ' || e[-1] == '\r' || e[-1] == '\t')) e--;
            token *k = push(&X, T_MAGIC, s, (int)(e - s));
            if (!k || !(k->v.str.s = arena_strndup(A, s + 1, (size_t)(e - s - 1)))) { rc = lex_error(&X, X.line, 0, "out of memory"); break; }
            k->v.str.n = (size_t)(e - s - 1);
            continue;
        }
        size_t i;
        for (i = 0; i < sizeof ops / sizeof ops[0]; i++) {
            size_t l = strlen(ops[i].s);
            if (strncmp(X.p, ops[i].s, l) == 0) break;
        }
        if (i == sizeof ops / sizeof ops[0]) {
            if (c == '!' ) rc = lex_error(&X, X.line, (int)(X.p - X.line_start), "invalid syntax: '!'");
            else if (c == '$' || c == '?' || c == '`')
                rc = lex_error(&X, X.line, (int)(X.p - X.line_start), "invalid character '%c'", c);
            else
                rc = lex_error(&X, X.line, (int)(X.p - X.line_start), "invalid character '%c' (U+%04X)", isprint((unsigned char)c) ? c : '?', (unsigned char)c);
            break;
        }
        tok_type t = ops[i].t;
        int l = (int)strlen(ops[i].s);
        if (t == T_LPAREN || t == T_LBRACKET || t == T_LBRACE) {
            if (X.depth >= 200) { rc = lex_error(&X, X.line, (int)(X.p - X.line_start), "too many nested parentheses"); break; }
            X.brackets[X.depth] = c;
            X.bracket_line[X.depth] = X.line;
            X.bracket_col[X.depth] = (int)(X.p - X.line_start);
            X.depth++;
        } else if (t == T_RPAREN || t == T_RBRACKET || t == T_RBRACE) {
            char want = t == T_RPAREN ? '(' : t == T_RBRACKET ? '[' : '{';
            if (X.depth == 0) { rc = lex_error(&X, X.line, (int)(X.p - X.line_start), "unmatched '%c'", c); break; }
            if (X.brackets[X.depth - 1] != want) {
                rc = lex_error(&X, X.line, (int)(X.p - X.line_start),
                               "closing parenthesis '%c' does not match opening parenthesis '%c'%s",
                               c, X.brackets[X.depth - 1], "");
                if (X.bracket_line[X.depth - 1] != X.line)
                    snprintf(out->err, sizeof out->err, "closing parenthesis '%c' does not match opening parenthesis '%c' on line %d",
                             c, X.brackets[X.depth - 1], X.bracket_line[X.depth - 1]);
                break;
            }
            X.depth--;
        }
        if (!push(&X, t, X.p, l)) { rc = lex_error(&X, X.line, 0, "out of memory"); break; }
        X.p += l;
    }
    if (rc == 0 && X.depth > 0) {
        out->incomplete = 1;
        rc = lex_error(&X, X.bracket_line[X.depth - 1], X.bracket_col[X.depth - 1],
                       "'%c' was never closed", X.brackets[X.depth - 1]);
    }
    if (rc == 0) {
        if (X.n > 0 && X.toks[X.n - 1].type != T_NEWLINE && X.toks[X.n - 1].type != T_DEDENT &&
            !push(&X, T_NEWLINE, X.p, 0)) rc = lex_error(&X, X.line, 0, "out of memory");
        while (rc == 0 && X.nindent > 1) {
            X.nindent--;
            if (!push(&X, T_DEDENT, X.p, 0)) rc = lex_error(&X, X.line, 0, "out of memory");
        }
        if (rc == 0 && !push(&X, T_EOF, X.p, 0)) rc = lex_error(&X, X.line, 0, "out of memory");
    }
    if (rc == 0) {
        out->toks = arena_alloc(A, (size_t)X.n * sizeof(token));
        if (!out->toks) rc = lex_error(&X, 1, 0, "out of memory");
        else {
            memcpy(out->toks, X.toks, (size_t)X.n * sizeof(token));
            out->n = X.n;
        }
    }
    free(X.toks);
    return rc;
}
