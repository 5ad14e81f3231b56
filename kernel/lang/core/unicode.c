/* unicode.c — character properties and case mapping (unicode.h).
 *
 * Simple case mappings and the letter/upper/lower classes come from
 * glibc's C.UTF-8 locale (towupper_l, iswalpha_l ...), which agrees with
 * Python's Unicode data in the ranges unicode.h names; the places where
 * Python differs inside them are written out below: the full (multi
 * code point) mappings of SpecialCasing.txt, titlecase letters, and the
 * printable and whitespace classes, which Python defines by category.
 */
#include <locale.h>
#include <wctype.h>
#include "unicode.h"

static locale_t utf8_locale(void)
{
    static locale_t loc;
    static int tried;
    if (!tried) {
        tried = 1;
        loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
    }
    return loc;
}

/* SpecialCasing.txt's unconditional mappings and the titlecase digraphs
 * of U+0000–U+058F and U+FB00–U+FB06 (as Python 3.11 maps them). */
static const struct special_case {
    uint32_t c;
    int nu; uint32_t u[3];
    int nl; uint32_t l[3];
    int nt; uint32_t t[3];
} specials[] = {
    {0xDF, 2, {0x53, 0x53}, 1, {0xDF}, 2, {0x53, 0x73}},
    {0x130, 1, {0x130}, 2, {0x69, 0x307}, 1, {0x130}},
    {0x149, 2, {0x2BC, 0x4E}, 1, {0x149}, 2, {0x2BC, 0x4E}},
    {0x1C4, 1, {0x1C4}, 1, {0x1C6}, 1, {0x1C5}},
    {0x1C5, 1, {0x1C4}, 1, {0x1C6}, 1, {0x1C5}},
    {0x1C6, 1, {0x1C4}, 1, {0x1C6}, 1, {0x1C5}},
    {0x1C7, 1, {0x1C7}, 1, {0x1C9}, 1, {0x1C8}},
    {0x1C8, 1, {0x1C7}, 1, {0x1C9}, 1, {0x1C8}},
    {0x1C9, 1, {0x1C7}, 1, {0x1C9}, 1, {0x1C8}},
    {0x1CA, 1, {0x1CA}, 1, {0x1CC}, 1, {0x1CB}},
    {0x1CB, 1, {0x1CA}, 1, {0x1CC}, 1, {0x1CB}},
    {0x1CC, 1, {0x1CA}, 1, {0x1CC}, 1, {0x1CB}},
    {0x1F0, 2, {0x4A, 0x30C}, 1, {0x1F0}, 2, {0x4A, 0x30C}},
    {0x1F1, 1, {0x1F1}, 1, {0x1F3}, 1, {0x1F2}},
    {0x1F2, 1, {0x1F1}, 1, {0x1F3}, 1, {0x1F2}},
    {0x1F3, 1, {0x1F1}, 1, {0x1F3}, 1, {0x1F2}},
    {0x390, 3, {0x399, 0x308, 0x301}, 1, {0x390}, 3, {0x399, 0x308, 0x301}},
    {0x3B0, 3, {0x3A5, 0x308, 0x301}, 1, {0x3B0}, 3, {0x3A5, 0x308, 0x301}},
    {0x587, 2, {0x535, 0x552}, 1, {0x587}, 2, {0x535, 0x582}},
    {0xFB00, 2, {0x46, 0x46}, 1, {0xFB00}, 2, {0x46, 0x66}},
    {0xFB01, 2, {0x46, 0x49}, 1, {0xFB01}, 2, {0x46, 0x69}},
    {0xFB02, 2, {0x46, 0x4C}, 1, {0xFB02}, 2, {0x46, 0x6C}},
    {0xFB03, 3, {0x46, 0x46, 0x49}, 1, {0xFB03}, 3, {0x46, 0x66, 0x69}},
    {0xFB04, 3, {0x46, 0x46, 0x4C}, 1, {0xFB04}, 3, {0x46, 0x66, 0x6C}},
    {0xFB05, 2, {0x53, 0x54}, 1, {0xFB05}, 2, {0x53, 0x74}},
    {0xFB06, 2, {0x53, 0x54}, 1, {0xFB06}, 2, {0x53, 0x74}},
};

static const struct special_case *find_special(uint32_t c)
{
    if (c < 0xDF || (c > 0x587 && c < 0xFB00) || c > 0xFB06) return NULL;
    for (size_t i = 0; i < sizeof specials / sizeof specials[0]; i++)
        if (specials[i].c == c) return &specials[i];
    return NULL;
}

uint32_t uc_upper(uint32_t c)
{
    if (c < 0x80) return c >= 'a' && c <= 'z' ? c - 32 : c;
    locale_t l = utf8_locale();
    return l ? (uint32_t)towupper_l((wint_t)c, l) : c;
}

uint32_t uc_lower(uint32_t c)
{
    if (c < 0x80) return c >= 'A' && c <= 'Z' ? c + 32 : c;
    locale_t l = utf8_locale();
    return l ? (uint32_t)towlower_l((wint_t)c, l) : c;
}

