/* hmac.c — HMAC signing/verification (OpenSSL) and the replay set.
 *
 * hmac-sha256, the scheme every Jupyter client uses, is computed from
 * OpenSSL's SHA-256 block functions with the keyed inner and outer states
 * prepared once (RFC 2104): this skips OpenSSL's provider set-up, about
 * 1.5 ms and 40 page faults at start, and the EVP context copy, allocation
 * and provider dispatch on every message. The other schemes go through
 * EVP_MAC. An OpenSSL built without the 3.0-deprecated SHA256_* functions
 * uses EVP_MAC for every scheme.
 */
/* SHA256_Init/Update/Final are deprecated in OpenSSL 3.0, not removed. */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "hmac.h"

#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#if !defined(OPENSSL_NO_DEPRECATED_3_0)
#include <openssl/sha.h>
#define KN_HMAC_SHA256_DIRECT 1
#else
#define KN_HMAC_SHA256_DIRECT 0
#endif

/* Owned by its creator. The keyed state (`tmpl`, or `inner`/`outer`) is
 * only copied, never updated, which is what makes the signer shareable
 * across threads. */
struct kn_signer {
    EVP_MAC     *mac;
    EVP_MAC_CTX *tmpl;    /* EVP schemes; NULL otherwise */
    int          enabled; /* a key was given */
    size_t       mdsize;  /* digest bytes */
#if KN_HMAC_SHA256_DIRECT
    int          sha256;  /* hmac-sha256 through inner/outer below */
    SHA256_CTX   inner;   /* after key ^ ipad */
    SHA256_CTX   outer;   /* after key ^ opad */
#endif
};

#if KN_HMAC_SHA256_DIRECT
/* Prepares the HMAC-SHA256 inner and outer states for key (RFC 2104:
 * keys longer than the 64-byte block are hashed first). */
static void sha256_key(kn_signer *s, const unsigned char *key, size_t keylen) {
    unsigned char k[SHA256_CBLOCK], pad[SHA256_CBLOCK];
    memset(k, 0, sizeof k);
    if (keylen > sizeof k) {
        SHA256_CTX c;
        SHA256_Init(&c);
        SHA256_Update(&c, key, keylen);
        SHA256_Final(k, &c);
        OPENSSL_cleanse(&c, sizeof c);
    } else {
        memcpy(k, key, keylen);
    }
    for (size_t i = 0; i < sizeof k; i++) pad[i] = k[i] ^ 0x36;
    SHA256_Init(&s->inner);
    SHA256_Update(&s->inner, pad, sizeof pad);
    for (size_t i = 0; i < sizeof k; i++) pad[i] = k[i] ^ 0x5c;
    SHA256_Init(&s->outer);
    SHA256_Update(&s->outer, pad, sizeof pad);
    OPENSSL_cleanse(k, sizeof k);
    OPENSSL_cleanse(pad, sizeof pad);
}
#endif

/* hashlib names -> OpenSSL digest names. Python spells SHA-3 with '_' and
 * BLAKE2 without the size; everything else maps by upper-casing. */
static int openssl_digest_name(const char *hashlib_name, char *out, size_t cap) {
    if (strcmp(hashlib_name, "blake2b") == 0) return snprintf(out, cap, "BLAKE2B-512") < (int)cap ? 0 : -1;
    if (strcmp(hashlib_name, "blake2s") == 0) return snprintf(out, cap, "BLAKE2S-256") < (int)cap ? 0 : -1;
    size_t n = strlen(hashlib_name);
    if (n == 0 || n + 1 > cap) return -1;
    for (size_t i = 0; i < n; i++) {
        char c = hashlib_name[i];
        if (!(isalnum((unsigned char)c) || c == '_')) return -1;
        out[i] = c == '_' ? '-' : (char)toupper((unsigned char)c);
    }
    out[n] = '\0';
    /* hashlib's shake_* are XOFs: hmac.new() refuses them, so do we. */
    if (strncmp(out, "SHAKE", 5) == 0) return -1;
    return 0;
}

