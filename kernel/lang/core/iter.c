/* iter.c — iteration over every iterable value (for loops, comprehensions,
 * unpacking, list(), enumerate, zip).
 *
 * An iterator is an LV_ITER heap object holding the iterated value and a
 * position. Lists are read by index at each step (appending while iterating
 * sees the new items, as in Python); arrays yield their rows along axis 0
 * (host numbers for 1-D arrays).
 */
#include <stdlib.h>
#include <string.h>
#include "interp.h"

void lv_iter_free(lv_iterobj *it)
{
    lv_release(it->src);
    for (int i = 0; i < it->nsub; i++)
        if (it->sub[i]) lv_release(lv_from_obj(it->sub[i]));
    free(it->sub);
    lv_free_obj(&it->h);
}

static lv_iterobj *new_iter(lang_state *L, lv_iterkind k, lang_value src)
{
    lv_iterobj *it = lv_alloc_obj(LV_ITER, sizeof *it);
    if (!it) { lang_nomem(L); return NULL; }
    it->kind = k;
    it->src = lv_retain(src);
    return it;
}


/* A list of obj[0] .. obj[len-1] for an object whose class has getitem and
 * len (new reference, or LV_ERR raised). */
static lang_value object_items(lang_state *L, lang_value obj, const lang_class *c)
{
    int64_t n = c->len(L, obj);
    if (n < 0) return lv_err();
    lang_value l = lv_list_new((size_t)n);
    if (lv_is_err(l)) return lang_nomem(L);
    for (int64_t i = 0; i < n; i++) {
        lang_value item = c->getitem(L, obj, lv_int(i));
        if (lv_is_err(item) || lv_list_append_take(l, item) < 0) {
            lv_release(l);
            return lv_is_err(item) ? item : lang_nomem(L);
        }
    }
    return l;
}

lang_value iter_new(lang_state *L, lang_value v)
{
    lv_iterobj *it;
    switch (v.type) {
    case LV_ITER: return lv_retain(v);
    case LV_LIST: case LV_TUPLE: it = new_iter(L, IT_SEQ, v); break;
    case LV_STR: it = new_iter(L, IT_STR, v); break;
    case LV_DICT: it = new_iter(L, IT_DICT, v); break;
    case LV_RANGE:
        it = new_iter(L, IT_RANGE, v);
        if (it) it->pos = LV_OBJ(v, lv_rangeobj)->start;
        break;
    case LV_ARRAY:
        if (v.u.a->ndim == 0) return lang_raise(L, LANG_E_TYPE, "iteration over a 0-d array");
        it = new_iter(L, IT_ARRAY, v);
        if (it) it->end = v.u.a->shape[0];
        break;
    case LV_INSTANCE: {
        lv_iterkind k;
        lang_value src = instance_iter(L, v, &k);
        if (src.type != LV_INSTANCE) return src; /* an iterator, or LV_ERR */
        it = new_iter(L, k, src);
        lv_release(src);
        break;
    }
    case LV_OBJECT: {
        const lang_class *c = lv_object_class(v);
        if (c->next) { it = new_iter(L, IT_OBJECT, v); break; }
        if (c->getitem && c->len) {
            /* the sequence protocol: items 0 .. len-1 (plt's AxesArray gives its rows) */
            lang_value items = object_items(L, v, c);
            if (lv_is_err(items)) return items;
            it = new_iter(L, IT_SEQ, items);
            lv_release(items);
            break;
        }
    }
        /* fall through */
    default:
        return lang_raise(L, LANG_E_TYPE, "'%s' object is not iterable", lv_type_name(v));
    }
    return it ? lv_from_obj(it) : lv_err();
}

