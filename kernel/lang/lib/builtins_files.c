/* builtins_files.c — text files: open() and the file object (read,
 * readline, readlines, write, writelines, close, iteration over lines,
 * `with`), as Python's text mode does them: UTF-8, "\r\n" read as "\n",
 * and Python's errors (FileNotFoundError: [Errno 2] No such file or
 * directory: 'x.csv', UnicodeDecodeError, ValueError on a closed file).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "builtins.h"
#include "builtins_files.h"
#include "libraries.h"

/* An open (or closed) file. Owned by its object: the FILE is closed by
 * close(), the end of a `with` block, or when the object is freed. */
typedef struct {
    FILE   *f;          /* NULL once closed */
    char   *name;       /* owned: the path as given */
    char    mode[4];    /* "r", "w", "a", "x", with "+" when both ways */
    int     readable, writable;
    int64_t offset;     /* bytes read so far (UnicodeDecodeError positions) */
} file_data;

static void file_free(void *p)
{
    file_data *fd = p;
    if (fd->f) fclose(fd->f);
    free(fd->name);
    free(fd);
}

static const lang_class file_class;

static file_data *open_file_of(lang_state *L, lang_value self)
{
    file_data *fd = lv_object_check(self, &file_class);
    if (!fd) { lang_raise(L, LANG_E_TYPE, "expected a file object, not %s", lv_type_name(self)); return NULL; }
    if (!fd->f) { lang_raise(L, LANG_E_VALUE, "I/O operation on closed file."); return NULL; }
    return fd;
}

/* ---- decoding ------------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0 with the
 * reason in *why. */
static size_t utf8_seq(const unsigned char *s, size_t n, const char **why)
{
    unsigned char c = s[0];
    size_t len;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c >= 0xE0 && c <= 0xEF) len = 3;
    else if (c >= 0xF0 && c <= 0xF4) len = 4;
    else { *why = "invalid start byte"; return 0; }
    for (size_t i = 1; i < len; i++) {
        if (i >= n) { *why = "unexpected end of data"; return 0; }
        if ((s[i] & 0xC0) != 0x80) { *why = "invalid continuation byte"; return 0; }
    }
    if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F) || (c == 0xF0 && s[1] < 0x90) ||
        (c == 0xF4 && s[1] > 0x8F)) {
        *why = "invalid continuation byte";
        return 0;
    }
    return len;
}

/* Checks buf (n bytes read at file offset `at`) is UTF-8 and turns "\r\n"
 * and a lone "\r" into "\n" in place (Python's universal newlines);
 * returns the new length, or -1 with UnicodeDecodeError. */
static int64_t decode_text(lang_state *L, char *buf, size_t n, int64_t at)
{
    const unsigned char *u = (const unsigned char *)buf;
    for (size_t i = 0; i < n;) {
        const char *why = NULL;
        size_t k = utf8_seq(u + i, n - i, &why);
        if (!k) {
            lang_raise(L, LANG_E_UNICODE_DECODE, "'utf-8' codec can't decode byte 0x%02x in position %lld: %s", u[i],
                       (long long)(at + (int64_t)i), why);
            return -1;
        }
        i += k;
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (buf[i] == '\r' && i + 1 < n && buf[i + 1] == '\n') continue;
        buf[o++] = buf[i] == '\r' ? '\n' : buf[i];
    }
    return (int64_t)o;
}

/* A str from the bytes read; takes buf. */
static lang_value text_value(lang_state *L, file_data *fd, char *buf, size_t n)
{
    int64_t len = decode_text(L, buf, n, fd->offset);
    fd->offset += (int64_t)n;
    if (len < 0) { free(buf); return lv_err(); }
    lang_value s = lv_str_n(buf, (size_t)len);
    free(buf);
    return lv_is_err(s) ? lang_nomem(L) : s;
}

static lang_value read_error(lang_state *L, file_data *fd)
{
    int e = errno ? errno : EIO;
    clearerr(fd->f);
    return lang_raise_os(L, e, fd->name);
}

/* Up to `chars` characters (-1: no limit; a character is a UTF-8 lead
 * byte with its continuation bytes), stopping after a line end when `line`
 * ("\n", "\r\n" or "\r"); "" at the end of the file. */
