/* kernel_codec.c — frames <-> messages: round trips, signatures checked
 * before parsing, garbage, sizes, ids, dates, UTF-8. */
#include "test.h"

#include <regex.h>

#include "kernel_client.h"

static kn_session *new_session(void) {
    return kn_session_new(client_signer(), "tester");
}

TEST(encode_decode_round_trip) {
    kn_session *s = new_session();
    kn_frames ids = {0}, out = {0};
    kn_frames_push(&ids, "ident-A", 7);
    kn_frames_push(&ids, "ident-B", 7);
    const char *parent = "{\"msg_id\":\"req-1\",\"msg_type\":\"execute_request\",\"z\":1,\"a\":2}";
    kn_frame pr = { (unsigned char *)parent, strlen(parent) };
    json_t *content = json_pack("{s:s, s:i, s:[i,i]}", "text", "h\xc3\xa9llo", "n", 7, "list", 1, 2);
    json_t *md = json_pack("{s:b}", "flag", 1);
    CHECK(kn_encode(s, &out, &ids, "stream", &pr, md, content) == 0);
    CHECK(out.n == 2 + 6);
    CHECK(out.v[2].len == 9 && memcmp(out.v[2].data, "<IDS|MSG>", 9) == 0);
    /* parent_header is the request's header frame, byte for byte */
    CHECK(out.v[5].len == strlen(parent) && memcmp(out.v[5].data, parent, strlen(parent)) == 0);

    kn_msg m;
    char why[256];
    kn_frames copy = {0};
    for (int i = 0; i < out.n; i++) kn_frames_push(&copy, out.v[i].data, out.v[i].len);
    CHECK(kn_decode(s, &copy, &m, why, sizeof why) == KN_DECODE_OK);
    CHECK(copy.n == 0);
    CHECK(m.idents.n == 2 && memcmp(m.idents.v[1].data, "ident-B", 7) == 0);
    CHECK_STR(m.msg_type, "stream");
    CHECK(strlen(m.msg_id) == 36);
    CHECK_STR(jstr(m.header, "session"), s->id);
    CHECK_STR(jstr(m.header, "username"), "tester");
    CHECK_STR(jstr(m.header, "version"), "5.3");
    CHECK_STR(jstr(m.parent, "msg_id"), "req-1");
    CHECK(json_is_true(json_object_get(m.metadata, "flag")));
    CHECK(json_equal(m.content, content));
    CHECK(m.buffers.n == 0);
    kn_msg_clear(&m);

    /* the same frames again: a replay */
    for (int i = 0; i < out.n; i++) kn_frames_push(&copy, out.v[i].data, out.v[i].len);
    CHECK(kn_decode(s, &copy, &m, why, sizeof why) == KN_DECODE_DROP);
    CHECK(strstr(why, "duplicate") != NULL);
    kn_frames_free(&out);
    kn_frames_free(&ids);
    json_decref(content);
    json_decref(md);
    kn_session_free(s);
}

TEST(buffers_survive_decode) {
    kn_session *s = new_session();
    kn_signer *c = client_signer();
    kn_frames f = make_request(c, "comm_msg", "b1", "{\"comm_id\":\"x\",\"data\":{}}");
    kn_frames_push(&f, "\x00\x01\x02", 3);
    kn_frames_push(&f, "", 0);
    kn_msg m;
    char why[256];
    CHECK(kn_decode(s, &f, &m, why, sizeof why) == KN_DECODE_OK);
    CHECK(m.buffers.n == 2 && m.buffers.v[0].len == 3 && m.buffers.v[0].data[2] == 2 && m.buffers.v[1].len == 0);
    kn_msg_clear(&m);
    kn_signer_free(c);
    kn_session_free(s);
}

TEST(bad_signature_dropped_before_parsing) {
    kn_session *s = new_session();
    char err[100];
    kn_signer *wrong = kn_signer_new("hmac-sha256", "not-the-key", 11, err, sizeof err);
    /* invalid JSON everywhere, but a wrong signature: dropped for the signature */
    kn_frames f = make_request_raw(wrong, "id", "execute_request", "m1", "{{{", 3);
    kn_msg m;
    char why[256];
    CHECK(kn_decode(s, &f, &m, why, sizeof why) == KN_DECODE_DROP);
    CHECK_STR(why, "invalid signature");
    CHECK(m.header == NULL && m.idents.n == 0);
    /* unsigned message to a signed session */
    kn_signer *none = kn_signer_new("hmac-sha256", "", 0, err, sizeof err);
    f = make_request(none, "kernel_info_request", "m2", "{}");
    CHECK(kn_decode(s, &f, &m, why, sizeof why) == KN_DECODE_DROP);
    CHECK_STR(why, "unsigned message");
    /* signature of the right length, one hex digit off */
    kn_signer *c = client_signer();
    f = make_request(c, "kernel_info_request", "m3", "{}");
    int d = 1;
    f.v[d + 1].data[5] ^= 1;
    CHECK(kn_decode(s, &f, &m, why, sizeof why) == KN_DECODE_DROP);
    CHECK_STR(why, "invalid signature");
    kn_signer_free(wrong);
    kn_signer_free(none);
    kn_signer_free(c);
    kn_session_free(s);
}

