/* builtins_list.c — list and dict methods. dict.keys()/values()/items()
 * return lists (snapshots) rather than live views.
 */
#include <stdlib.h>
#include <string.h>
#include "interp.h"
#include "libraries.h"

#define SELF_L LV_OBJ(a->self, lv_listobj)

static lang_value l_append(lang_state *L, const lang_args *a)
{
    if (a->n != 1 || a->nkw) return lang_raise(L, LANG_E_TYPE, "list.append() takes exactly one argument (%d given)", a->n + a->nkw);
    if (lv_list_append(a->self, a->v[0]) < 0) return lang_nomem(L);
    return lv_none();
}

static lang_value l_extend(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    if (lang_args_bind(L, a, "iterable", v) < 0) return lv_err();
    lang_value items = iter_to_list(L, v[0]);
    if (lv_is_err(items)) return items;
    size_t n = lv_list_len(items);
    for (size_t i = 0; i < n; i++)
        if (lv_list_append(a->self, lv_list_items(items)[i]) < 0) { lv_release(items); return lang_nomem(L); }
    lv_release(items);
    return lv_none();
}

static lang_value l_pop(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    int64_t i = -1;
    if (lang_args_bind(L, a, "index=", v) < 0) return lv_err();
    if (!lv_is_missing(v[0]) && lang_get_int(L, v[0], "index", &i) < 0) return lv_err();
    lv_listobj *l = SELF_L;
    if (l->n == 0) return lang_raise(L, LANG_E_INDEX, "pop from empty list");
    if (i < 0) i += (int64_t)l->n;
    if (i < 0 || i >= (int64_t)l->n) return lang_raise(L, LANG_E_INDEX, "pop index out of range");
    lang_value r = l->items[i];
    memmove(l->items + i, l->items + i + 1, (l->n - (size_t)i - 1) * sizeof(lang_value));
    l->n--;
    return r;
}

static lang_value l_insert(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    int64_t i;
    if (lang_args_bind(L, a, "index, object", v) < 0 || lang_get_int(L, v[0], "index", &i) < 0) return lv_err();
    if (lv_list_append(a->self, v[1]) < 0) return lang_nomem(L);
    lv_listobj *l = SELF_L;
    int64_t n = (int64_t)l->n - 1;
    if (i < 0) { i += n; if (i < 0) i = 0; }
    if (i > n) i = n;
    lang_value x = l->items[n];
    memmove(l->items + i + 1, l->items + i, (size_t)(n - i) * sizeof(lang_value));
    l->items[i] = x;
    return lv_none();
}

static lang_value l_remove(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    if (lang_args_bind(L, a, "value", v) < 0) return lv_err();
    lv_listobj *l = SELF_L;
    for (size_t i = 0; i < l->n; i++) {
        if (!lv_equal(l->items[i], v[0])) continue;
        lang_value r = l->items[i];
        memmove(l->items + i, l->items + i + 1, (l->n - i - 1) * sizeof(lang_value));
        l->n--;
        lv_release(r);
        return lv_none();
    }
    return lang_raise(L, LANG_E_VALUE, "list.remove(x): x not in list");
}

static lang_value l_index(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    if (lang_args_bind(L, a, "value", v) < 0) return lv_err();
    int64_t n;
    lang_value *items = lv_seq_items(a->self, &n);
    for (int64_t i = 0; i < n; i++) if (lv_equal(items[i], v[0])) return lv_int(i);
    char *r = lang_repr(L, v[0]);
    lang_raise(L, LANG_E_VALUE, "%s is not in %s", r ? r : "value", lv_type_name(a->self));
    free(r);
    return lv_err();
}

static lang_value l_count(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    if (lang_args_bind(L, a, "value", v) < 0) return lv_err();
    int64_t n, c = 0;
    lang_value *items = lv_seq_items(a->self, &n);
    for (int64_t i = 0; i < n; i++) c += lv_equal(items[i], v[0]);
    return lv_int(c);
}

static lang_value l_sort(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    int rev = 0;
    if (lang_args_bind(L, a, "key=, reverse=", v) < 0) return lv_err();
    if (!lv_is_missing(v[1]) && lang_get_bool(L, v[1], "reverse", &rev) < 0) return lv_err();
    if (sort_list(L, a->self, lv_is_missing(v[0]) ? lv_none() : v[0], rev) < 0) return lv_err();
    return lv_none();
}

static lang_value l_reverse(lang_state *L, const lang_args *a)
{
    if (lang_args_bind(L, a, "", NULL) < 0) return lv_err();
    lv_listobj *l = SELF_L;
    for (size_t i = 0; i < l->n / 2; i++) {
        lang_value t = l->items[i];
        l->items[i] = l->items[l->n - 1 - i];
        l->items[l->n - 1 - i] = t;
    }
    return lv_none();
}