static lang_value read_text(lang_state *L, file_data *fd, int64_t chars, int line)
{
    size_t cap = 128, n = 0;
    int64_t count = 0;
    char *buf = malloc(cap);
    if (!buf) return lang_nomem(L);
    int c;
    while ((c = getc(fd->f)) != EOF) {
        if ((c & 0xC0) != 0x80) {
            if (count == chars) { ungetc(c, fd->f); break; }
            count++;
        }
        if (n + 2 > cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) { free(buf); return lang_nomem(L); }
            buf = nb;
        }
        buf[n++] = (char)c;
        if (line && c == '\n') break;
        if (line && c == '\r') { /* "\r\n" is one line end */
            int d = getc(fd->f);
            if (d == '\n') buf[n++] = '\n';
            else if (d != EOF) ungetc(d, fd->f);
            break;
        }
    }
    if (ferror(fd->f)) { free(buf); return read_error(L, fd); }
    return text_value(L, fd, buf, n);
}

/* ---- methods ------------------------------------------------------------------------ */

/* The size= argument of read and readline (-1 when absent or None). */
static int size_arg(lang_state *L, const lang_args *a, int64_t *size)
{
    lang_value v[1];
    *size = -1;
    if (lang_args_bind(L, a, "size=", v) < 0) return -1;
    if (!lv_is_missing(v[0]) && !lv_is_none(v[0]) && lang_get_int(L, v[0], "size", size) < 0) return -1;
    return 0;
}

static file_data *readable_file(lang_state *L, lang_value self)
{
    file_data *fd = open_file_of(L, self);
    if (fd && !fd->readable) { lang_raise(L, LANG_E_UNSUPPORTED_OP, "not readable"); return NULL; }
    return fd;
}

static lang_value file_read(lang_state *L, const lang_args *a)
{
    int64_t size;
    if (size_arg(L, a, &size) < 0) return lv_err();
    file_data *fd = readable_file(L, a->self);
    if (!fd) return lv_err();
    if (size >= 0) return read_text(L, fd, size, 0);
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    if (!buf) return lang_nomem(L);
    for (;;) {
        if (n == cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) { free(buf); return lang_nomem(L); }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, fd->f);
        n += got;
        if (n < cap) break;
        if (lang_check_interrupt(L) < 0) { free(buf); return lv_err(); }
    }
    if (ferror(fd->f)) { free(buf); return read_error(L, fd); }
    return text_value(L, fd, buf, n);
}

static lang_value file_readline(lang_state *L, const lang_args *a)
{
    int64_t size;
    if (size_arg(L, a, &size) < 0) return lv_err();
    file_data *fd = readable_file(L, a->self);
    return fd ? read_text(L, fd, size, 1) : lv_err();
}

static lang_value file_readlines(lang_state *L, const lang_args *a)
{
    if (lang_args_bind(L, a, "", NULL) < 0) return lv_err();
    file_data *fd = readable_file(L, a->self);
    if (!fd) return lv_err();
    lang_value list = lv_list_new(0);
    if (lv_is_err(list)) return lang_nomem(L);
    for (;;) {
        lang_value line = read_text(L, fd, -1, 1);
        if (lv_is_err(line)) { lv_release(list); return line; }
        if (lv_str_len(line) == 0) { lv_release(line); break; }
        if (lv_list_append_take(list, line) < 0) { lv_release(list); return lang_nomem(L); }
        if (lang_check_interrupt(L) < 0) { lv_release(list); return lv_err(); }
    }
    return list;
}

int lang_file_write(lang_state *L, lang_value file, const char *s, size_t n)
{
    file_data *fd = open_file_of(L, file);
    if (!fd) return -1;
    if (!fd->writable) return lang_fail(L, LANG_E_UNSUPPORTED_OP, "not writable");
    if (fwrite(s, 1, n, fd->f) != n) {
        int e = errno ? errno : EIO;
        clearerr(fd->f);
        lang_raise_os(L, e, fd->name);
        return -1;
    }
    return 0;
}

int lang_is_file(lang_value v) { return lv_object_check(v, &file_class) != NULL; }

FILE *lang_file_stream(lang_state *L, lang_value file, int writing, const char **name)
{
    file_data *fd = open_file_of(L, file);
    if (!fd) return NULL;
    if (writing ? !fd->writable : !fd->readable) {
        lang_raise(L, LANG_E_UNSUPPORTED_OP, writing ? "not writable" : "not readable");
        return NULL;
    }
    *name = fd->name;
    return fd->f;
}

static lang_value file_write(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    if (lang_args_bind(L, a, "s", v) < 0) return lv_err();
    if (v[0].type != LV_STR) return lang_raise(L, LANG_E_TYPE, "write() argument must be str, not %s", lv_type_name(v[0]));
    if (lang_file_write(L, a->self, lv_str_cstr(v[0]), lv_str_len(v[0])) < 0) return lv_err();
    /* Python returns the number of characters written */
    int64_t chars = 0;
    const char *s = lv_str_cstr(v[0]);
    for (size_t i = 0; i < lv_str_len(v[0]); i++) chars += ((unsigned char)s[i] & 0xC0) != 0x80;
    return lv_int(chars);
}