TEST(garbage_frames) {
    kn_session *s = new_session();
    kn_signer *c = client_signer();
    kn_msg m;
    char why[256];
    kn_frames f = {0};
    CHECK(kn_decode(s, &f, &m, why, sizeof why) == KN_DECODE_DROP);   /* no frames */
    kn_frames_push(&f, "hello", 5);
    CHECK(kn_decode(s, &f, &m, why, sizeof why) == KN_DECODE_DROP);   /* no delimiter */
    CHECK(strstr(why, "delimiter") != NULL);
    kn_frames_push(&f, "id", 2);
    kn_frames_push(&f, KN_DELIM, 9);
    kn_frames_push(&f, "sig", 3);
    kn_frames_push(&f, "{}", 2);
    CHECK(kn_decode(s, &f, &m, why, sizeof why) == KN_DECODE_DROP);   /* too few */
    CHECK(strstr(why, "too few frames") != NULL);

    /* header without msg_type: dropped, nothing can be answered */
    f = make_request_raw(c, "id", NULL, "h1", "{}", 2);
    CHECK(kn_decode(s, &f, &m, why, sizeof why) == KN_DECODE_DROP);
    CHECK(strstr(why, "msg_type") != NULL);

    /* invalid content: answerable */
    f = make_request_raw(c, "id", "execute_request", "h2", "{\"code\": ", 9);
    CHECK(kn_decode(s, &f, &m, why, sizeof why) == KN_DECODE_BAD_CONTENT);
    CHECK(strstr(why, "content is not valid JSON") != NULL);
    CHECK_STR(m.msg_type, "execute_request");
    CHECK(m.idents.n == 1 && m.header_raw.len > 0);
    kn_msg_clear(&m);

    /* content that is JSON but not an object */
    f = make_request_raw(c, "id", "execute_request", "h3", "[1]", 3);
    CHECK(kn_decode(s, &f, &m, why, sizeof why) == KN_DECODE_BAD_CONTENT);
    kn_msg_clear(&m);

    /* a 9 MiB content: over the limit, answerable, not parsed */
    size_t big = 9u << 20;
    char *huge = malloc(big);
    memset(huge, ' ', big);
    huge[0] = '{';
    huge[big - 1] = '}';
    f = make_request_raw(c, "id", "execute_request", "h4", huge, big);
    CHECK(kn_decode(s, &f, &m, why, sizeof why) == KN_DECODE_BAD_CONTENT);
    CHECK(strstr(why, "content too large") != NULL);
    CHECK(m.content == NULL);
    kn_msg_clear(&m);
    free(huge);
    kn_signer_free(c);
    kn_session_free(s);
}

TEST(unsigned_session_accepts_any_signature) {
    char err[100];
    kn_session *s = kn_session_new(kn_signer_new("hmac-sha256", "", 0, err, sizeof err), NULL);
    CHECK(s->seen == NULL);
    kn_signer *none = kn_signer_new("hmac-sha256", "", 0, err, sizeof err);
    kn_frames f = make_request(none, "kernel_info_request", "u1", "{}");
    kn_msg m;
    char why[256];
    CHECK(kn_decode(s, &f, &m, why, sizeof why) == KN_DECODE_OK);
    kn_msg_clear(&m);
    /* the session's own output is unsigned: empty signature frame */
    kn_frames out = {0};
    CHECK(kn_encode(s, &out, NULL, "status", NULL, NULL, NULL) == 0);
    CHECK(out.n == 6 && out.v[1].len == 0);
    CHECK(out.v[3].len == 2 && memcmp(out.v[3].data, "{}", 2) == 0);
    kn_frames_free(&out);
    kn_signer_free(none);
    kn_session_free(s);
}

