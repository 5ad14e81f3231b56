/* value.c — heap values: strings, lists, tuples, dicts, objects; references,
 * equality, hashing, truthiness. Ownership as stated in value.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include "heap.h"
#include "object.h"

/* ORDER lv_type */
static const char *const type_names[LV_TYPE_COUNT] = {
    "<error>", "<missing>", "NoneType", "bool", "int", "float", "str", "list", "tuple",
    "dict", "function", "builtin_function_or_method", "array", "object", "range",
    "iterator", "cell", "type", "object",
};

const char *lv_type_name(lang_value v)
{
    if (v.type == LV_OBJECT) return LV_OBJ(v, lv_objectobj)->cls->name;
    if (v.type == LV_INSTANCE) return LV_OBJ(v, lv_instanceobj)->cls ? LV_OBJ(v, lv_instanceobj)->cls->name : "object";
    if (v.type == LV_ITER) {
        switch (LV_OBJ(v, lv_iterobj)->kind) {
        case IT_ENUMERATE: return "enumerate";
        case IT_ZIP: return "zip";
        default: return "iterator";
        }
    }
    return v.type < LV_TYPE_COUNT ? type_names[v.type] : "?";
}

/* Freeing a container releases its items, which may free containers in
 * turn: a million nested lists would recurse a million C frames. Past a
 * small depth, dead objects are queued and freed by the outermost release. */
#define RELEASE_MAX_DEPTH 64

static void free_object(lv_obj *o);

void lv_release_heap(lang_value v)
{
    if (v.type == LV_ARRAY) { rt_array_release(v.u.a); return; }
    lv_obj *o = v.u.o;
    if (--o->refcount > 0) return;
    lang_heap *h = lang_heap_current();
    if (h->release_depth >= RELEASE_MAX_DEPTH) {
        if (h->release_n == h->release_cap) {
            size_t nc = h->release_cap ? h->release_cap * 2 : 256;
            lv_obj **q = realloc(h->release_queue, nc * sizeof *q);
            if (q) { h->release_queue = q; h->release_cap = nc; }
        }
        if (h->release_n < h->release_cap) { h->release_queue[h->release_n++] = o; return; }
        /* no memory for the queue: free it here, deeper */
    }
    h->release_depth++;
    free_object(o);
    h->release_depth--;
    if (h->release_depth == 0 && h->release_n) {
        h->release_depth++;
        while (h->release_n) free_object(h->release_queue[--h->release_n]);
        h->release_depth--;
        free(h->release_queue);
        h->release_queue = NULL;
        h->release_cap = 0;
    }
}

static void free_object(lv_obj *o)
{
    lang_value v = lv_from_obj(o);
    switch ((lv_type)v.type) {
    case LV_LIST: {
        lv_listobj *l = (lv_listobj *)o;
        for (size_t i = 0; i < l->n; i++) lv_release(l->items[i]);
        free(l->items);
        break;
    }
    case LV_TUPLE: {
        lv_tupleobj *t = (lv_tupleobj *)o;
        for (size_t i = 0; i < t->n; i++) lv_release(t->items[i]);
        break;
    }
    case LV_DICT: {
        lv_dictobj *d = (lv_dictobj *)o;
        for (size_t i = 0; i < d->used; i++) {
            lv_release(d->entries[i].key);
            lv_release(d->entries[i].value);
        }
        free(d->entries);
        free(d->index);
        break;
    }
    case LV_BUILTIN: lv_release(((lv_builtinobj *)o)->self); break;
    case LV_OBJECT: {
        lv_objectobj *ob = (lv_objectobj *)o;
        if (ob->cls->free && ob->data) ob->cls->free(ob->data);
        break;
    }
    case LV_CELL: lv_release(((lv_cellobj *)o)->v); break;
    case LV_CLASS: {
        lv_classobj *c = (lv_classobj *)o;
        free(c->name);
        if (c->base) lv_release(lv_from_obj(c->base));
        lv_release(c->dict);
        break;
    }
    case LV_INSTANCE: {
        lv_instanceobj *in = (lv_instanceobj *)o;
        if (in->cls) lv_release(lv_from_obj(in->cls));
        lv_release(in->dict);
        free(in->message);
        break;
    }
    case LV_FUNCTION: lv_func_free((lv_funcobj *)o); return; /* frees o */
    case LV_ITER: lv_iter_free((lv_iterobj *)o); return;     /* frees o */
    default: break;
    }
    lv_free_obj(o);
}

