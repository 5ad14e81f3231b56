/* lang_format_spec.c — numbers and format specs exactly as Python prints them.
 *
 * Expected strings come from CPython 3.11 (repr(x), format(value, spec),
 * and the ValueError messages) and numpy 1.24 (str(np.float32(x))); they are
 * written here as literals.
 */
#include "test.h"
#include "numfmt.h"
#include "utf8.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct { double x; const char *text; } repr_case;

/* repr(x) */
static const repr_case float_reprs[] = {
    { 0.0, "0.0" },
    { -0.0, "-0.0" },
    { 1.0, "1.0" },
    { -40.0, "-40.0" },
    { 0.1, "0.1" },
    { 100.0, "100.0" },
    { 1e-07, "1e-07" },
    { 1.5e+20, "1.5e+20" },
    { 1e+16, "1e+16" },
    { 1000000000000000.0, "1000000000000000.0" },
    { 123.456, "123.456" },
    { 0.000123, "0.000123" },
    { 0.0001, "0.0001" },
    { 5e-324, "5e-324" },
    { 1.7976931348623157e+308, "1.7976931348623157e+308" },
    { INFINITY, "inf" },
    { -INFINITY, "-inf" },
    { NAN, "nan" },
    { 0.3333333333333333, "0.3333333333333333" },
    { 0.6666666666666666, "0.6666666666666666" },
    { 0.30000000000000004, "0.30000000000000004" },
    { 1e+22, "1e+22" },
    { 211.74469, "211.74469" },
    { 9007199254740992.0, "9007199254740992.0" },
    { 2.5e-05, "2.5e-05" },
};

/* str(np.float32(x)); x is the float32 value */
static const repr_case float32_reprs[] = {
    { 0.10000000149011612, "0.1" },
    { 211.74468994140625, "211.74469" },
    { 9.999999747378752e-05, "1e-04" },
    { 1.0000000272564224e+16, "1e+16" },
    { 9.999999747378752e-06, "1e-05" },
    { -40.0, "-40.0" },
    { 3.4028234663852886e+38, "3.4028235e+38" },
    { 1.401298464324817e-45, "1e-45" },
    { 0.30000001192092896, "0.3" },
    { 16777216.0, "16777216.0" },
    { 0.3333333432674408, "0.33333334" },
    { 123456792.0, "123456790.0" },
    { 9999999198822400.0, "9999999000000000.0" },
    { 2.5, "2.5" },
};

/* format(value, spec): the text, or the ValueError message when err */
typedef struct {
    fmt_kind    kind;
    double      num;   /* FMT_INT, FMT_BOOL, FMT_FLOAT */
    const char *str;   /* FMT_STR */
    const char *spec;
    const char *expect;
    int         err;
} spec_case;