TEST(ids_and_dates) {
    char a[37], b[37], d[64];
    regex_t uuid, iso;
    regcomp(&uuid, "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", REG_EXTENDED | REG_NOSUB);
    regcomp(&iso, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z$", REG_EXTENDED | REG_NOSUB);
    kn_uuid4(a);
    kn_uuid4(b);
    CHECK(regexec(&uuid, a, 0, NULL, 0) == 0);
    CHECK(strcmp(a, b) != 0);
    kn_iso_now(d);
    CHECK(regexec(&iso, d, 0, NULL, 0) == 0);
    int same = 0;
    for (int i = 0; i < 10000; i++) { kn_uuid4(b); same += strcmp(a, b) == 0; }
    CHECK(same == 0);
    regfree(&uuid);
    regfree(&iso);
}

TEST(utf8_helpers) {
    CHECK(utf8_complete("abc", 3) == 3);
    CHECK(utf8_complete("a\xc3", 2) == 1);            /* cut é */
    CHECK(utf8_complete("a\xc3\xa9", 3) == 3);
    CHECK(utf8_complete("\xe4\xb8", 2) == 0);         /* cut 中 */
    CHECK(utf8_complete("x\xf0\x9f\x98", 4) == 1);    /* cut 😀 */
    CHECK(utf8_complete("x\xf0\x9f\x98\x80", 5) == 5);
    json_t *j = mime_json_text("ok\xff\xc3(\xe4\xb8\xad", 8);
    CHECK(j != NULL);
    CHECK_STR(json_string_value(j), "ok\xef\xbf\xbd\xef\xbf\xbd(\xe4\xb8\xad");
    json_decref(j);
    j = mime_json_text("a\0b", 3);                          /* NUL kept */
    CHECK(json_string_length(j) == 3);
    json_decref(j);
    j = mime_json_value("application/json", "{\"a\": [1, 2]}");
    CHECK(json_is_object(j));
    json_decref(j);
    j = mime_json_value("application/vnd.vegalite.v5+json", "not json");
    CHECK(json_is_string(j));
    json_decref(j);
    j = mime_json_value("text/plain", "{\"a\":1}");
    CHECK(json_is_string(j));
    json_decref(j);
}

/* Random corruption of valid messages: decode never crashes, a signed
 * session drops every change to the signed frames, and an unsigned one
 * parses what it can (this is where the JSON paths meet garbage). */
TEST(random_mutations_never_crash) {
    char err[100];
    kn_session *signed_s = new_session();
    kn_session *open_s = kn_session_new(kn_signer_new("hmac-sha256", "", 0, err, sizeof err), NULL);
    kn_signer *c = client_signer();
    unsigned seed = 12345;
    int accepted_signed = 0, outcomes[3] = {0};
    for (int it = 0; it < 20000; it++) {
        char content[128];
        snprintf(content, sizeof content, "{\"code\":\"print(%d)\",\"silent\":false,\"n\":[1,{\"a\":null}]}", it);
        char id[32];
        snprintf(id, sizeof id, "m%d", it);
        kn_frames f = make_request(c, "execute_request", id, content);
        kn_frames orig = {0};
        for (int i = 0; i < f.n; i++) kn_frames_push(&orig, f.v[i].data, f.v[i].len);
        int nmut = 1 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % 4;
        for (int k = 0; k < nmut; k++) {
            seed = seed * 1103515245u + 12345u;
            int fi = 2 + (int)((seed >> 8) % (unsigned)(f.n - 2)); /* a signed frame or the signature */
            kn_frame *fr = &f.v[fi];
            switch ((seed >> 20) % 4) {
            case 0: if (fr->len) fr->data[(seed >> 3) % fr->len] ^= (unsigned char)(1 + (seed >> 11) % 255); break;
            case 1: fr->len = fr->len ? (seed >> 5) % fr->len : 0; break;      /* truncate */
            case 2: /* a JSON-significant byte (always a change) */
                if (fr->len) {
                    unsigned char *b = &fr->data[(seed >> 3) % fr->len];
                    unsigned char nb = (unsigned char)"{}[]\",:\\\0\xff"[(seed >> 13) % 10];
                    *b = nb != *b ? nb : (unsigned char)(nb ^ 1);
                }
                break;
            case 3: if (f.n > 3) { free(f.v[f.n - 1].data); f.n--; } break;    /* drop the last frame */
            }
        }
        kn_frames g = {0};
        for (int i = 0; i < f.n; i++) kn_frames_push(&g, f.v[i].data, f.v[i].len);
        kn_msg m;
        char why[256];
        kn_decode_status st = kn_decode(signed_s, &f, &m, why, sizeof why);
        /* mutations may cancel out (a byte changed, then changed back) */
        int same = g.n == orig.n;
        for (int i = 0; same && i < g.n; i++)
            same = g.v[i].len == orig.v[i].len && memcmp(g.v[i].data, orig.v[i].data, g.v[i].len) == 0;
        kn_frames_free(&orig);
        if (st != KN_DECODE_DROP) { accepted_signed += !same; kn_msg_clear(&m); }
        st = kn_decode(open_s, &g, &m, why, sizeof why);
        outcomes[st]++;
        if (st != KN_DECODE_DROP) { CHECK(m.msg_type != NULL && m.header != NULL); kn_msg_clear(&m); }
    }
    CHECK(accepted_signed == 0);
    /* the unsigned session saw all three outcomes */
    CHECK(outcomes[KN_DECODE_OK] > 0 && outcomes[KN_DECODE_BAD_CONTENT] > 0 && outcomes[KN_DECODE_DROP] > 0);
    kn_signer_free(c);
    kn_session_free(signed_s);
    kn_session_free(open_s);
}

int main(void) {
    kn_log_quiet = getenv("TEST_VERBOSE") == NULL;
    RUN(encode_decode_round_trip);
    RUN(buffers_survive_decode);
    RUN(bad_signature_dropped_before_parsing);
    RUN(garbage_frames);
    RUN(unsigned_session_accepts_any_signature);
    RUN(ids_and_dates);
    RUN(utf8_helpers);
    RUN(random_mutations_never_crash);
    return test_summary();
}
