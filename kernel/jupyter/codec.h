/* codec.h — Jupyter messages: wire frames <-> a message struct.
 *
 * Wire form: [identities…] "<IDS|MSG>" signature header parent_header
 * metadata content [buffers…]. kn_decode checks the frame count, the
 * signature (over the raw frames, before any JSON is parsed), the replay
 * set, then sizes, then parses. kn_encode builds and signs a message whose
 * parent_header is the request's header frame, byte for byte.
 *
 * A kn_session is one kernel start: its signer, replay set, session id and
 * username. It is shared by all threads (everything in it is read-only or
 * locked).
 */
#ifndef CGPU_KN_CODEC_H
#define CGPU_KN_CODEC_H

#include <stddef.h>
#include <jansson.h>
#include "mime_json.h"
#include "utf8.h"

#include "hmac.h"
#include "transport.h"

#define KN_PROTOCOL_VERSION "5.3"
#define KN_DELIM "<IDS|MSG>"
/* Largest header / parent_header / metadata frame, and content frame,
 * accepted; larger messages are answered with an error (or dropped when no
 * reply is possible). Buffers are not limited here. */
#define KN_MAX_HEADER  (1u << 20)
#define KN_MAX_CONTENT (8u << 20)
#define KN_DIGEST_HISTORY (1u << 16) /* jupyter_client's digest_history_size */

/* Owned by the kernel (kn_session_free). */
typedef struct kn_session {
    kn_signer  *signer;      /* owned */
    kn_digests *seen;        /* owned; NULL when unsigned */
    char        id[37];      /* uuid4, one per kernel start */
    char       *fixed;       /* pre-escaped `"session":…,"username":…,"version":…` */
} kn_session;

/* Takes ownership of signer. username NULL: $USER, else "cgpu".
 * Returns NULL when out of memory. */
kn_session *kn_session_new(kn_signer *signer, const char *username);
void        kn_session_free(kn_session *s);

/* A decoded message. Owned by whoever decoded it (kn_msg_clear). */
typedef struct kn_msg {
    kn_frames   idents;     /* routing identities, in order */
    kn_frame    header_raw; /* the header frame verbatim: replies' parent_header */
    json_t     *header, *parent, *metadata, *content;  /* owned references */
    kn_frames   buffers;
    const char *msg_type;   /* borrowed from header */
    const char *msg_id;     /* borrowed from header; "" when absent */
} kn_msg;

typedef enum {
    KN_DECODE_OK = 0,
    KN_DECODE_BAD_CONTENT,  /* header fine, the rest unusable: reply with an error */
    KN_DECODE_DROP,         /* drop it (bad signature, replay, no header…) */
} kn_decode_status;

/* Consumes *frames (left empty). On KN_DECODE_OK and KN_DECODE_BAD_CONTENT
 * *m holds the message (idents, header, msg_type always; the rest may be
 * NULL for BAD_CONTENT) and must be cleared by the caller; on DROP *m is
 * left cleared. `why` gets a one-line reason for anything but OK, never
 * containing key material. */
kn_decode_status kn_decode(kn_session *s, kn_frames *frames, kn_msg *m, char *why, size_t whycap);
void kn_msg_clear(kn_msg *m);

/* Builds a signed message into *out (appended to; caller frees).
 * prefix: identities (ROUTER) or a topic (PUB), may be NULL.
 * parent_raw: the request's header frame, NULL for "{}".
 * metadata, content: borrowed, NULL for "{}".
 * Returns 0, or -1 when out of memory / signing fails. */
int kn_encode(kn_session *s, kn_frames *out, const kn_frames *prefix, const char *msg_type,
              const kn_frame *parent_raw, json_t *metadata, json_t *content);

/* Same, with metadata and content already serialized (borrowed bytes). */
int kn_encode_raw(kn_session *s, kn_frames *out, const kn_frames *prefix, const char *msg_type,
                  const kn_frame *parent_raw, const char *metadata, size_t mdlen,
                  const char *content, size_t clen);

/* ---- small helpers shared by the protocol files -------------------------- */

/* ISO 8601 UTC with microseconds, e.g. "2024-05-01T12:00:00.123456Z". */
void kn_iso_now(char buf[64]);
/* A random uuid4 (36 characters). Thread-safe. */
void kn_uuid4(char buf[37]);
/* Text, UTF-8 and MIME values in JSON: runtime/common/mime_json.h and runtime/common/utf8.h
 * (the rules the notebook writer shares). */
/* Monotonic seconds. */
double kn_now(void);

/* Logging to stderr, one line, prefixed "[cgpu-kernel]". kn_log_quiet = 1
 * silences it (unit tests). Never given key material. */
extern int kn_log_quiet;
void kn_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* kn_log_debug = 1 (CGPU_KERNEL_DEBUG=1 in the environment) also logs every
 * message received and sent: channel, msg_type, msg_id, parent msg_id. */
extern int kn_log_debug;
void kn_log_msg(const char *dir, const char *channel, const kn_frames *frames);

#endif
