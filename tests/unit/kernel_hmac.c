/* kernel_hmac.c — message signatures against Python's hmac and
 * jupyter_client's Session.sign, and the replay set. The expected hex
 * strings were computed with /usr/bin/python3 (hmac.new(key, digestmod=...)
 * over the four frames, and Session(key=..., signature_scheme=...).sign(frames),
 * which agreed) for the key and frames below. */
#include "test.h"

#include "jupyter/hmac.h"

static const char KEY[] = "5f3c1a2e-9b7d-4e21-8c6f-0a1b2c3d4e5f";
static const char *FRAMES[4] = {
    "{\"msg_id\":\"a1\",\"msg_type\":\"kernel_info_request\",\"session\":\"s1\",\"username\":\"u\","
    "\"date\":\"2024-01-01T00:00:00.000000Z\",\"version\":\"5.3\"}",
    "{}", "{}", "{}",
};

static const struct { const char *scheme, *hex; } EXPECTED[] = {
    { "hmac-sha256", "bf8a4f71f61ac7d575141678ddea2995847cd9e9252846c0dea8d56f7db4f9d5" },
    { "hmac-md5", "76e9ad291189f3654c32d6d49c5249a6" },
    { "hmac-sha1", "a214e09df9d6cfecc457c0cca29b9f9c0cb8185b" },
    { "hmac-sha224", "d13e2fab687a8dbff965d1108e9288a80fb722e6465194a91bb4e2da" },
    { "hmac-sha384", "445e5ad7ce49cab0c59ddcc887cc0c28c5d1ffac4e9ff95deb529bcc2c0740448791750a097aab432503a73f9296d4ed" },
    { "hmac-sha512", "d1c22cf9cfaa5d695ef1e114287af626f0145230dda460ae99ffe72f81834e283f84944b6c84f235e825f7062a469f084b2c732c118b518091fbdb0900364afc" },
    { "hmac-sha3_256", "52a0ba701fd2f9c2e727d981eaf2f67d323ce46cc744f4d0125cf41d315a0011" },
    { "hmac-blake2b", "4ca7a64ce0e5c0d5ac6c7d2f82877764d4b1650df0f8c584460432a380f64c50c9ada5c6314dbd3f3ff2f2a6311644fa5c3df0e9241d839227b60b8e0f73ff30" },
    { "hmac-blake2s", "79d13d77a4cdb93103d3256f401891a77381a1c7a6d5d5bda6a36de95fb1b03a" },
};

static void frame_parts(const void **parts, size_t *lens) {
    for (int i = 0; i < 4; i++) { parts[i] = FRAMES[i]; lens[i] = strlen(FRAMES[i]); }
}

TEST(sign_matches_python_for_every_scheme) {
    const void *parts[4];
    size_t lens[4];
    frame_parts(parts, lens);
    for (size_t i = 0; i < sizeof EXPECTED / sizeof EXPECTED[0]; i++) {
        char err[200], hex[KN_SIG_HEX_MAX + 1];
        kn_signer *s = kn_signer_new(EXPECTED[i].scheme, KEY, strlen(KEY), err, sizeof err);
        CHECK(s != NULL);
        if (!s) { fprintf(stderr, "    %s: %s\n", EXPECTED[i].scheme, err); continue; }
        CHECK(kn_sign(s, parts, lens, 4, hex) == (int)strlen(EXPECTED[i].hex));
        CHECK_STR(hex, EXPECTED[i].hex);
        CHECK(kn_signer_hexlen(s) == strlen(EXPECTED[i].hex));
        CHECK(kn_verify(s, EXPECTED[i].hex, strlen(EXPECTED[i].hex), parts, lens, 4) == 1);
        kn_signer_free(s);
    }
}

/* A UTF-8 key and non-ASCII content (Session(key="clé-ünïcode".encode())). */
/* RFC 4231's HMAC-SHA256 vectors (1, 2, 3, 4, 6, 7: short keys, a key of
 * exactly one block, keys longer than the 64-byte block that are hashed
 * first) plus a 64-byte key, each message split into three parts (one
 * empty) as the four header/content frames are. */
static void fill(unsigned char *b, int c, size_t n) { memset(b, c, n); }

