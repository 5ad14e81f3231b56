/* utf8.c — UTF-8 rules (see utf8.h). */
#include "utf8.h"

int utf8_seq(const unsigned char *s, size_t avail)
{
    unsigned c = s[0];
    int n;
    unsigned min;
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) { n = 2; min = 0x80; }
    else if (c >= 0xe0 && c <= 0xef) { n = 3; min = 0x800; }
    else if (c >= 0xf0 && c <= 0xf4) { n = 4; min = 0x10000; }
    else return 0;
    if ((size_t)n > avail) return 0;
    unsigned cp = c & (0x7f >> n);
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return n;
}

size_t utf8_complete(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    /* Look back at most 3 bytes for the lead byte of the last character. */
    for (size_t back = 1; back <= 4 && back <= len; back++) {
        unsigned c = u[len - back];
        if ((c & 0xc0) == 0x80) continue;       /* continuation: keep looking */
        int need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
        return (size_t)need > back ? len - back : len;
    }
    return len;
}

size_t utf8_length(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80) count++;
    return count;
}

size_t utf8_valid_prefix(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        int k = utf8_seq(u + i, len - i);
        if (!k) break;
        i += (size_t)k;
    }
    return i;
}