static lang_value l_clear(lang_state *L, const lang_args *a)
{
    if (lang_args_bind(L, a, "", NULL) < 0) return lv_err();
    lv_listobj *l = SELF_L;
    size_t n = l->n;
    l->n = 0;
    for (size_t i = 0; i < n; i++) lv_release(l->items[i]);
    return lv_none();
}

static lang_value l_copy(lang_state *L, const lang_args *a)
{
    if (lang_args_bind(L, a, "", NULL) < 0) return lv_err();
    return iter_to_list(L, a->self);
}

const lang_method lang_list_methods[] = {
    {"append", l_append, "list.append(x)\nAdds x at the end.\n>>> xs = [1]; xs.append(2); xs\n[1, 2]"},
    {"extend", l_extend, "list.extend(iterable)\nAdds every item of iterable at the end.\n>>> xs = [1]; xs.extend([2, 3]); xs\n[1, 2, 3]"},
    {"pop", l_pop, "list.pop(index=-1)\nRemoves and returns the item at index (the last by default).\n>>> [1, 2, 3].pop()\n3"},
    {"insert", l_insert, "list.insert(index, x)\nInserts x before index.\n>>> xs = [1, 3]; xs.insert(1, 2); xs\n[1, 2, 3]"},
    {"remove", l_remove, "list.remove(x)\nRemoves the first item equal to x.\n>>> xs = [1, 2, 1]; xs.remove(1); xs\n[2, 1]"},
    {"index", l_index, "list.index(x)\nIndex of the first item equal to x.\n>>> [5, 6, 7].index(6)\n1"},
    {"count", l_count, "list.count(x)\nNumber of items equal to x.\n>>> [1, 2, 1].count(1)\n2"},
    {"sort", l_sort, "list.sort(key=None, reverse=False)\nSorts the list in place (stable).\n>>> xs = [3, 1, 2]; xs.sort(); xs\n[1, 2, 3]"},
    {"reverse", l_reverse, "list.reverse()\nReverses the list in place.\n>>> xs = [1, 2]; xs.reverse(); xs\n[2, 1]"},
    {"clear", l_clear, "list.clear()\nRemoves every item.\n>>> xs = [1]; xs.clear(); xs\n[]"},
    {"copy", l_copy, "list.copy()\nA shallow copy.\n>>> [1, 2].copy()\n[1, 2]"},
    {NULL, NULL, NULL}
};

const lang_method lang_tuple_methods[] = {
    {"index", l_index, "tuple.index(x)\nIndex of the first item equal to x.\n>>> (5, 6).index(6)\n1"},
    {"count", l_count, "tuple.count(x)\nNumber of items equal to x.\n>>> (1, 1, 2).count(1)\n2"},
    {NULL, NULL, NULL}
};

/* ---- dict --------------------------------------------------------------------------- */

static lang_value d_list(lang_state *L, const lang_args *a, int what)
{
    if (lang_args_bind(L, a, "", NULL) < 0) return lv_err();
    lang_value out = lv_list_new(lv_dict_len(a->self));
    if (lv_is_err(out)) return lang_nomem(L);
    size_t i = 0;
    lang_value k, v;
    while (lv_dict_next(a->self, &i, &k, &v)) {
        if (what == 0) lv_list_append(out, k);
        else if (what == 1) lv_list_append(out, v);
        else {
            lang_value t = lv_tuple_new(2);
            if (lv_is_err(t)) { lv_release(out); return lang_nomem(L); }
            lv_tuple_set_take(t, 0, lv_retain(k));
            lv_tuple_set_take(t, 1, lv_retain(v));
            lv_list_append_take(out, t);
        }
    }
    return out;
}
static lang_value d_keys(lang_state *L, const lang_args *a) { return d_list(L, a, 0); }
static lang_value d_values(lang_state *L, const lang_args *a) { return d_list(L, a, 1); }
static lang_value d_items(lang_state *L, const lang_args *a) { return d_list(L, a, 2); }

static lang_value d_get(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    if (lang_args_bind(L, a, "key, default=", v) < 0) return lv_err();
    if (lv_hash(v[0]) < 0) return lang_raise(L, LANG_E_TYPE, "unhashable type: '%s'", lv_type_name(v[0]));
    lang_value r = lv_dict_get(a->self, v[0]);
    if (!lv_is_missing(r)) return lv_retain(r);
    return lv_is_missing(v[1]) ? lv_none() : lv_retain(v[1]);
}

static lang_value d_pop(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    if (lang_args_bind(L, a, "key, default=", v) < 0) return lv_err();
    lang_value r = lv_dict_pop(a->self, v[0]);
    if (!lv_is_missing(r)) return r;
    if (!lv_is_missing(v[1])) return lv_retain(v[1]);
    return lang_raise_key(L, v[0]);
}