static lang_value file_writelines(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    if (lang_args_bind(L, a, "lines", v) < 0) return lv_err();
    int64_t n;
    lang_value *items = lv_seq_items(v[0], &n);
    if (n < 0) return lang_raise(L, LANG_E_TYPE, "writelines() takes a list or tuple of strings, not %s", lv_type_name(v[0]));
    for (int64_t i = 0; i < n; i++) {
        if (items[i].type != LV_STR)
            return lang_raise(L, LANG_E_TYPE, "write() argument must be str, not %s", lv_type_name(items[i]));
        if (lang_file_write(L, a->self, lv_str_cstr(items[i]), lv_str_len(items[i])) < 0) return lv_err();
    }
    return lv_none();
}

static lang_value file_flush(lang_state *L, const lang_args *a)
{
    if (lang_args_bind(L, a, "", NULL) < 0) return lv_err();
    file_data *fd = open_file_of(L, a->self);
    if (!fd) return lv_err();
    if (fflush(fd->f) != 0) return lang_raise_os(L, errno, fd->name);
    return lv_none();
}

/* Closes the FILE; a failing final write (disk full) is reported. */
static int close_file(lang_state *L, file_data *fd)
{
    if (!fd->f) return 0;
    FILE *f = fd->f;
    fd->f = NULL;
    if (fclose(f) != 0) {
        lang_raise_os(L, errno, fd->name);
        return -1;
    }
    return 0;
}

static lang_value file_close(lang_state *L, const lang_args *a)
{
    if (lang_args_bind(L, a, "", NULL) < 0) return lv_err();
    file_data *fd = lv_object_check(a->self, &file_class);
    if (!fd) return lang_raise(L, LANG_E_TYPE, "expected a file object");
    return close_file(L, fd) < 0 ? lv_err() : lv_none();
}

static lang_value file_enter(lang_state *L, lang_value self)
{
    if (!open_file_of(L, self)) return lv_err();
    return lv_retain(self);
}

static int file_exit(lang_state *L, lang_value self, int failing)
{
    file_data *fd = lv_object_data(self);
    if (!failing) return close_file(L, fd);
    /* the block's error wins; the file is closed all the same */
    if (fd->f) { fclose(fd->f); fd->f = NULL; }
    return 0;
}

static int file_next(lang_state *L, lang_value self, lang_value *out)
{
    file_data *fd = readable_file(L, self);
    if (!fd || lang_check_interrupt(L) < 0) return -1;
    lang_value line = read_text(L, fd, -1, 1);
    if (lv_is_err(line)) return -1;
    if (lv_str_len(line) == 0) { lv_release(line); return 0; }
    *out = line;
    return 1;
}

static lang_value file_getattr(lang_state *L, lang_value self, const char *name)
{
    file_data *fd = lv_object_data(self);
    if (strcmp(name, "closed") == 0) return lv_bool(fd->f == NULL);
    if (strcmp(name, "name") == 0) return lv_str(fd->name);
    if (strcmp(name, "mode") == 0) return lv_str(fd->mode);
    if (strcmp(name, "encoding") == 0) return lv_str("utf-8");
    return lv_missing();
}

static char *file_repr(lang_state *L, lang_value self)
{
    file_data *fd = lv_object_data(self);
    lang_value nv = lv_str(fd->name);
    if (lv_is_err(nv)) { lang_nomem(L); return NULL; }
    char *name = lang_repr(L, nv); /* quoted as Python quotes it */
    lv_release(nv);
    if (!name) return NULL;
    char *s = lang_strdupf("<_io.TextIOWrapper name=%s mode='%s' encoding='utf-8'>", name, fd->mode);
    free(name);
    return s;
}

static const lang_method file_methods[] = {
    {"read", file_read, "read(size=-1)\nThe rest of the file (or up to size characters) as a str; \"\" at the end.\n>>> text = f.read()"},
    {"readline", file_readline, "readline(size=-1)\nThe next line with its \"\\n\"; \"\" at the end of the file.\n>>> header = f.readline()"},
    {"readlines", file_readlines, "readlines()\nThe remaining lines as a list of str, each with its \"\\n\".\n>>> lines = f.readlines()"},
    {"write", file_write, "write(s)\nWrites the str s and returns the number of characters written.\n>>> f.write(\"epoch,time\\n\")"},
    {"writelines", file_writelines, "writelines(lines)\nWrites each str of a list (no newlines are added).\n>>> f.writelines([\"a\\n\", \"b\\n\"])"},
    {"flush", file_flush, "flush()\nWrites buffered text to the file now.\n>>> f.flush()"},
    {"close", file_close, "close()\nCloses the file (writing what is buffered); closing twice is allowed.\n>>> f.close()"},
    {NULL, NULL, NULL},
};
static const char *const file_attrs[] = {"closed", "name", "mode", "encoding", NULL};

