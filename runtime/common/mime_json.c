/* mime_json.c — MIME bundles and text in JSON (see mime_json.h). */
#ifdef CGPU_HAVE_JANSSON
#include "mime_json.h"

#include <string.h>

#include "fmtbuf.h"
#include "utf8.h"

int mime_is_json(const char *mime)
{
    size_t n = strlen(mime);
    return strcmp(mime, "application/json") == 0 ||
           (strncmp(mime, "application/", 12) == 0 && n >= 5 && strcmp(mime + n - 5, "+json") == 0);
}

json_t *mime_json_text(const char *s, size_t len)
{
    size_t i = utf8_valid_prefix(s, len);
    if (i == len) return json_stringn(s, len);
    fmtbuf b = FMTBUF_INIT;
    fmtbuf_putn(&b, s, i);
    while (i < len) {
        int k = utf8_seq((const unsigned char *)s + i, len - i);
        if (k) { fmtbuf_putn(&b, s + i, (size_t)k); i += (size_t)k; }
        else { fmtbuf_puts(&b, "\xEF\xBF\xBD"); i++; }
    }
    json_t *j = b.oom ? NULL : json_stringn(b.s, b.len);
    fmtbuf_free(&b);
    return j;
}

json_t *mime_json_value(const char *mime, const char *text)
{
    if (mime_is_json(mime)) {
        json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
        if (v) return v;
    }
    return mime_json_text(text, strlen(text));
}

json_t *mime_json_bundle(int n, char *const *mime, char *const *data)
{
    json_t *d = json_object();
    if (!d) return NULL;
    for (int i = 0; i < n; i++) {
        if (!mime[i] || !data[i]) continue;
        /* json_object_set_new takes the value's reference even when it fails */
        if (json_object_set_new(d, mime[i], mime_json_value(mime[i], data[i]))) {
            json_decref(d);
            return NULL;
        }
    }
    return d;
}
#endif