kn_signer *kn_signer_new(const char *scheme, const void *key, size_t keylen,
                         char *err, size_t errcap) {
    char name[64];
    if (!scheme || strncmp(scheme, "hmac-", 5) != 0 ||
        openssl_digest_name(scheme + 5, name, sizeof name) != 0) {
        snprintf(err, errcap, "unknown signature_scheme \"%s\" (expected hmac-<hash>, e.g. hmac-sha256)",
                 scheme ? scheme : "(null)");
        return NULL;
    }
#if KN_HMAC_SHA256_DIRECT
    if (strcmp(name, "SHA256") == 0) {
        kn_signer *s = calloc(1, sizeof *s);
        if (!s) { snprintf(err, errcap, "out of memory"); return NULL; }
        s->mdsize = SHA256_DIGEST_LENGTH;
        s->sha256 = 1;
        if (keylen > 0) {
            sha256_key(s, key, keylen);
            s->enabled = 1;
        }
        return s;
    }
#endif
    /* Only HMAC and one digest are used: skip openssl.cnf, the legacy
     * cipher/digest name tables and the error strings (about 0.6 MB less
     * resident), and ask the default provider for this one digest by name. */
    OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ADD_ALL_CIPHERS |
                        OPENSSL_INIT_NO_ADD_ALL_DIGESTS | OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS, NULL);
    EVP_MD *md = EVP_MD_fetch(NULL, name, NULL);
    if (!md) {
        snprintf(err, errcap, "unknown signature_scheme \"%s\": OpenSSL has no digest %s", scheme, name);
        return NULL;
    }
    size_t mdsize = (size_t)EVP_MD_get_size(md);
    EVP_MD_free(md);
    kn_signer *s = calloc(1, sizeof *s);
    if (!s) { snprintf(err, errcap, "out of memory"); return NULL; }
    s->mdsize = mdsize;
    if (s->mdsize == 0 || s->mdsize * 2 > KN_SIG_HEX_MAX) {
        snprintf(err, errcap, "signature_scheme \"%s\": unsupported digest size", scheme);
        goto fail;
    }
    if (keylen == 0) return s;

    s->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (!s->mac || !(s->tmpl = EVP_MAC_CTX_new(s->mac))) {
        snprintf(err, errcap, "OpenSSL: HMAC is not available");
        goto fail;
    }
    OSSL_PARAM params[2] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, name, 0),
        OSSL_PARAM_construct_end(),
    };
    if (!EVP_MAC_init(s->tmpl, key, keylen, params)) {
        snprintf(err, errcap, "OpenSSL: cannot key HMAC with digest %s", name);
        goto fail;
    }
    s->enabled = 1;
    return s;
fail:
    kn_signer_free(s);
    return NULL;
}

void kn_signer_free(kn_signer *s) {
    if (!s) return;
    EVP_MAC_CTX_free(s->tmpl);
    EVP_MAC_free(s->mac);
    OPENSSL_cleanse(s, sizeof *s); /* the keyed states */
    free(s);
}

int kn_signer_enabled(const kn_signer *s) { return s && s->enabled; }
size_t kn_signer_hexlen(const kn_signer *s) { return kn_signer_enabled(s) ? 2 * s->mdsize : 0; }

/* Raw digest of the parts into out (mdsize bytes). 0 or -1. */
static int mac_parts(const kn_signer *s, const void *const *parts, const size_t *lens, int n,
                     unsigned char *out) {
#if KN_HMAC_SHA256_DIRECT
    if (s->sha256) {
        SHA256_CTX c = s->inner;
        unsigned char inner[SHA256_DIGEST_LENGTH];
        int ok = 1;
        for (int i = 0; i < n && ok; i++)
            if (lens[i]) ok = SHA256_Update(&c, parts[i], lens[i]);
        ok = ok && SHA256_Final(inner, &c);
        c = s->outer;
        ok = ok && SHA256_Update(&c, inner, sizeof inner) && SHA256_Final(out, &c);
        OPENSSL_cleanse(&c, sizeof c);
        return ok ? 0 : -1;
    }
#endif
    EVP_MAC_CTX *c = EVP_MAC_CTX_dup(s->tmpl);
    if (!c) return -1;
    int ok = 1;
    for (int i = 0; i < n && ok; i++)
        if (lens[i]) ok = EVP_MAC_update(c, parts[i], lens[i]);
    size_t outl = 0;
    if (ok) ok = EVP_MAC_final(c, out, &outl, 64);
    EVP_MAC_CTX_free(c);
    return ok && outl == s->mdsize ? 0 : -1;
}