/* ---- strings --------------------------------------------------------------- */

static int64_t count_cp(const char *s, size_t len)
{
    int64_t n = 0;
    size_t i = 0;
    /* ASCII runs eight bytes at a time */
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (!(w & 0x8080808080808080ULL)) { n += 8; continue; }
        for (size_t k = i; k < i + 8; k++) n += ((unsigned char)s[k] & 0xC0) != 0x80;
    }
    for (; i < len; i++) n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

lang_value lv_str_n(const char *s, size_t len)
{
    if (len > SIZE_MAX / 2 || rt_host_memory_reserve(len) != RT_OK) return lv_err(); /* the kernel's limit */
    lv_strobj *o = lv_alloc_obj(LV_STR, sizeof *o + len + 1);
    if (!o) return lv_err();
    if (len) memcpy(o->s, s, len);
    o->s[len] = 0;
    o->len = len;
    o->ncp = count_cp(o->s, len);
    return lv_from_obj(o);
}

lang_value lv_str(const char *s) { return lv_str_n(s, strlen(s)); }

lang_value lv_str_take(char *m)
{
    if (!m) return lv_err();
    lang_value v = lv_str(m);
    free(m);
    return v;
}

lang_value lv_str_printf(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0) return lv_err();
    return lv_str_take(s);
}

const char *lv_str_cstr(lang_value v) { return v.type == LV_STR ? LV_OBJ(v, lv_strobj)->s : ""; }
size_t lv_str_len(lang_value v) { return v.type == LV_STR ? LV_OBJ(v, lv_strobj)->len : 0; }
int64_t lv_str_ncp(lang_value v) { return LV_OBJ(v, lv_strobj)->ncp; }

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < n; i++) { h ^= (unsigned char)s[i]; h *= 1099511628211ULL; }
    return h;
}

uint64_t lv_str_hash(lang_value v)
{
    lv_strobj *s = LV_OBJ(v, lv_strobj);
    if (!s->hash) {
        s->hash = hash_bytes(s->s, s->len) & 0x7fffffffffffffffULL;
        if (!s->hash) s->hash = 1;
    }
    return s->hash;
}

/* ---- lists and tuples ------------------------------------------------------ */

lang_value lv_list_new(size_t cap)
{
    lv_listobj *l = lv_alloc_obj(LV_LIST, sizeof *l);
    if (!l) return lv_err();
    if (cap) {
        if (cap > SIZE_MAX / sizeof *l->items || rt_host_memory_reserve(cap * sizeof *l->items) != RT_OK) {
            lv_free_obj(&l->h);
            return lv_err();
        }
        l->items = malloc(cap * sizeof *l->items);
        if (!l->items) { lv_free_obj(&l->h); return lv_err(); }
        l->cap = cap;
    }
    return lv_from_obj(l);
}

int lv_list_append_take(lang_value list, lang_value item)
{
    lv_listobj *l = LV_OBJ(list, lv_listobj);
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 4;
        /* the growth is checked against the kernel's limit (memlimit.c) */
        if (rt_host_memory_reserve(nc * sizeof *l->items) != RT_OK) { lv_release(item); return -1; }
        lang_value *ni = realloc(l->items, nc * sizeof *ni);
        if (!ni) { lv_release(item); return -1; }
        l->items = ni;
        l->cap = nc;
    }
    l->items[l->n++] = item;
    return 0;
}

int lv_list_append(lang_value list, lang_value item)
{
    return lv_list_append_take(list, lv_retain(item));
}

size_t lv_list_len(lang_value v) { return LV_OBJ(v, lv_listobj)->n; }
lang_value *lv_list_items(lang_value v) { return LV_OBJ(v, lv_listobj)->items; }

lang_value lv_tuple_new(size_t n)
{
    lv_tupleobj *t = lv_alloc_obj(LV_TUPLE, sizeof *t + n * sizeof(lang_value));
    if (!t) return lv_err();
    t->n = n;
    for (size_t i = 0; i < n; i++) t->items[i] = lv_none();
    return lv_from_obj(t);
}

void lv_tuple_set_take(lang_value tuple, size_t i, lang_value item)
{
    lv_tupleobj *t = LV_OBJ(tuple, lv_tupleobj);
    lv_release(t->items[i]);
    t->items[i] = item;
}

size_t lv_tuple_len(lang_value v) { return LV_OBJ(v, lv_tupleobj)->n; }
lang_value *lv_tuple_items(lang_value v) { return LV_OBJ(v, lv_tupleobj)->items; }