static const spec_case specs[] = {
    { FMT_FLOAT, 1234.5678, NULL, "", "1234.5678", 0 },
    { FMT_FLOAT, -0.0001, NULL, "", "-0.0001", 0 },
    { FMT_FLOAT, 0.0, NULL, "", "0.0", 0 },
    { FMT_FLOAT, INFINITY, NULL, "", "inf", 0 },
    { FMT_FLOAT, NAN, NULL, "", "nan", 0 },
    { FMT_FLOAT, 1234.5678, NULL, "10", " 1234.5678", 0 },
    { FMT_FLOAT, 1234.5678, NULL, "<10", "1234.5678 ", 0 },
    { FMT_FLOAT, 1234.5678, NULL, "^10", "1234.5678 ", 0 },
    { FMT_FLOAT, 1234.5678, NULL, "=+10", "+1234.5678", 0 },
    { FMT_FLOAT, 1234.5678, NULL, "+", "+1234.5678", 0 },
    { FMT_FLOAT, 1234.5678, NULL, ".2f", "1234.57", 0 },
    { FMT_FLOAT, -0.0001, NULL, ".2f", "-0.00", 0 },
    { FMT_FLOAT, 0.0, NULL, ".2f", "0.00", 0 },
    { FMT_FLOAT, INFINITY, NULL, ".2f", "inf", 0 },
    { FMT_FLOAT, NAN, NULL, ".2f", "nan", 0 },
    { FMT_FLOAT, 1234.5678, NULL, ".0f", "1235", 0 },
    { FMT_FLOAT, 1234.5678, NULL, "#.0f", "1235.", 0 },
    { FMT_FLOAT, 1234.5678, NULL, ".3e", "1.235e+03", 0 },
    { FMT_FLOAT, 1234.5678, NULL, "E", "1.234568E+03", 0 },
    { FMT_FLOAT, 1234.5678, NULL, "g", "1234.57", 0 },
    { FMT_FLOAT, 1234.5678, NULL, ".3g", "1.23e+03", 0 },
    { FMT_FLOAT, 1234.5678, NULL, "#g", "1234.57", 0 },
    { FMT_FLOAT, 1234.5678, NULL, ".3", "1.23e+03", 0 },
    { FMT_FLOAT, 1234.5678, NULL, ".10", "1234.5678", 0 },
    { FMT_FLOAT, 1234.5678, NULL, "%", "123456.780000%", 0 },
    { FMT_FLOAT, 1234.5678, NULL, ".1%", "123456.8%", 0 },
    { FMT_FLOAT, 1234.5678, NULL, ",.2f", "1,234.57", 0 },
    { FMT_FLOAT, 1234.5678, NULL, "_.3f", "1_234.568", 0 },
    { FMT_FLOAT, 1234.5678, NULL, "015,.2f", "0,000,001,234.57", 0 },
    { FMT_FLOAT, 1234.5678, NULL, "*^20.3e", "*****1.235e+03******", 0 },
    { FMT_FLOAT, 1234.5678, NULL, "z.2f", "1234.57", 0 },
    { FMT_FLOAT, -0.0001, NULL, "z.2f", "0.00", 0 },
    { FMT_FLOAT, 0.0, NULL, "z.2f", "0.00", 0 },
    { FMT_FLOAT, INFINITY, NULL, "z.2f", "inf", 0 },
    { FMT_FLOAT, NAN, NULL, "z.2f", "nan", 0 },
    { FMT_FLOAT, 1234.5678, NULL, "010", "01234.5678", 0 },
    { FMT_FLOAT, -0.0001, NULL, "010", "-0000.0001", 0 },
    { FMT_FLOAT, 0.0, NULL, "010", "00000000.0", 0 },
    { FMT_FLOAT, INFINITY, NULL, "010", "0000000inf", 0 },
    { FMT_FLOAT, NAN, NULL, "010", "0000000nan", 0 },
    { FMT_FLOAT, 1234.5678, NULL, "n", "1234.57", 0 },
    { FMT_FLOAT, 1234.5678, NULL, "F", "1234.567800", 0 },
    { FMT_FLOAT, -0.0001, NULL, "F", "-0.000100", 0 },
    { FMT_FLOAT, 0.0, NULL, "F", "0.000000", 0 },
    { FMT_FLOAT, INFINITY, NULL, "F", "INF", 0 },
    { FMT_FLOAT, NAN, NULL, "F", "NAN", 0 },
    { FMT_FLOAT, 1234.5678, NULL, ".2n", "1.2e+03", 0 },
    { FMT_FLOAT, 1234.5678, NULL, "d", "Unknown format code 'd' for object of type 'float'", 1 },
    { FMT_FLOAT, 1234.5678, NULL, "s", "Unknown format code 's' for object of type 'float'", 1 },
    { FMT_FLOAT, 1234.5678, NULL, ",n", "Cannot specify ',' with 'n'.", 1 },
    { FMT_FLOAT, 1234.5678, NULL, "10,,", "Cannot specify ',' with ','.", 1 },
    { FMT_FLOAT, 1234.5678, NULL, ".", "Format specifier missing precision", 1 },
    { FMT_INT, 1234, NULL, "", "1234", 0 },
    { FMT_INT, -42, NULL, "", "-42", 0 },
    { FMT_INT, 0, NULL, "", "0", 0 },
    { FMT_INT, 1234, NULL, "5", " 1234", 0 },
    { FMT_INT, 1234, NULL, "<5", "1234 ", 0 },
    { FMT_INT, 1234, NULL, "^5", "1234 ", 0 },
    { FMT_INT, 1234, NULL, "=5", " 1234", 0 },
    { FMT_INT, 1234, NULL, "05", "01234", 0 },
    { FMT_INT, -42, NULL, "05", "-0042", 0 },
    { FMT_INT, 0, NULL, "05", "00000", 0 },
    { FMT_INT, 1234, NULL, "+", "+1234", 0 },
    { FMT_INT, -42, NULL, "+", "-42", 0 },
    { FMT_INT, 0, NULL, "+", "+0", 0 },
    { FMT_INT, 1234, NULL, "b", "10011010010", 0 },
    { FMT_INT, 1234, NULL, "#b", "0b10011010010", 0 },
    { FMT_INT, 1234, NULL, "o", "2322", 0 },
    { FMT_INT, 1234, NULL, "#o", "0o2322", 0 },
    { FMT_INT, 1234, NULL, "x", "4d2", 0 },
    { FMT_INT, -42, NULL, "x", "-2a", 0 },
    { FMT_INT, 0, NULL, "x", "0", 0 },
    { FMT_INT, 1234, NULL, "#X", "0X4D2", 0 },
    { FMT_INT, 1234, NULL, ",", "1,234", 0 },
    { FMT_INT, -42, NULL, ",", "-42", 0 },
    { FMT_INT, 0, NULL, ",", "0", 0 },
    { FMT_INT, 1234, NULL, "_", "1_234", 0 },
    { FMT_INT, 1234, NULL, "_b", "100_1101_0010", 0 },
    { FMT_INT, 1234, NULL, "#_x", "0x4d2", 0 },
    { FMT_INT, 1234, NULL, "010,", "00,001,234", 0 },
    { FMT_INT, 1234, NULL, "08,", "0,001,234", 0 },
    { FMT_INT, 1234, NULL, "c", "Ӓ", 0 },
    { FMT_INT, 1234, NULL, "5c", "    Ӓ", 0 },
    { FMT_INT, 1234, NULL, "e", "1.234000e+03", 0 },
    { FMT_INT, 1234, NULL, ".2f", "1234.00", 0 },
    { FMT_INT, 1234, NULL, "%", "123400.000000%", 0 },
    { FMT_INT, 1234, NULL, "g", "1234", 0 },
    { FMT_INT, 1234, NULL, "n", "1234", 0 },
    { FMT_INT, 1234, NULL, ".2", "Precision not allowed in integer format specifier", 1 },
    { FMT_INT, 1234, NULL, "s", "Unknown format code 's' for object of type 'int'", 1 },
    { FMT_INT, 1234, NULL, "z", "Negative zero coercion (z) not allowed in integer format specifier", 1 },
    { FMT_INT, 1234, NULL, "#c", "Alternate form (#) not allowed with integer format specifier 'c'", 1 },
    { FMT_INT, 1234, NULL, ",b", "Cannot specify ',' with 'b'.", 1 },
    { FMT_INT, 1234, NULL, "x<8,d", "1,234xxx", 0 },
    { FMT_BOOL, 1, NULL, "", "True", 0 },
    { FMT_BOOL, 1, NULL, "d", "1", 0 },
    { FMT_BOOL, 1, NULL, ">5", "    1", 0 },
    { FMT_BOOL, 1, NULL, ".2f", "1.00", 0 },
    { FMT_BOOL, 1, NULL, "x", "1", 0 },
    { FMT_BOOL, 1, NULL, "s", "Unknown format code 's' for object of type 'bool'", 1 },
    { FMT_STR, 0, "héllo", "", "héllo", 0 },
    { FMT_STR, 0, "héllo", "10", "héllo     ", 0 },
    { FMT_STR, 0, "héllo", ">10", "     héllo", 0 },
    { FMT_STR, 0, "héllo", "^10", "  héllo   ", 0 },
    { FMT_STR, 0, "héllo", ".2", "hé", 0 },
    { FMT_STR, 0, "héllo", "10.2", "hé        ", 0 },
    { FMT_STR, 0, "héllo", "*^9", "**héllo**", 0 },
    { FMT_STR, 0, "héllo", "d", "Unknown format code 'd' for object of type 'str'", 1 },
    { FMT_STR, 0, "héllo", "+", "Sign not allowed in string format specifier", 1 },
    { FMT_STR, 0, "héllo", "=10", "'=' alignment not allowed in string format specifier", 1 },
    { FMT_STR, 0, "héllo", "#", "Alternate form (#) not allowed in string format specifier", 1 },
    { FMT_STR, 0, "héllo", ",", "Cannot specify ',' with 's'.", 1 },
    { FMT_STR, 0, "héllo", "05", "héllo", 0 },
    { FMT_STR, 0, "héllo", "z", "Negative zero coercion (z) not allowed in string format specifier", 1 },
    { FMT_INT, 1114112, NULL, "c", "%c arg not in range(0x110000)", 1 },
};

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

