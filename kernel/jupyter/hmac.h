/* hmac.h — message signatures and the replay guard.
 *
 * A message's signature is the lowercase hex HMAC of its header,
 * parent_header, metadata and content frames (raw bytes, in that order),
 * keyed by the connection file's key with its signature_scheme
 * ("hmac-sha256" by default). Verification runs over the raw frames before
 * any JSON is parsed, compares lengths first and the bytes in constant time.
 *
 * kn_digests remembers the signatures already accepted, as jupyter_client's
 * Session does (digest_history, 2**16 entries), so a captured message cannot
 * be replayed; when full the oldest entry is forgotten.
 */
#ifndef CGPU_KN_HMAC_H
#define CGPU_KN_HMAC_H

#include <stddef.h>

#define KN_SIG_HEX_MAX 128 /* sha512/blake2b: 64 bytes -> 128 hex digits */

/* Owned by its creator (kn_signer_free); read-only after creation, so it
 * may be used from several threads at once. */
typedef struct kn_signer kn_signer;

/* scheme: "hmac-<hash>" with a hash name Python's hashlib knows (md5, sha1,
 * sha224, sha256, sha384, sha512, sha3_224..sha3_512, blake2b, blake2s).
 * key of length 0: messages are neither signed nor checked.
 * Returns NULL and a message in err on an unknown scheme or OpenSSL failure. */
kn_signer *kn_signer_new(const char *scheme, const void *key, size_t keylen,
                         char *err, size_t errcap);
void kn_signer_free(kn_signer *s);
int  kn_signer_enabled(const kn_signer *s); /* 1 when a key was given */
size_t kn_signer_hexlen(const kn_signer *s); /* 2 * digest size; 0 unsigned */

/* Writes the hex signature of the n parts into hex (room for
 * KN_SIG_HEX_MAX + 1 bytes, NUL-terminated). Returns its length (0 when
 * unsigned), or -1 when OpenSSL fails. */
int kn_sign(const kn_signer *s, const void *const *parts, const size_t *lens, int n, char *hex);

/* 1 when sig (siglen bytes of hex) is the signature of the parts, else 0.
 * Always 1 for an unsigned signer. Constant time in the signature bytes. */
int kn_verify(const kn_signer *s, const void *sig, size_t siglen,
              const void *const *parts, const size_t *lens, int n);

/* Seen-signature set. Thread-safe. Owned by its creator. */
typedef struct kn_digests kn_digests;
kn_digests *kn_digests_new(size_t capacity); /* NULL when out of memory */
void        kn_digests_free(kn_digests *d);
/* Returns 1 when sig was already recorded (a replay); otherwise records it
 * (forgetting the oldest entry when full) and returns 0. */
int         kn_digests_check_add(kn_digests *d, const void *sig, size_t len);

#endif