lang_value lv_tuple_of(size_t n, const lang_value *items)
{
    lang_value t = lv_tuple_new(n);
    if (lv_is_err(t)) return t;
    for (size_t i = 0; i < n; i++) LV_OBJ(t, lv_tupleobj)->items[i] = lv_retain(items[i]);
    return t;
}

lang_value *lv_seq_items(lang_value v, int64_t *n)
{
    if (v.type == LV_LIST) { *n = (int64_t)LV_OBJ(v, lv_listobj)->n; return LV_OBJ(v, lv_listobj)->items; }
    if (v.type == LV_TUPLE) { *n = (int64_t)LV_OBJ(v, lv_tupleobj)->n; return LV_OBJ(v, lv_tupleobj)->items; }
    *n = -1;
    return NULL;
}

/* ---- hashing and equality ----------------------------------------------------- */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33; x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

int64_t lv_hash(lang_value v)
{
    uint64_t h;
    switch ((lv_type)v.type) {
    case LV_NONE: h = 0x9e3779b97f4a7c15ULL; break;
    case LV_BOOL: h = mix64((uint64_t)v.u.b); break;
    case LV_INT: h = mix64((uint64_t)v.u.i); break;
    case LV_FLOAT: {
        double f = v.u.f;
        /* 1 == 1.0 must hash alike */
        if (f == floor(f) && fabs(f) < 9.2e18) h = mix64((uint64_t)(int64_t)f);
        else { uint64_t bits; memcpy(&bits, &f, 8); h = mix64(bits ^ 0x5555); }
        break;
    }
    case LV_STR: h = lv_str_hash(v); break;
    case LV_TUPLE: {
        lv_tupleobj *t = LV_OBJ(v, lv_tupleobj);
        static int hash_depth;
        h = 0x345678ULL;
        if (hash_depth > 500) { h = mix64((uint64_t)t->n); break; }
        for (size_t i = 0; i < t->n; i++) {
            hash_depth++;
            int64_t hi = lv_hash(t->items[i]);
            hash_depth--;
            if (hi < 0) return -1;
            h = mix64(h ^ (uint64_t)hi) + i;
        }
        break;
    }
    case LV_BUILTIN: case LV_FUNCTION: case LV_OBJECT: case LV_CLASS: case LV_INSTANCE:
        h = mix64((uint64_t)(uintptr_t)v.u.o); break;
    default: return -1;
    }
    return (int64_t)(h & 0x7fffffffffffffffULL);
}

static int64_t range_length(const lv_rangeobj *r)
{
    if (r->step > 0) return r->stop > r->start ? (r->stop - r->start + r->step - 1) / r->step : 0;
    return r->start > r->stop ? (r->start - r->stop - r->step - 1) / (-r->step) : 0;
}

int lv_equal(lang_value a, lang_value b)
{
    /* deeply nested containers: compare identity past a depth (the C
     * stack is finite) */
    lang_heap *heap = lang_heap_current();
    if (heap->equal_depth > 500) return a.type == b.type && a.u.o == b.u.o;
    if (lv_is_number(a) && lv_is_number(b)) {
        if (a.type == LV_FLOAT || b.type == LV_FLOAT) return lv_as_double(a) == lv_as_double(b);
        int64_t x = a.type == LV_INT ? a.u.i : a.u.b, y = b.type == LV_INT ? b.u.i : b.u.b;
        return x == y;
    }
    if (a.type != b.type) return 0;
    switch ((lv_type)a.type) {
    case LV_NONE: return 1;
    case LV_STR: {
        lv_strobj *x = LV_OBJ(a, lv_strobj), *y = LV_OBJ(b, lv_strobj);
        return x->len == y->len && memcmp(x->s, y->s, x->len) == 0;
    }
    case LV_LIST: case LV_TUPLE: {
        int64_t n, m;
        lang_value *x = lv_seq_items(a, &n), *y = lv_seq_items(b, &m);
        if (n != m) return 0;
        if (x == y) return 1;
        int eq = 1;
        heap->equal_depth++;
        for (int64_t i = 0; i < n && eq; i++) eq = lv_equal(x[i], y[i]);
        heap->equal_depth--;
        return eq;
    }
    case LV_DICT: {
        if (lv_dict_len(a) != lv_dict_len(b)) return 0;
        size_t i = 0;
        lang_value k, v;
        while (lv_dict_next(a, &i, &k, &v)) {
            lang_value w = lv_dict_get(b, k);
            if (lv_is_missing(w) || !lv_equal(v, w)) return 0;
        }
        return 1;
    }
    case LV_RANGE: {
        /* equal as sequences: range(0) == range(2, 2), range(0, 3, 2) == range(0, 4, 2) */
        lv_rangeobj *x = LV_OBJ(a, lv_rangeobj), *y = LV_OBJ(b, lv_rangeobj);
        int64_t nx = range_length(x), ny = range_length(y);
        return nx == ny && (nx == 0 || (x->start == y->start && (nx == 1 || x->step == y->step)));
    }
    case LV_BUILTIN: {
        lv_builtinobj *x = LV_OBJ(a, lv_builtinobj), *y = LV_OBJ(b, lv_builtinobj);
        if (x->fn != y->fn) return 0;
        if (x->self.type == LV_NONE && y->self.type == LV_NONE) return 1;
        return x->self.type == y->self.type && x->self.u.o == y->self.u.o;
    }
    case LV_ARRAY: return a.u.a == b.u.a;
    default: return a.u.o == b.u.o;
    }
}