TEST(float_repr) {
    for (int i = 0; i < N(float_reprs); i++) {
        char *s = fmt_float_repr(float_reprs[i].x);
        CHECK_STR(s, float_reprs[i].text);
        free(s);
    }
}

/* Floats at and next to powers of two, where the rounding interval is
 * lopsided and printf's nearest p digits miss the shortest repr: each
 * expected text is CPython 3.11's repr() of the value (x.hex() given). */
static const struct { double x; const char *repr; } pow2_reprs[] = {
    { 0x1.0000000000000p-1017, "7.120236347223045e-307" },
    { 0x1.0000000000000p-1007, "7.291122019556398e-304" },
    { 0x1.0000000000000p-957, "8.209073602596753e-289" },
    { 0x1.0000000000000p-921, "5.641232424577593e-278" },
    { 0x1.0000000000000p-808, "5.858190679279809e-244" },
    { 0x1.0000000000000p-791, "7.678447687145631e-239" },
    { 0x1.0000000000000p-788, "6.142758149716505e-238" },
    { 0x1.0000000000000p-778, "6.290184345309701e-235" },
    { 0x1.0000000000000p-705, "5.940911144672375e-213" },
    { 0x1.0000000000000p-695, "6.083493012144512e-210" },
    { 0x1.0000000000000p-662, "5.225680706521042e-200" },
    { 0x1.0000000000000p-652, "5.351097043477547e-197" },
    { 0x1.0000000000000p-549, "5.426657103235053e-166" },
    { 0x1.0000000000000p-509, "5.966672584960166e-154" },
    { 0x1.0000000000000p-496, "4.887898181599368e-150" },
    { 0x1.0000000000000p-489, "6.256509672447191e-148" },
    { 0x1.0000000000000p-383, "5.075883674631299e-116" },
    { 0x1.0000000000000p-366, "6.653062250012736e-111" },
    { 0x1.0000000000000p-296, "7.854549544476363e-90" },
    { 0x1.0000000000000p-140, "7.174648137343064e-43" },
    { 0x1.0000000000000p-97, "6.310887241768095e-30" },
    { 0x1.0000000000000p-77, "6.617444900424222e-24" },
    { 0x1.0000000000000p-44, "5.684341886080802e-14" },
    { 0x1.0000000000000p-24, "5.960464477539063e-08" },
    { 0x1.0000000000000p+89, "6.189700196426902e+26" },
    { 0x1.0000000000000p+122, "5.316911983139664e+36" },
    { 0x1.0000000000000p+132, "5.444517870735016e+39" },
    { 0x1.0000000000000p+172, "5.986310706507379e+51" },
    { 0x1.0000000000000p+182, "6.129982163463556e+54" },
    { 0x1.0000000000000p+275, "6.070840288205404e+82" },
    { 0x1.0000000000000p+305, "6.518515124270356e+91" },
    { 0x1.0000000000000p+345, "7.167183174968974e+103" },
    { 0x1.0000000000000p+378, "6.156563468186638e+113" },
    { 0x1.0000000000000p+398, "6.455624695217272e+119" },
    { 0x1.0000000000000p+405, "8.263199609878108e+121" },
    { 0x1.0000000000000p+481, "6.243497100631985e+144" },
    { 0x1.0000000000000p+534, "5.623642243178996e+160" },
    { 0x1.0000000000000p+544, "5.758609657015292e+163" },
    { 0x1.0000000000000p+554, "5.896816288783659e+166" },
    { 0x1.0000000000000p+574, "6.183260036827614e+172" },
    { 0x1.0000000000000p+594, "6.483618076376552e+178" },
    { 0x1.0000000000000p+710, "5.386379163185535e+213" },
    { 0x1.0000000000000p+803, "5.334411546303884e+241" },
    { 0x1.0000000000000p+863, "6.150157786156811e+259" },
    { 0x1.0000000000000p+896, "5.282945311356653e+269" },
    { 0x1.0000000000000p+976, "6.386688990511104e+293" },
    { 0x0.0000000000001p-1022, "5e-324" },
    { 0x1.0000000000000p-1022, "2.2250738585072014e-308" },
    { 0x0.fffffffffffffp-1022, "2.225073858507201e-308" },
    { 0x1.0000000000000p+1023, "8.98846567431158e+307" },
    { 0x1.fffffffffffffp+1023, "1.7976931348623157e+308" },
    { 0x1.0000000000000p-1, "0.5" },
};