static lang_value d_setdefault(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    if (lang_args_bind(L, a, "key, default=", v) < 0) return lv_err();
    lang_value r = lv_dict_get(a->self, v[0]);
    if (!lv_is_missing(r)) return lv_retain(r);
    lang_value d = lv_is_missing(v[1]) ? lv_none() : v[1];
    int rc = lv_dict_set(a->self, v[0], d);
    if (rc == -2) return lang_raise(L, LANG_E_TYPE, "unhashable type: '%s'", lv_type_name(v[0]));
    if (rc < 0) return lang_nomem(L);
    return lv_retain(d);
}

static lang_value d_update(lang_state *L, const lang_args *a)
{
    if (a->n > 1) return lang_raise(L, LANG_E_TYPE, "update expected at most 1 argument, got %d", a->n);
    if (a->n == 1) {
        lang_value src = a->v[0];
        if (src.type == LV_DICT) {
            size_t i = 0;
            lang_value k, v;
            while (lv_dict_next(src, &i, &k, &v))
                if (lv_dict_set(a->self, k, v) < 0) return lang_nomem(L);
        } else {
            lang_value l = iter_to_list(L, src);
            if (lv_is_err(l)) return l;
            for (size_t i = 0; i < lv_list_len(l); i++) {
                int64_t m;
                lang_value *kv = lv_seq_items(lv_list_items(l)[i], &m);
                if (!kv || m != 2) {
                    lv_release(l);
                    return lang_raise(L, LANG_E_VALUE, "dictionary update sequence element #%zu has the wrong shape (need a (key, value) pair)", i);
                }
                int rc = lv_dict_set(a->self, kv[0], kv[1]);
                if (rc < 0) {
                    lv_release(l);
                    return rc == -2 ? lang_raise(L, LANG_E_TYPE, "unhashable type: '%s'", lv_type_name(kv[0])) : lang_nomem(L);
                }
            }
            lv_release(l);
        }
    }
    for (int k = 0; k < a->nkw; k++)
        if (lv_dict_set_str(a->self, a->kwname[k], a->kw[k]) < 0) return lang_nomem(L);
    return lv_none();
}

static lang_value d_clear(lang_state *L, const lang_args *a)
{
    if (lang_args_bind(L, a, "", NULL) < 0) return lv_err();
    lang_value keys = d_list(L, a, 0);
    if (lv_is_err(keys)) return keys;
    for (size_t i = 0; i < lv_list_len(keys); i++) lv_release(lv_dict_pop(a->self, lv_list_items(keys)[i]));
    lv_release(keys);
    return lv_none();
}

static lang_value d_copy(lang_state *L, const lang_args *a)
{
    if (lang_args_bind(L, a, "", NULL) < 0) return lv_err();
    lang_value d = lv_dict_new();
    if (lv_is_err(d)) return lang_nomem(L);
    size_t i = 0;
    lang_value k, v;
    while (lv_dict_next(a->self, &i, &k, &v))
        if (lv_dict_set(d, k, v) < 0) { lv_release(d); return lang_nomem(L); }
    return d;
}

const lang_method lang_dict_methods[] = {
    {"keys", d_keys, "dict.keys()\nThe keys, in insertion order (a list).\n>>> {'a': 1, 'b': 2}.keys()\n['a', 'b']"},
    {"values", d_values, "dict.values()\nThe values, in insertion order (a list).\n>>> {'a': 1}.values()\n[1]"},
    {"items", d_items, "dict.items()\nThe (key, value) pairs, in insertion order (a list).\n>>> {'a': 1}.items()\n[('a', 1)]"},
    {"get", d_get, "dict.get(key, default=None)\nThe value for key, or default when absent.\n>>> {'a': 1}.get('b', 0)\n0"},
    {"pop", d_pop, "dict.pop(key, default=)\nRemoves key and returns its value (or default; KeyError without one).\n>>> {'a': 1}.pop('a')\n1"},
    {"setdefault", d_setdefault, "dict.setdefault(key, default=None)\nThe value for key, inserting default first when absent.\n>>> d = {}; d.setdefault('a', []).append(1); d\n{'a': [1]}"},
    {"update", d_update, "dict.update(other=None, **kwargs)\nAdds the pairs of other and kwargs.\n>>> d = {'a': 1}; d.update(b=2); d\n{'a': 1, 'b': 2}"},
    {"clear", d_clear, "dict.clear()\nRemoves every pair.\n>>> d = {'a': 1}; d.clear(); d\n{}"},
    {"copy", d_copy, "dict.copy()\nA shallow copy.\n>>> {'a': 1}.copy()\n{'a': 1}"},
    {NULL, NULL, NULL}
};