int lv_truthy(lang_value v)
{
    switch ((lv_type)v.type) {
    case LV_NONE: return 0;
    case LV_BOOL: return v.u.b;
    case LV_INT: return v.u.i != 0;
    case LV_FLOAT: return v.u.f != 0.0;
    case LV_STR: return LV_OBJ(v, lv_strobj)->len != 0;
    case LV_LIST: return LV_OBJ(v, lv_listobj)->n != 0;
    case LV_TUPLE: return LV_OBJ(v, lv_tupleobj)->n != 0;
    case LV_DICT: return LV_OBJ(v, lv_dictobj)->n != 0;
    case LV_RANGE: {
        lv_rangeobj *r = LV_OBJ(v, lv_rangeobj);
        return r->step > 0 ? r->start < r->stop : r->start > r->stop;
    }
    case LV_ARRAY: {
        double d;
        if (v.u.a->size == 1 && rt_item(v.u.a, 0, &d) == RT_OK) return d != 0;
        return v.u.a->size != 0;
    }
    default: return 1;
    }
}

/* ---- dicts ---------------------------------------------------------------- */

lang_value lv_dict_new(void)
{
    lv_dictobj *d = lv_alloc_obj(LV_DICT, sizeof *d);
    if (!d) return lv_err();
    return lv_from_obj(d);
}

size_t lv_dict_len(lang_value v) { return LV_OBJ(v, lv_dictobj)->n; }

/* Index slot holding key (>= 0: entry index), or -1 with *slot the empty
 * index position where it would go. */
static int64_t dict_find(lv_dictobj *d, lang_value key, uint64_t h, size_t *slot)
{
    if (!d->index) { *slot = 0; return -1; }
    size_t i = h & d->mask, perturb = h;
    for (;;) {
        int32_t e = d->index[i];
        if (e < 0) { *slot = i; return -1; }
        lv_dictentry *en = &d->entries[e];
        if (en->hash == h && en->key.type != LV_MISSING && lv_equal(en->key, key)) { *slot = i; return e; }
        perturb >>= 5;
        i = (i * 5 + 1 + perturb) & d->mask;
    }
}

static int dict_rebuild(lv_dictobj *d, size_t need)
{
    /* allocate first (a failure leaves the dict as it was), then compact
     * live entries and rebuild the index at >= 2 * need slots */
    size_t isz = 8;
    while (isz < need * 2) isz *= 2;
    int32_t *idx = malloc(isz * sizeof *idx);
    if (!idx) return -1;
    size_t ncap = isz / 2 + 1;
    if (rt_host_memory_reserve(isz * sizeof *idx + (ncap > d->cap ? (ncap - d->cap) * sizeof *d->entries : 0)) != RT_OK) {
        free(idx);
        return -1;
    }
    if (ncap > d->cap) {
        lv_dictentry *ne = realloc(d->entries, ncap * sizeof *ne);
        if (!ne) { free(idx); return -1; }
        d->entries = ne;
        d->cap = ncap;
    }
    size_t j = 0;
    for (size_t i = 0; i < d->used; i++) {
        if (d->entries[i].key.type == LV_MISSING) continue;
        d->entries[j++] = d->entries[i];
    }
    d->used = j;
    memset(idx, 0xff, isz * sizeof *idx);
    free(d->index);
    d->index = idx;
    d->mask = isz - 1;
    for (size_t e = 0; e < d->used; e++) {
        size_t i = d->entries[e].hash & d->mask, perturb = d->entries[e].hash;
        while (idx[i] >= 0) { perturb >>= 5; i = (i * 5 + 1 + perturb) & d->mask; }
        idx[i] = (int32_t)e;
    }
    return 0;
}

