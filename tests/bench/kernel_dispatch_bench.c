/* kernel_dispatch_bench.c — the protocol core's own cost per request.
 *
 * Runs execute_request and kernel_info_request messages through the real
 * handlers over the mock transport with a no-op language: decode (HMAC
 * verify, replay check, JSON), busy/execute_input/reply/idle encode and
 * sign, nothing else. No sockets, no interpreter, so it isolates what the
 * protocol code itself costs from the network and the language.
 *
 *   kernel_dispatch_bench [N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jupyter/codec.h"
#include "jupyter/handlers.h"
#include "jupyter/hmac.h"
#include "jupyter/transport_mock.h"

struct lang_state { volatile sig_atomic_t flag; };

static lang_status noop_execute(lang_state *L, const char *code, const lang_output *out, int silent,
                                lang_result *res) {
    memset(res, 0, sizeof *res);
    return LANG_OK;
}
static void noop_clear(lang_result *r) { (void)r; }
static volatile sig_atomic_t *flag(lang_state *L) { return &L->flag; }
static const lang_info_t info = { "cgpu", "0", "text/x-cgpu", ".cg", "python", "python", "python", "bench" };
static const lang_info_t *get_info(void) { return &info; }

static kn_frames request(kn_signer *s, const char *type, int i, const char *content) {
    char header[256], sig[KN_SIG_HEX_MAX + 1];
    snprintf(header, sizeof header,
             "{\"msg_id\":\"bench-%08d\",\"msg_type\":\"%s\",\"session\":\"b\",\"username\":\"b\","
             "\"date\":\"2024-01-01T00:00:00.000000Z\",\"version\":\"5.3\"}", i, type);
    const void *parts[4] = { header, "{}", "{}", content };
    size_t lens[4] = { strlen(header), 2, 2, strlen(content) };
    kn_sign(s, parts, lens, 4, sig);
    kn_frames f = {0};
    kn_frames_push(&f, "client", 6);
    kn_frames_push(&f, KN_DELIM, 9);
    kn_frames_push(&f, sig, strlen(sig));
    for (int k = 0; k < 4; k++) kn_frames_push(&f, parts[k], lens[k]);
    return f;
}

static double run(kn_kernel *k, kn_transport *tr, kn_signer *client, const char *type, const char *content,
                  int n, int base) {
    kn_frames *reqs = calloc((size_t)n, sizeof *reqs);
    for (int i = 0; i < n; i++) reqs[i] = request(client, type, base + i, content);
    double t0 = kn_now();
    for (int i = 0; i < n; i++) {
        kn_mock_push(tr, KN_SHELL, &reqs[i]);
        kn_serve_shell(k, 0);
        kn_frames out = {0};
        for (int ch = 0; ch < KN_NCHANNELS; ch++)
            while (kn_mock_pop(tr, (kn_channel)ch, &out)) kn_frames_free(&out);
    }
    double t = (kn_now() - t0) / n * 1e6;
    free(reqs);
    return t;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 20000;
    if (n < 1) n = 1;
    const char *key = "0123456789abcdef0123456789abcdef";
    char err[200];
    kn_log_quiet = 1;
    kn_signer *client = kn_signer_new("hmac-sha256", key, strlen(key), err, sizeof err);
    kn_session *sess = kn_session_new(kn_signer_new("hmac-sha256", key, strlen(key), err, sizeof err), "bench");
    kn_transport *tr = kn_mock_new();
    struct lang_state L = {0};
    kn_lang lang = { .L = &L, .execute = noop_execute, .interrupt_flag = flag, .info = get_info,
                     .result_clear = noop_clear };
    kn_kernel k;
    if (!client || !sess || !tr || kn_kernel_init(&k, sess, tr, &lang)) { fprintf(stderr, "setup failed\n"); return 1; }

    run(&k, tr, client, "execute_request", "{\"code\":\"a = 1\"}", n / 10 + 1, 0); /* warm-up */
    double ex = run(&k, tr, client, "execute_request",
                    "{\"code\":\"a = 1\",\"silent\":false,\"store_history\":true,\"user_expressions\":{},"
                    "\"allow_stdin\":false,\"stop_on_error\":true}", n, 1000000);
    double ki = run(&k, tr, client, "kernel_info_request", "{}", n, 2000000);
    printf("protocol core, no-op language, mock transport, %d requests each:\n", n);
    printf("  execute_request (5 messages: in, busy, execute_input, reply, idle): %.1f us\n", ex);
    printf("  kernel_info_request (4 messages: in, busy, reply, idle):           %.1f us\n", ki);

    kn_kernel_destroy(&k);
    tr->destroy(tr);
    kn_session_free(sess);
    kn_signer_free(client);
    return 0;
}