TEST(float_repr_next_to_powers_of_two) {
    for (size_t i = 0; i < sizeof pow2_reprs / sizeof pow2_reprs[0]; i++) {
        char *s = fmt_float_repr(pow2_reprs[i].x);
        CHECK_STR(s, pow2_reprs[i].repr);
        free(s);
    }
}

TEST(float32_repr) {
    for (int i = 0; i < N(float32_reprs); i++) {
        char *s = fmt_float32_repr((float)float32_reprs[i].x);
        CHECK_STR(s, float32_reprs[i].text);
        free(s);
    }
}

TEST(format_spec_table) {
    for (int i = 0; i < N(specs); i++) {
        const spec_case *c = &specs[i];
        fmt_value v = { c->kind, (int64_t)c->num, c->num, c->str };
        char err[256];
        char *s = fmt_format_spec(&v, c->spec, err, sizeof err);
        if (c->err) {
            CHECK(s == NULL);
            CHECK_STR(err, c->expect);
        } else {
            CHECK_STR(s, c->expect);
        }
        if (c->err ? (s != NULL || strcmp(err, c->expect)) : (!s || strcmp(s, c->expect)))
            fprintf(stderr, "    (format spec '%s', case %d)\n", c->spec, i);
        free(s);
    }
}

/* float32 values keep their short text where Python would show the double. */
TEST(format_float32) {
    fmt_value v = { FMT_FLOAT32, 0, (double)0.1f, NULL };
    char err[128];
    char *s = fmt_format_spec(&v, "", err, sizeof err);
    CHECK_STR(s, "0.1");
    free(s);
    s = fmt_format_spec(&v, ">6", err, sizeof err);
    CHECK_STR(s, "   0.1");
    free(s);
    s = fmt_format_spec(&v, ".10f", err, sizeof err); /* format(float(np.float32(0.1)), '.10f') */
    CHECK_STR(s, "0.1000000015");
    free(s);
    v.f = (double)-40.0f;
    s = fmt_format_spec(&v, "", err, sizeof err);
    CHECK_STR(s, "-40.0");
    free(s);
}

