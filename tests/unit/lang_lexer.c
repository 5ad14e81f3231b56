/* lang_lexer.c — the tokenizer: tokens, indentation, literals, errors and
 * the "incomplete" signal is_complete relies on. */
#include "test.h"
#include "lex.h"

static lang_arena *A;

/* token types of src, as a string of tok_name()s separated by spaces */
static const char *types(const char *src)
{
    static char buf[2048];
    lex_result r;
    buf[0] = 0;
    if (lex_tokenize(A, src, &r) < 0) { snprintf(buf, sizeof buf, "ERROR %d:%d %s", r.err_line, r.err_col, r.err); return buf; }
    for (int i = 0; i < r.n; i++) {
        const char *n = r.toks[i].type == T_NAME ? "N" : r.toks[i].type == T_INT ? "I" : r.toks[i].type == T_FLOAT ? "F" :
                        r.toks[i].type == T_STRING ? "S" : r.toks[i].type == T_NEWLINE ? "NL" : r.toks[i].type == T_INDENT ? "IN" :
                        r.toks[i].type == T_DEDENT ? "DE" : r.toks[i].type == T_EOF ? "EOF" : r.toks[i].type == T_MAGIC ? "M" :
                        tok_name(r.toks[i].type);
        strcat(buf, n);
        if (i + 1 < r.n) strcat(buf, " ");
    }
    return buf;
}

TEST(simple_statement)
{
    CHECK_STR(types("x = 1 + 2.5\n"), "N '=' I '+' F NL EOF");
    CHECK_STR(types("x"), "N NL EOF");
    CHECK_STR(types(""), "EOF");
    CHECK_STR(types("\n\n   \n# only a comment\n"), "EOF");
}

TEST(operators_longest_match)
{
    CHECK_STR(types("a //= b ** c != d -> e"), "N '//=' N '**' N '!=' N '->' N NL EOF");
    CHECK_STR(types("a<<=1>>2<=3"), "N '<<=' I '>>' I '<=' I NL EOF");
    CHECK_STR(types("a @ b @= c"), "N '@' N '@=' N NL EOF");
}

TEST(keywords)
{
    CHECK_STR(types("if x and not y: pass"), "'if' N 'and' 'not' N ':' 'pass' NL EOF");
    CHECK_STR(types("lambda x: None"), "'lambda' N ':' 'None' NL EOF");
    CHECK(lex_keyword("while", 5) == T_WHILE);
    CHECK(lex_keyword("whilst", 6) == T_NAME);
}

TEST(indent_dedent)
{
    CHECK_STR(types("if a:\n    b\n    c\nd\n"), "'if' N ':' NL IN N NL N NL DE N NL EOF");
    CHECK_STR(types("if a:\n  if b:\n    c\n"), "'if' N ':' NL IN 'if' N ':' NL IN N NL DE DE EOF");
    /* blank and comment lines inside blocks do not change indentation */
    CHECK_STR(types("if a:\n    b\n\n# c\n    d\n"), "'if' N ':' NL IN N NL N NL DE EOF");
    CHECK_STR(types("if a:\n        b\n    c\n"), "ERROR 3:4 unindent does not match any outer indentation level");
}

TEST(brackets_join_lines)
{
    CHECK_STR(types("f(1,\n  2)\n"), "N '(' I ',' I ')' NL EOF");
    CHECK_STR(types("x = 1 + \\\n    2\n"), "N '=' I '+' I NL EOF");
    CHECK_STR(types("[\n1,\n]\n"), "'[' I ',' ']' NL EOF");
}

