/* mock_lang.c — a scripted stand-in for the C-GPU language (lang.h), used
 * to check that `cgpu-kernel run` records outputs exactly as nbclient does.
 * mock_kernel.py is a Jupyter kernel that understands the same script and
 * sends the matching IOPub messages; test_runner_semantics.py executes one
 * notebook with both and compares the files.
 *
 * A cell is one command per line:
 *   print TEXT | eprint TEXT | write TEXT | cr TEXT     stream output
 *   display ID TEXT | update ID TEXT                   display_data / update (ID "-": none)
 *   svg | json JSON | bytes                            an SVG, a JSON bundle, invalid UTF-8
 *   clear | clearwait                                  clear_output(wait=False/True)
 *   result TEXT                                        the cell's execute_result
 *   error NAME MESSAGE                                 fails the cell
 *   sleep SECONDS                                      stops early when interrupted
 *   input PROMPT                                       prints "got: [LINE]"
 */
#include "lang.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Owned by the caller of lang_new. */
struct lang_state {
    volatile sig_atomic_t interrupted;
};

void lang_bundle_clear(lang_bundle *b)
{
    for (int i = 0; i < b->n; i++) { free(b->mime[i]); free(b->data[i]); }
    b->n = 0;
}

int lang_bundle_add(lang_bundle *b, const char *mime, const char *data)
{
    if (b->n >= LANG_BUNDLE_MAX) return -1;
    b->mime[b->n] = strdup(mime);
    b->data[b->n] = strdup(data);
    b->n++;
    return 0;
}

void lang_result_clear(lang_result *r)
{
    lang_bundle_clear(&r->value);
    free(r->ename);
    free(r->evalue);
    for (int i = 0; i < r->ntraceback; i++) free(r->traceback[i]);
    free(r->traceback);
    memset(r, 0, sizeof *r);
}

lang_state *lang_new(void) { return calloc(1, sizeof(lang_state)); }
void lang_free(lang_state *L) { free(L); }
void lang_interrupt(lang_state *L) { L->interrupted = 1; }
volatile sig_atomic_t *lang_interrupt_flag(lang_state *L) { return &L->interrupted; }
void lang_clear_interrupt(lang_state *L) { L->interrupted = 0; }

static void fail(lang_result *res, const char *ename, const char *evalue)
{
    char line[600];
    res->status = LANG_ERROR;
    res->ename = strdup(ename);
    res->evalue = strdup(evalue);
    res->ntraceback = 2;
    res->traceback = malloc(2 * sizeof *res->traceback);
    res->traceback[0] = strdup("\033[31mTraceback\033[0m (most recent call last):");
    snprintf(line, sizeof line, "\033[31m%s\033[0m: %s", ename, evalue);
    res->traceback[1] = strdup(line);
}

static void show(const lang_output *o, const char *mime, const char *data, const char *id, int update)
{
    lang_bundle b = {0};
    lang_bundle_add(&b, mime, data);
    o->display(o->ctx, &b, id, update);
    lang_bundle_clear(&b);
}

lang_status lang_execute(lang_state *L, const char *code, const lang_output *o, int silent,
                         lang_result *res)
{
    memset(res, 0, sizeof *res);
    L->interrupted = 0;
    char *copy = strdup(code), *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char cmd[32] = "", word[256] = "", buf[1100];
        sscanf(line, "%31s", cmd);
        const char *arg = line + strlen(cmd);
        while (*arg == ' ') arg++;
        const char *rest = arg; /* after the first word of arg */
        if (sscanf(arg, "%255s", word) == 1) {
            rest = arg + strlen(word);
            while (*rest == ' ') rest++;
        }
        if (!strcmp(cmd, "print") || !strcmp(cmd, "eprint")) {
            snprintf(buf, sizeof buf, "%s\n", arg);
            o->stream(o->ctx, cmd[0] == 'e' ? "stderr" : "stdout", buf, strlen(buf));
        } else if (!strcmp(cmd, "write")) {
            o->stream(o->ctx, "stdout", arg, strlen(arg));
        } else if (!strcmp(cmd, "cr")) {
            snprintf(buf, sizeof buf, "%s\r", arg);
            o->stream(o->ctx, "stdout", buf, strlen(buf));
        } else if (!strcmp(cmd, "display") || !strcmp(cmd, "update")) {
            show(o, "text/plain", rest, strcmp(word, "-") ? word : NULL, cmd[0] == 'u');
        } else if (!strcmp(cmd, "svg")) {
            show(o, "image/svg+xml", "<svg>\n<text>Epoch Number</text>\n</svg>\n", NULL, 0);
        } else if (!strcmp(cmd, "json")) {
            lang_bundle b = {0};
            lang_bundle_add(&b, "text/plain", "{json}");
            lang_bundle_add(&b, "application/json", arg);
            o->display(o->ctx, &b, NULL, 0);
            lang_bundle_clear(&b);
        } else if (!strcmp(cmd, "bytes")) {
            static const char bad[] = "bad \xff\xfe utf8 \x01\n";
            o->stream(o->ctx, "stdout", bad, sizeof bad - 1);
        } else if (!strcmp(cmd, "clear") || !strcmp(cmd, "clearwait")) {
            o->clear_output(o->ctx, cmd[5] != 0);
        } else if (!strcmp(cmd, "result")) {
            if (!silent) lang_bundle_add(&res->value, "text/plain", arg);
        } else if (!strcmp(cmd, "error")) {
            fail(res, word, rest);
            break;
        } else if (!strcmp(cmd, "sleep")) {
            double s = atof(arg);
            for (double t = 0; t < s && !L->interrupted; t += 0.01) usleep(10000);
            if (L->interrupted) { fail(res, "KeyboardInterrupt", ""); break; }
        } else if (!strcmp(cmd, "input")) {
            char *v = NULL;
            if (o->input(o->ctx, arg, 0, &v) == 0) {
                snprintf(buf, sizeof buf, "got: [%s]\n", v);
                o->stream(o->ctx, "stdout", buf, strlen(buf));
                free(v);
            } else {
                fail(res, "EOFError", v ? v : "");
                free(v);
                break;
            }
        } else if (cmd[0] && cmd[0] != '#') {
            snprintf(buf, sizeof buf, "unknown command %s", cmd);
            fail(res, "NameError", buf);
            break;
        }
    }
    free(copy);
    return res->status;
}

lang_status lang_eval_expression(lang_state *L, const char *expr, lang_result *res)
{
    memset(res, 0, sizeof *res);
    return LANG_OK;
}

const lang_info_t *lang_info(void)
{
    static const lang_info_t info = {"cgpu", "0.1.0", "text/x-cgpu", ".cg", "python",
                                     "python", "python", "mock language"};
    return &info;
}