int uc_case_full(uint32_t c, char kind, uint32_t out[3])
{
    const struct special_case *s = find_special(c);
    if (s) {
        int n = kind == 'u' ? s->nu : kind == 'l' ? s->nl : s->nt;
        const uint32_t *src = kind == 'u' ? s->u : kind == 'l' ? s->l : s->t;
        for (int i = 0; i < n; i++) out[i] = src[i];
        return n;
    }
    out[0] = kind == 'l' ? uc_lower(c) : uc_upper(c);
    return 1;
}

static int is_titlecase(uint32_t c)
{
    return c == 0x1C5 || c == 0x1C8 || c == 0x1CB || c == 0x1F2 || (c >= 0x1F88 && c <= 0x1FAF && (c & 8)) ||
           c == 0x1FBC || c == 0x1FCC || c == 0x1FFC;
}

int uc_isalpha(uint32_t c)
{
    if (c < 0x80) return (c | 32) >= 'a' && (c | 32) <= 'z';
    if (c == 0x345 || uc_decimal(c) >= 0) return 0;   /* glibc counts this mark and digits of other scripts as letters */
    locale_t l = utf8_locale();
    return l && iswalpha_l((wint_t)c, l);
}

int uc_isupper(uint32_t c)
{
    if (c < 0x80) return c >= 'A' && c <= 'Z';
    locale_t l = utf8_locale();
    return l && iswupper_l((wint_t)c, l) && !is_titlecase(c);
}

int uc_islower(uint32_t c)
{
    if (c < 0x80) return c >= 'a' && c <= 'z';
    locale_t l = utf8_locale();
    return l && iswlower_l((wint_t)c, l) && !is_titlecase(c);
}

int uc_iscased(uint32_t c) { return uc_isupper(c) || uc_islower(c) || is_titlecase(c); }

/* The zero of every run of ten decimal digits (category Nd) in Unicode 14. */
static const uint32_t digit_zeros[] = {
    0x30, 0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6, 0xC66, 0xCE6, 0xD66, 0xDE6, 0xE50,
    0xED0, 0xF20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40,
    0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10, 0x104A0, 0x10D30, 0x11066,
    0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0, 0x11650, 0x116C0, 0x11730, 0x118E0, 0x11950,
    0x11C50, 0x11D50, 0x11DA0, 0x16A60, 0x16AC0, 0x16B50, 0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6,
    0x1E140, 0x1E2F0, 0x1E950, 0x1FBF0,
};

int uc_decimal(uint32_t c)
{
    if (c < 0x80) return c >= '0' && c <= '9' ? (int)(c - '0') : -1;
    for (size_t i = 1; i < sizeof digit_zeros / sizeof digit_zeros[0]; i++)
        if (c >= digit_zeros[i] && c < digit_zeros[i] + 10) return (int)(c - digit_zeros[i]);
    return -1;
}

int uc_isdigit(uint32_t c) { return uc_decimal(c) >= 0 || c == 0xB2 || c == 0xB3 || c == 0xB9; }

int uc_isspace(uint32_t c)
{
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

/* Python's non-printable characters that glibc's print class accepts:
 * separators (Zs other than space) and format characters (Cf), private use. */
static const uint32_t not_printable[][2] = {
    {0xA0, 0xA0}, {0xAD, 0xAD}, {0x600, 0x605}, {0x61C, 0x61C}, {0x6DD, 0x6DD}, {0x70F, 0x70F},
    {0x890, 0x891}, {0x8E2, 0x8E2}, {0x1680, 0x1680}, {0x180E, 0x180E}, {0x2000, 0x200F},
    {0x202A, 0x202F}, {0x205F, 0x2064}, {0x2066, 0x206F}, {0x3000, 0x3000}, {0xE000, 0xF8FF},
    {0xFEFF, 0xFEFF}, {0xFFF9, 0xFFFB}, {0x110BD, 0x110BD}, {0x110CD, 0x110CD}, {0x13430, 0x13438},
    {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A}, {0xE0001, 0xE0001}, {0xE0020, 0xE007F},
    {0xF0000, 0xFFFFD}, {0x100000, 0x10FFFD},
};

int uc_isprintable(uint32_t c)
{
    if (c < 0x80) return c >= 0x20 && c < 0x7F;
    for (size_t i = 0; i < sizeof not_printable / sizeof not_printable[0]; i++)
        if (c >= not_printable[i][0] && c <= not_printable[i][1]) return 0;
    locale_t l = utf8_locale();
    return l ? iswprint_l((wint_t)c, l) != 0 : c >= 0xA0;
}

size_t uc_utf8_get(const char *s, size_t n, size_t i, uint32_t *cp)
{
    unsigned char c = (unsigned char)s[i];
    int len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    if (i + (size_t)len > n) len = 1;
    uint32_t v = len == 1 ? c : len == 2 ? c & 31u : len == 3 ? c & 15u : c & 7u;
    for (int k = 1; k < len; k++) v = (v << 6) | ((unsigned char)s[i + k] & 63u);
    *cp = v;
    return (size_t)len;
}
