/* fuzz_conn.c — libFuzzer harness for the connection-file parser.
 *
 * kn_conn_parse on arbitrary bytes; on success the parsed file must be
 * sane (ports in range, strings present), every endpoint must format or
 * fail cleanly, the signer must accept or refuse the scheme without
 * crashing, and an error message never contains the key.
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jupyter/codec.h"
#include "jupyter/conn.h"
#include "jupyter/hmac.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    kn_log_quiet = 1;
    return 0;
}

/* The first bytes of the "key" string as written in the file (up to a
 * quote or backslash), at least 6 of them, into out; 0 when there is none. */
static int key_prefix(const uint8_t *data, size_t size, char *out, size_t cap) {
    const uint8_t *k = memmem(data, size, "\"key\"", 5);
    if (!k) return 0;
    const uint8_t *p = k + 5, *end = data + size;
    while (p < end && (*p == ' ' || *p == ':' || *p == '\n' || *p == '\t')) p++;
    if (p >= end || *p != '"') return 0;
    p++;
    size_t n = 0;
    while (p + n < end && n + 1 < cap && p[n] != '"' && p[n] != '\\' && p[n] >= ' ') n++;
    if (n < 6) return 0;
    memcpy(out, p, n);
    out[n] = '\0';
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > (1u << 20)) return 0;
    kn_conn c;
    char err[512];
    err[0] = '\0';
    int r = kn_conn_parse((const char *)data, size, &c, err, sizeof err);
    if (r != 0) {
        assert(err[0] != '\0');
        /* a parse error must not quote the key: jansson's "near '...'" shows
         * the token being read, which may be the key string */
        char kp[64], near[80];
        if (key_prefix(data, size, kp, sizeof kp)) {
            snprintf(near, sizeof near, "near '\"%s", kp);
            if (strstr(err, near)) {
                fprintf(stderr, "fuzz_conn: the error message quotes the key: %s\n", err);
                abort();
            }
        }
        /* on failure the struct is left cleared */
        assert(c.ip == NULL && c.key == NULL && c.signature_scheme == NULL);
        return 0;
    }
    assert(c.ip && c.key && c.signature_scheme);
    assert(c.key[c.keylen] == '\0');
    for (int i = 0; i < KN_NPORTS; i++) {
        assert(c.port[i] >= 1 && c.port[i] <= 65535);
        char ep[256];
        int ipv6 = 0;
        if (kn_conn_endpoint(&c, i, ep, sizeof ep, &ipv6) == 0) {
            assert(strlen(ep) < sizeof ep);
            assert(strncmp(ep, c.ipc ? "ipc://" : "tcp://", 6) == 0);
        }
        char tiny[8];
        (void)kn_conn_endpoint(&c, i, tiny, sizeof tiny, &ipv6); /* too small: must fail cleanly */
    }
    char serr[256];
    kn_signer *s = kn_signer_new(c.signature_scheme, c.key, c.keylen, serr, sizeof serr);
    if (s) {
        const void *parts[1] = {data};
        size_t lens[1] = {size};
        char hex[KN_SIG_HEX_MAX + 1];
        int n = kn_sign(s, parts, lens, 1, hex);
        assert(n >= 0);
        if (n > 0) assert(kn_verify(s, hex, (size_t)n, parts, lens, 1) == 1);
        kn_signer_free(s);
    } else if (c.keylen >= 12 && !memmem(c.signature_scheme, strlen(c.signature_scheme), c.key, c.keylen)) {
        /* the key is never echoed (keys shorter than 12 bytes could match the
         * message text itself, e.g. "ha256" inside "hmac-sha256") */
        assert(memmem(serr, strlen(serr), c.key, c.keylen) == NULL);
    }
    kn_conn_clear(&c);
    return 0;
}