static const lang_class file_class = {
    .name = "TextIOWrapper",
    .doc = "A text file from open(): read, readline, readlines, write, close; iterate for its lines; use in `with`.",
    .free = file_free,
    .repr = file_repr,
    .methods = file_methods,
    .attrs = file_attrs,
    .getattr = file_getattr,
    .enter = file_enter,
    .exit = file_exit,
    .next = file_next,
};

/* ---- open() ------------------------------------------------------------------------------ */

/* Python's mode string: one of r w a x, optional t and +; b is refused
 * (there is no bytes type). Returns the fopen mode or NULL with ValueError. */
static const char *parse_mode(lang_state *L, const char *m, file_data *fd)
{
    char kind = 0;
    int plus = 0, text = 0, bin = 0;
    for (const char *p = m; *p; p++) {
        if (strchr("rwax", *p)) {
            if (kind) goto bad;
            kind = *p;
        } else if (*p == '+' && !plus) plus = 1;
        else if (*p == 't' && !text) text = 1;
        else if (*p == 'b' && !bin) bin = 1;
        else goto bad;
    }
    if (!kind || (text && bin)) goto bad;
    if (bin) {
        lang_raise(L, LANG_E_VALUE, "binary mode '%s' is not supported: files are text (str, UTF-8); "
                   "data-set files are read by datasets.*.load_data", m);
        return NULL;
    }
    fd->readable = kind == 'r' || plus;
    fd->writable = kind != 'r' || plus;
    snprintf(fd->mode, sizeof fd->mode, "%c%s", kind, plus ? "+" : "");
    switch (kind) {
    case 'r': return plus ? "r+" : "r";
    case 'w': return plus ? "w+" : "w";
    case 'a': return plus ? "a+" : "a";
    default: return plus ? "w+x" : "wx";
    }
bad:
    lang_raise(L, LANG_E_VALUE, "invalid mode: '%s'", m);
    return NULL;
}

static lang_value bi_open(lang_state *L, const lang_args *a)
{
    lang_value v[4];
    if (lang_args_bind(L, a, "file, mode=, buffering=, encoding=", v) < 0) return lv_err();
    const char *path, *mode = "r";
    if (v[0].type != LV_STR)
        return lang_raise(L, LANG_E_TYPE, "expected str, bytes or os.PathLike object, not %s", lv_type_name(v[0]));
    path = lv_str_cstr(v[0]);
    if (!lv_is_missing(v[1]) && lang_get_str(L, v[1], "mode", &mode) < 0) return lv_err();
    if (!lv_is_missing(v[3]) && !lv_is_none(v[3])) {
        const char *enc;
        if (lang_get_str(L, v[3], "encoding", &enc) < 0) return lv_err();
        char low[16];
        size_t i = 0;
        for (; enc[i] && i < sizeof low - 1; i++) low[i] = (char)(enc[i] >= 'A' && enc[i] <= 'Z' ? enc[i] + 32 : enc[i]);
        low[i] = 0;
        if (strcmp(low, "utf-8") != 0 && strcmp(low, "utf8") != 0 && strcmp(low, "utf_8") != 0 && strcmp(low, "ascii") != 0)
            return lang_raise(L, LANG_E_VALUE, "encoding '%s' is not supported: files are read and written as UTF-8", enc);
    }
    file_data *fd = calloc(1, sizeof *fd);
    if (!fd) return lang_nomem(L);
    const char *cmode = parse_mode(L, mode, fd);
    if (!cmode) { free(fd); return lv_err(); }
    if (!(fd->name = strdup(path))) { free(fd); return lang_nomem(L); }
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        file_free(fd);
        return lang_raise_os(L, EISDIR, path);
    }
    fd->f = fopen(path, cmode);
    if (!fd->f) {
        int e = errno;
        file_free(fd);
        return lang_raise_os(L, e, path);
    }
    return lang_object_new(L, &file_class, fd);
}

void lang_init_files(lang_state *L)
{
    lang_register_builtin(L, "open", bi_open,
        "open(file, mode=\"r\", encoding=\"utf-8\")\nOpens a text file: \"r\" read, \"w\" write (emptied first), \"a\" append, "
        "\"x\" create; \"+\" for both.\n>>> with open(\"runs.csv\", \"a\") as f:\n...     f.write(\"256,10,31.2\\n\")");
}
