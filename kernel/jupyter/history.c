/* history.c — history_request over this session's cells. */
#include "history.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

int kn_history_add(kn_history *h, int line, const char *input, const char *output) {
    if (h->n == h->cap) {
        int cap = h->cap ? 2 * h->cap : 32;
        struct kn_hist_entry *v = realloc(h->v, (size_t)cap * sizeof *v);
        if (!v) return -1;
        h->v = v;
        h->cap = cap;
    }
    struct kn_hist_entry *e = &h->v[h->n];
    e->line = line;
    e->input = strdup(input ? input : "");
    e->output = output ? strdup(output) : NULL;
    if (!e->input || (output && !e->output)) { free(e->input); free(e->output); return -1; }
    h->n++;
    return 0;
}

void kn_history_clear(kn_history *h) {
    for (int i = 0; i < h->n; i++) { free(h->v[i].input); free(h->v[i].output); }
    free(h->v);
    memset(h, 0, sizeof *h);
}

static json_t *entry_json(const struct kn_hist_entry *e, int output) {
    json_t *in = json_string(e->input);
    if (!in) in = json_string("");
    json_t *item = in;
    if (output) item = json_pack("[oo]", in, e->output ? json_string(e->output) : json_null());
    return json_pack("[iio]", KN_HISTORY_SESSION, e->line, item);
}

static long get_int(json_t *req, const char *key, long dflt) {
    json_t *v = json_object_get(req, key);
    return json_is_integer(v) ? (long)json_integer_value(v) : dflt;
}

json_t *kn_history_reply(const kn_history *h, json_t *req) {
    json_t *list = json_array();
    json_t *type = json_object_get(req, "hist_access_type");
    const char *t = json_is_string(type) ? json_string_value(type) : "";
    int output = json_is_true(json_object_get(req, "output"));
    /* raw and processed input are the same here: cells are not transformed */

    if (strcmp(t, "tail") == 0) {
        long n = get_int(req, "n", 10);
        if (n < 0) n = 0;
        for (int i = h->n > n ? h->n - (int)n : 0; i < h->n; i++)
            json_array_append_new(list, entry_json(&h->v[i], output));
    } else if (strcmp(t, "range") == 0) {
        long session = get_int(req, "session", 0);
        long start = get_int(req, "start", 1), stop = get_int(req, "stop", -1);
        json_t *sv = json_object_get(req, "stop");
        int open_end = !json_is_integer(sv);
        if (session == 0 || session == KN_HISTORY_SESSION)
            for (int i = 0; i < h->n; i++)
                if (h->v[i].line >= start && (open_end || h->v[i].line < stop))
                    json_array_append_new(list, entry_json(&h->v[i], output));
    } else if (strcmp(t, "search") == 0) {
        json_t *pv = json_object_get(req, "pattern");
        const char *pattern = json_is_string(pv) ? json_string_value(pv) : "*";
        long n = get_int(req, "n", -1);
        int unique = json_is_true(json_object_get(req, "unique"));
        /* Walk from the newest so "last n" and "keep the latest duplicate"
         * are one pass; then reverse into chronological order. */
        int *pick = malloc(sizeof(int) * (size_t)(h->n ? h->n : 1)), np = 0;
        if (!pick) { json_decref(list); return NULL; }
        for (int i = h->n - 1; i >= 0 && (n < 0 || np < n); i--) {
            if (fnmatch(pattern, h->v[i].input, 0) != 0) continue;
            int dup = 0;
            for (int j = 0; unique && j < np && !dup; j++) dup = strcmp(h->v[pick[j]].input, h->v[i].input) == 0;
            if (!dup) pick[np++] = i;
        }
        for (int j = np - 1; j >= 0; j--) json_array_append_new(list, entry_json(&h->v[pick[j]], output));
        free(pick);
    }
    return json_pack("{ssso}", "status", "ok", "history", list);
}