int kn_sign(const kn_signer *s, const void *const *parts, const size_t *lens, int n, char *hex) {
    static const char digits[] = "0123456789abcdef";
    hex[0] = '\0';
    if (!kn_signer_enabled(s)) return 0;
    unsigned char d[64];
    if (mac_parts(s, parts, lens, n, d) != 0) return -1;
    for (size_t i = 0; i < s->mdsize; i++) {
        hex[2 * i] = digits[d[i] >> 4];
        hex[2 * i + 1] = digits[d[i] & 15];
    }
    hex[2 * s->mdsize] = '\0';
    return (int)(2 * s->mdsize);
}

int kn_verify(const kn_signer *s, const void *sig, size_t siglen,
              const void *const *parts, const size_t *lens, int n) {
    if (!kn_signer_enabled(s)) return 1;
    if (siglen != 2 * s->mdsize) return 0; /* length first: it is not secret */
    char want[KN_SIG_HEX_MAX + 1];
    if (kn_sign(s, parts, lens, n, want) < 0) return 0;
    return CRYPTO_memcmp(want, sig, siglen) == 0;
}

/* ---- the replay set ---------------------------------------------------------
 * A FIFO ring of the last `cap` accepted signatures plus a chained hash index
 * over it. Entries keep the first KEYLEN bytes of the signature: accepted
 * signatures are HMAC outputs, uniformly distributed, so 32 bytes identify
 * them as well as the whole. Links store slot + 1 (0: none), so the arrays
 * come zeroed from calloc and stay untouched (not resident) until used. */
#define KEYLEN 32

/* Owned by its creator; every access holds `lock`. */
struct kn_digests {
    pthread_mutex_t lock;
    uint32_t cap, count, head;  /* ring: head is the next slot to fill */
    uint32_t nbuckets;          /* power of two */
    unsigned char (*key)[KEYLEN];
    uint32_t *next;             /* chain link per slot: slot + 1, 0 at the end */
    uint32_t *bucket;           /* first slot + 1 per bucket, 0 when empty */
};

kn_digests *kn_digests_new(size_t capacity) {
    if (capacity < 1) capacity = 1;
    if (capacity > (1u << 24)) capacity = 1u << 24;
    kn_digests *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->cap = (uint32_t)capacity;
    d->nbuckets = 1;
    while (d->nbuckets < 2 * d->cap) d->nbuckets <<= 1;
    d->key = calloc(d->cap, KEYLEN);
    d->next = calloc(d->cap, sizeof *d->next);
    d->bucket = calloc(d->nbuckets, sizeof *d->bucket);
    if (!d->key || !d->next || !d->bucket) { kn_digests_free(d); return NULL; }
    pthread_mutex_init(&d->lock, NULL);
    return d;
}

void kn_digests_free(kn_digests *d) {
    if (!d) return;
    if (d->key && d->next && d->bucket) pthread_mutex_destroy(&d->lock);
    free(d->key); free(d->next); free(d->bucket);
    free(d);
}

static uint32_t bucket_of(const kn_digests *d, const unsigned char *k) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a: also fine for short or non-random keys */
    for (int i = 0; i < KEYLEN; i++) { h ^= k[i]; h *= 1099511628211ull; }
    return (uint32_t)(h ^ (h >> 32)) & (d->nbuckets - 1);
}

int kn_digests_check_add(kn_digests *d, const void *sig, size_t len) {
    unsigned char k[KEYLEN] = {0};
    /* Longer signatures (hex of 32+ byte digests) keep their first and last
     * 16 characters: 128 bits of an HMAC output. */
    if (len <= KEYLEN) memcpy(k, sig, len);
    else { memcpy(k, sig, KEYLEN / 2); memcpy(k + KEYLEN / 2, (const char *)sig + len - KEYLEN / 2, KEYLEN / 2); }

    pthread_mutex_lock(&d->lock);
    uint32_t b = bucket_of(d, k);
    for (uint32_t i = d->bucket[b]; i; i = d->next[i - 1])
        if (memcmp(d->key[i - 1], k, KEYLEN) == 0) { pthread_mutex_unlock(&d->lock); return 1; }

    uint32_t slot = d->head;
    if (d->count == d->cap) { /* evict the oldest: unlink it from its chain */
        uint32_t *p = &d->bucket[bucket_of(d, d->key[slot])];
        while (*p && *p != slot + 1) p = &d->next[*p - 1];
        if (*p) *p = d->next[slot];
    } else {
        d->count++;
    }
    memcpy(d->key[slot], k, KEYLEN);
    d->next[slot] = d->bucket[b];
    d->bucket[b] = slot + 1;
    d->head = (slot + 1) % d->cap;
    pthread_mutex_unlock(&d->lock);
    return 0;
}