int iter_next(lang_state *L, lang_value itv, lang_value *out)
{
    lv_iterobj *it = LV_OBJ(itv, lv_iterobj);
    switch (it->kind) {
    case IT_NEXT: case IT_GETITEM: return instance_next(L, it->src, it->kind == IT_GETITEM, &it->pos, out);
    case IT_SEQ: {
        int64_t n;
        lang_value *items = lv_seq_items(it->src, &n);
        if (it->pos >= n) return 0;
        *out = lv_retain(items[it->pos++]);
        return 1;
    }
    case IT_STR: {
        const char *s = lv_str_cstr(it->src);
        size_t len = lv_str_len(it->src), o = (size_t)it->pos;
        if (o >= len) return 0;
        size_t e = o + 1;
        while (e < len && ((unsigned char)s[e] & 0xC0) == 0x80) e++;
        it->pos = (int64_t)e;
        *out = lv_str_n(s + o, e - o);
        if (lv_is_err(*out)) { lang_nomem(L); return -1; }
        return 1;
    }
    case IT_DICT: {
        size_t i = (size_t)it->pos;
        lang_value k;
        if (!lv_dict_next(it->src, &i, &k, NULL)) return 0;
        it->pos = (int64_t)i;
        *out = lv_retain(k);
        return 1;
    }
    case IT_RANGE: {
        lv_rangeobj *r = LV_OBJ(it->src, lv_rangeobj);
        if (r->step > 0 ? it->pos >= r->stop : it->pos <= r->stop) return 0;
        *out = lv_int(it->pos);
        it->pos += r->step;
        return 1;
    }
    case IT_ARRAY: {
        if (it->pos >= it->end) return 0;
        *out = array_index0(L, it->src.u.a, it->pos++);
        return lv_is_err(*out) ? -1 : 1;
    }
    case IT_OBJECT:
        return lv_object_class(it->src)->next(L, it->src, out);
    case IT_ENUMERATE: {
        lang_value item;
        int r = iter_next(L, lv_from_obj(it->sub[0]), &item);
        if (r <= 0) return r;
        lang_value t = lv_tuple_new(2);
        if (lv_is_err(t)) { lv_release(item); lang_nomem(L); return -1; }
        lv_tuple_set_take(t, 0, lv_int(it->count++));
        lv_tuple_set_take(t, 1, item);
        *out = t;
        return 1;
    }
    case IT_ZIP: {
        if (it->nsub == 0) return 0;
        lang_value t = lv_tuple_new((size_t)it->nsub);
        if (lv_is_err(t)) { lang_nomem(L); return -1; }
        for (int i = 0; i < it->nsub; i++) {
            lang_value item;
            int r = iter_next(L, lv_from_obj(it->sub[i]), &item);
            if (r <= 0) { lv_release(t); return r; }
            lv_tuple_set_take(t, (size_t)i, item);
        }
        *out = t;
        return 1;
    }
    }
    return 0;
}

lang_value iter_enumerate(lang_state *L, lang_value v, int64_t start)
{
    lang_value sub = iter_new(L, v);
    if (lv_is_err(sub)) return sub;
    lv_iterobj *it = new_iter(L, IT_ENUMERATE, lv_none());
    if (!it) { lv_release(sub); return lv_err(); }
    it->sub = malloc(sizeof *it->sub);
    if (!it->sub) { lv_release(sub); lv_release(lv_from_obj(it)); return lang_nomem(L); }
    it->sub[0] = LV_OBJ(sub, lv_iterobj);
    it->nsub = 1;
    it->count = start;
    return lv_from_obj(it);
}

lang_value iter_zip(lang_state *L, int n, const lang_value *vals)
{
    lv_iterobj *it = new_iter(L, IT_ZIP, lv_none());
    if (!it) return lv_err();
    lang_value r = lv_from_obj(it);
    if (n) {
        it->sub = calloc((size_t)n, sizeof *it->sub);
        if (!it->sub) { lv_release(r); return lang_nomem(L); }
    }
    for (int i = 0; i < n; i++) {
        lang_value sub = iter_new(L, vals[i]);
        if (lv_is_err(sub)) { lv_release(r); return sub; }
        it->sub[i] = LV_OBJ(sub, lv_iterobj);
        it->nsub = i + 1;
    }
    return r;
}

lang_value iter_to_list(lang_state *L, lang_value v)
{
    int64_t n;
    lang_value *items = lv_seq_items(v, &n);
    if (items) {
        lang_value l = lv_list_new((size_t)n);
        if (lv_is_err(l)) return lang_nomem(L);
        for (int64_t i = 0; i < n; i++) lv_list_append(l, items[i]);
        return l;
    }
    size_t known = 0; /* a range's length is known: one allocation, checked at once */
    if (v.type == LV_RANGE) {
        lv_rangeobj *r = LV_OBJ(v, lv_rangeobj);
        int64_t len = r->step > 0 ? (r->stop - r->start + r->step - 1) / r->step
                                  : (r->start - r->stop - r->step - 1) / -r->step;
        known = len > 0 ? (size_t)len : 0;
    }
    lang_value it = iter_new(L, v);
    if (lv_is_err(it)) return it;
    lang_value l = lv_list_new(known);
    if (lv_is_err(l)) { lv_release(it); return lang_nomem(L); }
    for (;;) {
        if (L->interrupt) {
            L->interrupt = 0;
            lang_raise(L, LANG_E_INTERRUPT, "interrupted by the user");
            lv_release(l);
            l = lv_err();
            break;
        }
        lang_value item;
        int r = iter_next(L, it, &item);
        if (r == 0) break;
        if (r < 0) { lv_release(l); l = lv_err(); break; }
        if (lv_list_append_take(l, item) < 0) { lv_release(l); l = lang_nomem(L); break; }
    }
    lv_release(it);
    return l;
}
