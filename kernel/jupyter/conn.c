/* conn.c — reading and checking the connection file (jansson). */
#include "conn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* ORDER KN_CHANNEL: same order as the KN_PORT_* enum. */
static const char *const port_keys[KN_NPORTS] = {
    "shell_port", "control_port", "stdin_port", "iopub_port", "hb_port",
};

void kn_conn_clear(kn_conn *c) {
    free(c->ip);
    if (c->key) { explicit_bzero(c->key, c->keylen); free(c->key); }
    free(c->signature_scheme);
    memset(c, 0, sizeof *c);
}

static int from_json(json_t *root, kn_conn *c, char *err, size_t errcap) {
    memset(c, 0, sizeof *c);
    if (!json_is_object(root)) { snprintf(err, errcap, "not a JSON object"); return -1; }

    json_t *v = json_object_get(root, "transport");
    const char *transport = "tcp";
    if (v) {
        if (!json_is_string(v)) { snprintf(err, errcap, "\"transport\" is not a string"); return -1; }
        transport = json_string_value(v);
    }
    if (strcmp(transport, "tcp") == 0) c->ipc = 0;
    else if (strcmp(transport, "ipc") == 0) c->ipc = 1;
    else { snprintf(err, errcap, "unsupported transport \"%.40s\" (tcp or ipc)", transport); return -1; }

    v = json_object_get(root, "ip");
    const char *ip = c->ipc ? "kernel-ipc" : "127.0.0.1";
    if (v) {
        if (!json_is_string(v) || json_string_length(v) == 0) {
            snprintf(err, errcap, "\"ip\" is not a non-empty string"); return -1;
        }
        ip = json_string_value(v);
    }
    for (const char *p = ip; *p; p++)
        if ((unsigned char)*p <= ' ') { snprintf(err, errcap, "\"ip\" contains a space or control character"); return -1; }
    if (strlen(ip) > 1000) { snprintf(err, errcap, "\"ip\" is too long"); return -1; }

    for (int i = 0; i < KN_NPORTS; i++) {
        v = json_object_get(root, port_keys[i]);
        if (!v) { snprintf(err, errcap, "\"%s\" is missing", port_keys[i]); return -1; }
        if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 65535) {
            snprintf(err, errcap, "\"%s\" is not a port number (1..65535)", port_keys[i]); return -1;
        }
        c->port[i] = (int)json_integer_value(v);
    }

    v = json_object_get(root, "key");
    const char *key = "";
    size_t keylen = 0;
    if (v) {
        if (!json_is_string(v)) { snprintf(err, errcap, "\"key\" is not a string"); return -1; }
        key = json_string_value(v);
        keylen = json_string_length(v);
    }

    v = json_object_get(root, "signature_scheme");
    const char *scheme = "hmac-sha256";
    if (v && !json_is_null(v)) {
        if (!json_is_string(v)) { snprintf(err, errcap, "\"signature_scheme\" is not a string"); return -1; }
        scheme = json_string_value(v);
    }

    c->ip = strdup(ip);
    c->key = malloc(keylen + 1);
    c->signature_scheme = strdup(scheme);
    if (!c->ip || !c->key || !c->signature_scheme) {
        kn_conn_clear(c);
        snprintf(err, errcap, "out of memory"); return -1;
    }
    memcpy(c->key, key, keylen);
    c->key[keylen] = '\0';
    c->keylen = keylen;
    return 0;
}

int kn_conn_parse(const char *text, size_t len, kn_conn *c, char *err, size_t errcap) {
    json_error_t je;
    memset(c, 0, sizeof *c);
    json_t *root = json_loadb(text, len, 0, &je);
    /* jansson's message quotes the token it stopped at, which can be the
     * key: say only where the file is broken. */
    if (!root) { snprintf(err, errcap, "invalid JSON at line %d, column %d", je.line, je.column); return -1; }
    int r = from_json(root, c, err, errcap);
    json_decref(root); /* the key's copy inside jansson is freed with it */
    return r;
}

int kn_conn_load(const char *path, kn_conn *c, char *err, size_t errcap) {
    char why[256];
    memset(c, 0, sizeof *c);
    FILE *f = fopen(path, "rb");
    if (!f) { snprintf(err, errcap, "connection file %s: %s", path, strerror(errno)); return -1; }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap) break;
        if (cap >= (1u << 20)) { free(buf); buf = NULL; fclose(f);
            snprintf(err, errcap, "connection file %s: larger than 1 MiB", path); return -1; }
        char *nb = realloc(buf, cap *= 2);
        if (!nb) { free(buf); buf = NULL; }
        else buf = nb;
    }
    int rerr = ferror(f);
    fclose(f);
    if (!buf) { snprintf(err, errcap, "connection file %s: out of memory", path); return -1; }
    if (rerr) { free(buf); snprintf(err, errcap, "connection file %s: read error", path); return -1; }
    int r = kn_conn_parse(buf, n, c, why, sizeof why);
    explicit_bzero(buf, n);
    free(buf);
    if (r) snprintf(err, errcap, "connection file %s: %s", path, why);
    return r;
}

int kn_conn_endpoint(const kn_conn *c, int which, char *buf, size_t cap, int *ipv6) {
    int n;
    *ipv6 = 0;
    if (which < 0 || which >= KN_NPORTS) return -1;
    if (c->ipc) {
        n = snprintf(buf, cap, "ipc://%s-%d", c->ip, c->port[which]);
    } else if (strchr(c->ip, ':')) {
        *ipv6 = 1;
        n = c->ip[0] == '['
            ? snprintf(buf, cap, "tcp://%s:%d", c->ip, c->port[which])
            : snprintf(buf, cap, "tcp://[%s]:%d", c->ip, c->port[which]);
    } else {
        n = snprintf(buf, cap, "tcp://%s:%d", c->ip, c->port[which]);
    }
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}