TEST(sha256_matches_rfc4231) {
    static unsigned char k20b[20], k20a[20], k25[25], k131[131], k64[64], d50dd[50], d50cd[50];
    fill(k20b, 0x0b, 20); fill(k20a, 0xaa, 20); fill(k131, 0xaa, 131); fill(k64, 'k', 64);
    fill(d50dd, 0xdd, 50); fill(d50cd, 0xcd, 50);
    for (int i = 0; i < 25; i++) k25[i] = (unsigned char)(i + 1);
    static const char t6[] = "Test Using Larger Than Block-Size Key - Hash Key First";
    static const char t7[] = "This is a test using a larger than block-size key and a larger than block-size data. "
                             "The key needs to be hashed before being used by the HMAC algorithm.";
    static const char t64[] = "exactly one block of key";
    struct { const void *key; size_t keylen; const void *data; size_t len; const char *hex; } v[] = {
        { k20b, 20, "Hi There", 8, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
        { "Jefe", 4, "what do ya want for nothing?", 28,
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
        { k20a, 20, d50dd, 50, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe" },
        { k25, 25, d50cd, 50, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b" },
        { k131, 131, t6, sizeof t6 - 1, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
        { k131, 131, t7, sizeof t7 - 1, "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2" },
        { k64, 64, t64, sizeof t64 - 1, "baa93ea4ccc7062ed6870c5e7937dbd35ad7791df4e29df9addeb429ff491acf" },
    };
    char err[256], hex[129];
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        kn_signer *s = kn_signer_new("hmac-sha256", v[i].key, v[i].keylen, err, sizeof err);
        CHECK(s != NULL);
        if (!s) continue;
        size_t cut = v[i].len / 3;
        const void *parts[3] = { v[i].data, "", (const char *)v[i].data + cut };
        size_t lens[3] = { cut, 0, v[i].len - cut };
        CHECK(kn_sign(s, parts, lens, 3, hex) == 64);
        CHECK_STR(hex, v[i].hex);
        CHECK(kn_verify(s, v[i].hex, 64, parts, lens, 3) == 1);
        kn_signer_free(s);
    }
}

TEST(sign_utf8_key_and_content) {
    const char *key = "cl\xc3\xa9-\xc3\xbcn\xc3\xaf" "code";
    const char *f[4] = {
        "{\"msg_type\":\"execute_request\",\"msg_id\":\"x\"}", "{\"msg_id\":\"p\"}", "{\"a\":1}",
        "{\"code\":\"print(\\\"\xc3\xa9\xe4\xb8\xad\")\"}",
    };
    const void *parts[4];
    size_t lens[4];
    for (int i = 0; i < 4; i++) { parts[i] = f[i]; lens[i] = strlen(f[i]); }
    char err[200], hex[KN_SIG_HEX_MAX + 1];
    kn_signer *s = kn_signer_new("hmac-sha256", key, strlen(key), err, sizeof err);
    CHECK(s != NULL);
    kn_sign(s, parts, lens, 4, hex);
    CHECK_STR(hex, "ea85727dfc313df158f2b7e40d7333b5528e4dfa3dff637563c9f57143bca927");
    kn_signer_free(s);
}

TEST(verify_rejects_wrong_signatures) {
    const void *parts[4];
    size_t lens[4];
    frame_parts(parts, lens);
    char err[200];
    kn_signer *s = kn_signer_new("hmac-sha256", KEY, strlen(KEY), err, sizeof err);
    char sig[] = "bf8a4f71f61ac7d575141678ddea2995847cd9e9252846c0dea8d56f7db4f9d5";
    CHECK(kn_verify(s, sig, strlen(sig), parts, lens, 4) == 1);
    sig[10] = sig[10] == 'a' ? 'b' : 'a';
    CHECK(kn_verify(s, sig, strlen(sig), parts, lens, 4) == 0);
    sig[10] = '1';
    CHECK(kn_verify(s, sig, 63, parts, lens, 4) == 0);            /* short */
    CHECK(kn_verify(s, "", 0, parts, lens, 4) == 0);              /* empty */
    CHECK(kn_verify(s, "BF8A4F71F61AC7D575141678DDEA2995847CD9E9252846C0DEA8D56F7DB4F9D5", 64, parts, lens, 4) == 0);
    /* the same signature over different content */
    char sig2[] = "bf8a4f71f61ac7d575141678ddea2995847cd9e9252846c0dea8d56f7db4f9d5";
    lens[3] = 1; /* "{" instead of "{}" */
    CHECK(kn_verify(s, sig2, strlen(sig2), parts, lens, 4) == 0);
    /* a wrong key */
    kn_signer *w = kn_signer_new("hmac-sha256", "other", 5, err, sizeof err);
    lens[3] = 2;
    CHECK(kn_verify(w, sig2, strlen(sig2), parts, lens, 4) == 0);
    kn_signer_free(s);
    kn_signer_free(w);
}

TEST(unknown_schemes_are_refused) {
    static const char *bad[] = { "sha256", "hmac-", "hmac-nosuchhash", "hmac-shake_128", "md5-hmac",
                                 "hmac-sha256; rm", "" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[200] = "";
        kn_signer *s = kn_signer_new(bad[i], KEY, strlen(KEY), err, sizeof err);
        CHECK(s == NULL);
        CHECK(strstr(err, "signature_scheme") != NULL);
        CHECK(strstr(err, KEY) == NULL); /* never the key */
        kn_signer_free(s);
    }
    char err[200];
    CHECK(kn_signer_new(NULL, KEY, 3, err, sizeof err) == NULL);
}

TEST(empty_key_signs_nothing_and_accepts_all) {
    const void *parts[4];
    size_t lens[4];
    frame_parts(parts, lens);
    char err[200], hex[KN_SIG_HEX_MAX + 1] = "x";
    kn_signer *s = kn_signer_new("hmac-sha256", "", 0, err, sizeof err);
    CHECK(s != NULL);
    CHECK(kn_signer_enabled(s) == 0);
    CHECK(kn_sign(s, parts, lens, 4, hex) == 0);
    CHECK_STR(hex, "");
    CHECK(kn_verify(s, "anything", 8, parts, lens, 4) == 1);
    kn_signer_free(s);
}

TEST(replay_set_detects_repeats) {
    kn_digests *d = kn_digests_new(1u << 16);
    CHECK(d != NULL);
    const char *a = "bf8a4f71f61ac7d575141678ddea2995847cd9e9252846c0dea8d56f7db4f9d5";
    const char *b = "d13e2fab687a8dbff965d1108e9288a80fb722e6465194a91bb4e2da";
    CHECK(kn_digests_check_add(d, a, strlen(a)) == 0);
    CHECK(kn_digests_check_add(d, a, strlen(a)) == 1);
    CHECK(kn_digests_check_add(d, b, strlen(b)) == 0);
    CHECK(kn_digests_check_add(d, b, strlen(b)) == 1);
    CHECK(kn_digests_check_add(d, a, strlen(a)) == 1);
    kn_digests_free(d);
}

/* Bounded: past capacity the oldest entries are forgotten, newer ones kept. */
TEST(replay_set_is_bounded_fifo) {
    kn_digests *d = kn_digests_new(1000);
    char sig[65];
    int fresh = 0;
    for (int i = 0; i < 3000; i++) {
        snprintf(sig, sizeof sig, "%064x", i * 2654435761u);
        fresh += kn_digests_check_add(d, sig, 64) == 0;
    }
    CHECK(fresh == 3000);
    int recent = 0, old = 0;
    for (int i = 2000; i < 3000; i++) {
        snprintf(sig, sizeof sig, "%064x", i * 2654435761u);
        recent += kn_digests_check_add(d, sig, 64);
    }
    CHECK(recent == 1000);
    for (int i = 0; i < 1000; i++) {
        snprintf(sig, sizeof sig, "%064x", i * 2654435761u);
        old += kn_digests_check_add(d, sig, 64);
    }
    CHECK(old == 0);
    kn_digests_free(d);
}

TEST(replay_set_full_capacity) {
    kn_digests *d = kn_digests_new(1u << 16);
    char sig[129];
    int dup = 0;
    for (int i = 0; i < (1 << 16) + 5000; i++) {
        snprintf(sig, sizeof sig, "%08x%0120d", i, 0);
        dup += kn_digests_check_add(d, sig, 128);
    }
    CHECK(dup == 0);
    snprintf(sig, sizeof sig, "%08x%0120d", (1 << 16) + 4999, 0);
    CHECK(kn_digests_check_add(d, sig, 128) == 1);
    kn_digests_free(d);
}

int main(void) {
    RUN(sign_matches_python_for_every_scheme);
    RUN(sha256_matches_rfc4231);
    RUN(sign_utf8_key_and_content);
    RUN(verify_rejects_wrong_signatures);
    RUN(unknown_schemes_are_refused);
    RUN(empty_key_signs_nothing_and_accepts_all);
    RUN(replay_set_detects_repeats);
    RUN(replay_set_is_bounded_fifo);
    RUN(replay_set_full_capacity);
    return test_summary();
}