TEST(format_errors_kind) {
    fmt_value v = { FMT_INT, 0x110000, 0, NULL };
    char err[128];
    const char *kind = NULL;
    char *s = fmt_format_spec_ex(&v, "c", err, sizeof err, &kind);
    CHECK(s == NULL);
    CHECK_STR(kind, "OverflowError");
    CHECK_STR(err, "%c arg not in range(0x110000)");
    v.i = 5;
    s = fmt_format_spec_ex(&v, "abc", err, sizeof err, &kind);
    CHECK(s == NULL);
    CHECK_STR(kind, "ValueError");
    CHECK_STR(err, "Invalid format specifier 'abc' for object of type 'int'");
    /* a fill character outside ASCII counts as one column */
    v.kind = FMT_STR;
    v.s = "ab";
    s = fmt_format_spec(&v, "\xe2\x98\x85^6", err, sizeof err); /* format('ab', '★^6') */
    CHECK_STR(s, "\xe2\x98\x85\xe2\x98\x85" "ab" "\xe2\x98\x85\xe2\x98\x85");
    free(s);
}

TEST(shortest_digits) {
    char d[32];
    int decpt;
    int n = fmt_shortest_digits(0.1, 0, d, &decpt);
    CHECK(n == 1 && strcmp(d, "1") == 0 && decpt == 0);
    n = fmt_shortest_digits((double)0.1f, 1, d, &decpt);
    CHECK(n == 1 && strcmp(d, "1") == 0 && decpt == 0);
    n = fmt_shortest_digits((double)0.1f, 0, d, &decpt); /* as a double: 0.10000000149011612 */
    CHECK(n == 17 && strcmp(d, "10000000149011612") == 0 && decpt == 0);
    n = fmt_shortest_digits(1234.5, 0, d, &decpt);
    CHECK(n == 5 && strcmp(d, "12345") == 0 && decpt == 4);
}

TEST(fmtbuf_basics) {
    fmtbuf b;
    fmtbuf_init(&b);
    for (int i = 0; i < 1000; i++) fmtbuf_printf(&b, "%d,", i % 10);
    fmtbuf_repeat(&b, "ab", 3);
    char *s = fmtbuf_take(&b);
    CHECK(s && strlen(s) == 2006);
    CHECK(s && strcmp(s + 2000, "ababab") == 0);
    free(s);
    fmtbuf_init(&b);
    s = fmtbuf_take(&b); /* an empty buffer gives "" */
    CHECK_STR(s, "");
    free(s);
    CHECK(utf8_length("h\xc3\xa9llo", 6) == 5);
}

int main(void) {
    RUN(float_repr);
    RUN(float_repr_next_to_powers_of_two);
    RUN(float32_repr);
    RUN(format_spec_table);
    RUN(format_float32);
    RUN(format_errors_kind);
    RUN(shortest_digits);
    RUN(fmtbuf_basics);
    return test_summary();
}
