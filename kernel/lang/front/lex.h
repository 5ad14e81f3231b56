/* lex.h — the tokenizer: cell text to a token array with INDENT/DEDENT.
 *
 * The whole cell is tokenized up front (cells are small; the parser then has
 * free lookahead and is_complete can inspect the tail). Token texts point
 * into the source; decoded string literals are allocated in the arena.
 */
#ifndef CGPU_LANG_LEX_H
#define CGPU_LANG_LEX_H

#include <stdint.h>
#include <stddef.h>
#include "arena.h"

/* ORDER tok_type: keep tok_names (lex.c) in step. */
typedef enum {
    T_EOF, T_NEWLINE, T_INDENT, T_DEDENT,
    T_NAME, T_INT, T_FLOAT, T_STRING,
    T_MAGIC,     /* '%...' at the start of a line: v.str is the text after the first '%' */
    /* operators and punctuation */
    T_LPAREN, T_RPAREN, T_LBRACKET, T_RBRACKET, T_LBRACE, T_RBRACE,
    T_COMMA, T_COLON, T_DOT, T_SEMI, T_ARROW,
    T_PLUS, T_MINUS, T_STAR, T_SLASH, T_DSLASH, T_PERCENT, T_DSTAR, T_AT,
    T_AMP, T_PIPE, T_CARET, T_TILDE, T_LSHIFT, T_RSHIFT,
    T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE,
    T_ASSIGN, T_PLUSEQ, T_MINUSEQ, T_STAREQ, T_SLASHEQ, T_DSLASHEQ, T_PERCENTEQ,
    T_DSTAREQ, T_ATEQ, T_AMPEQ, T_PIPEEQ, T_CARETEQ, T_LSHIFTEQ, T_RSHIFTEQ,
    /* keywords */
    T_FALSE, T_NONE, T_TRUE, T_AND, T_AS, T_ASSERT, T_BREAK, T_CLASS, T_CONTINUE,
    T_DEF, T_DEL, T_ELIF, T_ELSE, T_EXCEPT, T_FINALLY, T_FOR, T_FROM, T_GLOBAL, T_IF,
    T_IMPORT, T_IN, T_IS, T_LAMBDA, T_NONLOCAL, T_NOT, T_OR, T_PASS, T_RAISE,
    T_RETURN, T_TRY, T_WHILE, T_WITH, T_YIELD,
    T_COUNT
} tok_type;

typedef struct {
    tok_type    type;
    int         line, col;   /* 1-based line; 0-based byte column */
    const char *start;       /* into the source */
    int         len;
    int         fstring;     /* T_STRING: 1 for f"..." (str holds the raw body) */
    int         raw_offset;  /* T_STRING f-strings: byte offset of the body in the source */
    union {
        int64_t i;
        double  f;
        struct { const char *s; size_t n; } str; /* decoded (arena), NUL-terminated */
    } v;
} token;

typedef struct {
    token *toks;   /* arena */
    int    n;
    /* on failure: */
    int    err_line, err_col;
    char   err[200];
    /* how the text ended, for is_complete: 1 when the text ends inside an
     * open bracket, a triple-quoted string or after a backslash */
    int    incomplete;
} lex_result;

/* Tokenizes src. Returns 0, or -1 with err/err_line/err_col set. */
int lex_tokenize(lang_arena *A, const char *src, lex_result *out);
const char *tok_name(tok_type t); /* "'('" , "NAME", "end of input" ... */
/* Decodes backslash escapes of s[0..n) into an arena string (NULL: OOM). */
char *lex_decode(lang_arena *A, const char *s, size_t n, size_t *outlen);
/* The keyword token for a name, or T_NAME. */
tok_type lex_keyword(const char *s, int len);

#endif