TEST(numbers)
{
    lex_result r;
    CHECK(lex_tokenize(A, "0xff 0o17 0b101 1_000 1e-3 .5 5. 2.5E+2", &r) == 0);
    CHECK(r.toks[0].v.i == 255 && r.toks[1].v.i == 15 && r.toks[2].v.i == 5 && r.toks[3].v.i == 1000);
    CHECK_NEAR(r.toks[4].v.f, 1e-3, 0, 1e-15);
    CHECK_NEAR(r.toks[5].v.f, 0.5, 0, 0);
    CHECK_NEAR(r.toks[6].v.f, 5.0, 0, 0);
    CHECK_NEAR(r.toks[7].v.f, 250.0, 0, 0);
    CHECK(r.toks[4].type == T_FLOAT && r.toks[0].type == T_INT);
    CHECK_STR(types("99999999999999999999"), "ERROR 1:0 integer literal 99999999999999999999 is too large (ints are 64-bit; write it as a float)");
    CHECK_STR(types("12abc"), "ERROR 1:2 invalid decimal literal");
    CHECK_STR(types("3j"), "ERROR 1:0 complex numbers are not supported");
}

TEST(strings)
{
    lex_result r;
    CHECK(lex_tokenize(A, "'a\\tb' \"it's\" r'\\n' '\\x41\\u00e9' '''x\ny'''", &r) == 0);
    CHECK_STR(r.toks[0].v.str.s, "a\tb");
    CHECK_STR(r.toks[1].v.str.s, "it's");
    CHECK_STR(r.toks[2].v.str.s, "\\n");
    CHECK_STR(r.toks[3].v.str.s, "A\xc3\xa9");
    CHECK_STR(r.toks[4].v.str.s, "x\ny");
    CHECK(lex_tokenize(A, "f'{x:.2f}'", &r) == 0);
    CHECK(r.toks[0].fstring == 1);
    CHECK_STR(r.toks[0].v.str.s, "{x:.2f}");
}

TEST(positions)
{
    lex_result r;
    CHECK(lex_tokenize(A, "a = 1\n  \nbb(c)\n", &r) == 0);
    /* bb is on line 3, column 0; c at column 3 */
    CHECK(r.toks[4].type == T_NAME && r.toks[4].line == 3 && r.toks[4].col == 0);
    CHECK(r.toks[6].line == 3 && r.toks[6].col == 3);
}

TEST(incomplete_inputs)
{
    lex_result r;
    CHECK(lex_tokenize(A, "x = (1,\n", &r) < 0);
    CHECK(r.incomplete == 1);
    CHECK_STR(r.err, "'(' was never closed");
    CHECK(lex_tokenize(A, "s = '''abc\n", &r) < 0);
    CHECK(r.incomplete == 1);
    CHECK(lex_tokenize(A, "x = 1 + \\", &r) < 0);
    CHECK(r.incomplete == 1);
    CHECK(lex_tokenize(A, "s = 'abc\n", &r) < 0);
    CHECK(r.incomplete == 0);
    CHECK(lex_tokenize(A, "x = 1)", &r) < 0);
    CHECK(r.incomplete == 0);
    CHECK_STR(r.err, "unmatched ')'");
}

TEST(magic_lines)
{
    lex_result r;
    CHECK_STR(types("%time x = 1\n%who\n"), "M NL M NL EOF");
    CHECK(lex_tokenize(A, "%%time\nx\n", &r) == 0);
    CHECK_STR(r.toks[0].v.str.s, "%time");
    /* '%' after a value is the operator */
    CHECK_STR(types("7 % 2"), "I '%' I NL EOF");
}

TEST(invalid_characters)
{
    CHECK_STR(types("a ? b"), "ERROR 1:2 invalid character '?'");
    CHECK_STR(types("a $ b"), "ERROR 1:2 invalid character '$'");
}

TEST(deep_nesting_is_an_error_not_a_crash)
{
    char src[1000];
    memset(src, '(', 400);
    src[400] = 0;
    CHECK_STR(types(src), "ERROR 1:200 too many nested parentheses");
}

int main(void)
{
    A = arena_new("");
    RUN(simple_statement);
    RUN(operators_longest_match);
    RUN(keywords);
    RUN(indent_dedent);
    RUN(brackets_join_lines);
    RUN(numbers);
    RUN(strings);
    RUN(positions);
    RUN(incomplete_inputs);
    RUN(magic_lines);
    RUN(invalid_characters);
    RUN(deep_nesting_is_an_error_not_a_crash);
    arena_release(A);
    return test_summary();
}