int lv_dict_set(lang_value dict, lang_value key, lang_value value)
{
    lv_dictobj *d = LV_OBJ(dict, lv_dictobj);
    int64_t hh = lv_hash(key);
    if (hh < 0) return -2;
    uint64_t h = (uint64_t)hh;
    size_t slot;
    int64_t e = dict_find(d, key, h, &slot);
    if (e >= 0) {
        lang_value old = d->entries[e].value;
        d->entries[e].value = lv_retain(value);
        lv_release(old);
        return 0;
    }
    if (!d->index || d->used + 1 >= d->cap) {
        if (dict_rebuild(d, d->n + 1 < 4 ? 4 : (d->n + 1) * 2) < 0) return -1;
        dict_find(d, key, h, &slot);
    }
    d->entries[d->used].hash = h;
    d->entries[d->used].key = lv_retain(key);
    d->entries[d->used].value = lv_retain(value);
    d->index[slot] = (int32_t)d->used;
    d->used++;
    d->n++;
    return 0;
}

int lv_dict_set_str(lang_value dict, const char *key, lang_value value)
{
    lang_value k = lv_str(key);
    if (lv_is_err(k)) return -1;
    int r = lv_dict_set(dict, k, value);
    lv_release(k);
    return r;
}

lang_value lv_dict_get(lang_value dict, lang_value key)
{
    lv_dictobj *d = LV_OBJ(dict, lv_dictobj);
    int64_t hh = lv_hash(key);
    size_t slot;
    if (hh < 0) return lv_missing();
    int64_t e = dict_find(d, key, (uint64_t)hh, &slot);
    return e >= 0 ? d->entries[e].value : lv_missing();
}

lang_value lv_dict_get_str(lang_value dict, const char *key)
{
    lang_value k = lv_str(key);
    if (lv_is_err(k)) return lv_missing();
    lang_value r = lv_dict_get(dict, k);
    lv_release(k);
    return r;
}

/* Removes key; returns its value (new reference) or LV_MISSING. */
lang_value lv_dict_pop(lang_value dict, lang_value key)
{
    lv_dictobj *d = LV_OBJ(dict, lv_dictobj);
    int64_t hh = lv_hash(key);
    size_t slot;
    if (hh < 0) return lv_missing();
    int64_t e = dict_find(d, key, (uint64_t)hh, &slot);
    if (e < 0) return lv_missing();
    lang_value v = d->entries[e].value;
    lv_release(d->entries[e].key);
    d->entries[e].key = lv_missing();
    d->entries[e].value = lv_none();
    d->n--;
    /* the index slot keeps pointing at the dead entry (a tombstone) until
     * the next rebuild; dict_find skips dead entries */
    return v;
}

int lv_dict_next(lang_value dict, size_t *i, lang_value *key, lang_value *value)
{
    lv_dictobj *d = LV_OBJ(dict, lv_dictobj);
    while (*i < d->used) {
        lv_dictentry *e = &d->entries[(*i)++];
        if (e->key.type == LV_MISSING) continue;
        if (key) *key = e->key;
        if (value) *value = e->value;
        return 1;
    }
    return 0;
}

/* ---- arrays and objects ------------------------------------------------------ */

lang_value lv_array_take(rt_array *a)
{
    if (!a) return lv_err();
    lang_value v;
    v.type = LV_ARRAY;
    v.u.a = a;
    return v;
}

lang_value lv_object_new(const lang_class *cls, void *data)
{
    lv_objectobj *o = lv_alloc_obj(LV_OBJECT, sizeof *o);
    if (!o) {
        if (cls->free && data) cls->free(data);
        return lv_err();
    }
    o->cls = cls;
    o->data = data;
    return lv_from_obj(o);
}

const lang_class *lv_object_class(lang_value v)
{
    return v.type == LV_OBJECT ? LV_OBJ(v, lv_objectobj)->cls : NULL;
}

void *lv_object_data(lang_value v)
{
    return v.type == LV_OBJECT ? LV_OBJ(v, lv_objectobj)->data : NULL;
}

void *lv_object_check(lang_value v, const lang_class *cls)
{
    return v.type == LV_OBJECT && LV_OBJ(v, lv_objectobj)->cls == cls ? LV_OBJ(v, lv_objectobj)->data : NULL;
}
