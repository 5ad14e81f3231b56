/* lang_value.c — values (value.h): strings, lists, tuples, dicts (order,
 * growth, deletion, key equality across int/float), equality, hashing,
 * truthiness, objects, and the cycle collector. */
#include "test.h"
#include "value.h"
#include "object.h"

static int freed;
static void count_free(void *p) { freed++; free(p); }
static const lang_class probe_class = { .name = "Probe", .free = count_free };

TEST(strings)
{
    lang_value s = lv_str("héllo");
    CHECK(s.type == LV_STR && lv_str_len(s) == 6 && lv_str_ncp(s) == 5);
    CHECK_STR(lv_str_cstr(s), "héllo");
    lang_value t = lv_str_printf("%d-%s", 7, "x");
    CHECK_STR(lv_str_cstr(t), "7-x");
    lang_value u = lv_str_n("ab\0cd", 5);
    CHECK(lv_str_len(u) == 5);
    lang_value a1 = lv_str("a"), a2 = lv_str("a");
    CHECK(lv_equal(a1, a2) && lv_hash(a1) == lv_hash(a2));
    lv_release(a1);
    lv_release(a2);
    lv_release(s);
    lv_release(t);
    lv_release(u);
}

TEST(lists_and_tuples)
{
    lang_value l = lv_list_new(0);
    for (int i = 0; i < 1000; i++) CHECK(lv_list_append(l, lv_int(i)) == 0 || i > 0);
    CHECK(lv_list_len(l) == 1000 && lv_list_items(l)[999].u.i == 999);
    lang_value items[2] = { lv_int(1), lv_float(2.5) };
    lang_value t = lv_tuple_of(2, items);
    int64_t n;
    CHECK(lv_seq_items(t, &n) && n == 2);
    lang_value t2 = lv_tuple_new(2);
    lv_tuple_set_take(t2, 0, lv_float(1.0));
    lv_tuple_set_take(t2, 1, lv_float(2.5));
    CHECK(lv_equal(t, t2) && lv_hash(t) == lv_hash(t2));
    lang_value empty = lv_tuple_new(0);
    CHECK(lv_truthy(l) && !lv_truthy(empty));
    lv_release(empty);
    lv_release(l);
    lv_release(t);
    lv_release(t2);
}

TEST(dict_order_growth_and_deletion)
{
    lang_value d = lv_dict_new();
    for (int i = 0; i < 5000; i++) CHECK(lv_dict_set(d, lv_int(i), lv_int(i * 2)) == 0);
    CHECK(lv_dict_len(d) == 5000);
    for (int i = 0; i < 5000; i += 2) { lang_value v = lv_dict_pop(d, lv_int(i)); CHECK(v.type == LV_INT && v.u.i == i * 2); }
    CHECK(lv_dict_len(d) == 2500);
    CHECK(lv_is_missing(lv_dict_get(d, lv_int(4))));
    CHECK(lv_dict_get(d, lv_int(5)).u.i == 10);
    /* re-inserting after deletions keeps insertion order: odd keys, then the new one */
    CHECK(lv_dict_set(d, lv_int(4), lv_int(-1)) == 0);
    size_t it = 0;
    lang_value k, v;
    int64_t prev = -1, count = 0, last = 0;
    while (lv_dict_next(d, &it, &k, &v)) {
        if (count < 2500) { CHECK(k.u.i > prev && (k.u.i & 1)); prev = k.u.i; }
        last = k.u.i;
        count++;
    }
    CHECK(count == 2501 && last == 4);
    /* 1 and 1.0 and True are the same key */
    lang_value e = lv_dict_new();
    lang_value si = lv_str("int"), sf = lv_str("float");
    lv_dict_set(e, lv_int(1), si);
    lv_dict_set(e, lv_float(1.0), sf);
    lv_release(si);
    lv_release(sf);
    CHECK(lv_dict_len(e) == 1);
    CHECK_STR(lv_str_cstr(lv_dict_get(e, lv_bool(1))), "float");
    /* unhashable keys */
    lang_value lst = lv_list_new(0);
    CHECK(lv_dict_set(e, lst, lv_none()) == -2);
    CHECK(lv_dict_set_str(e, "name", lv_int(3)) == 0 && lv_dict_get_str(e, "name").u.i == 3);
    lv_release(lst);
    lv_release(d);
    lv_release(e);
}

TEST(equality_and_truthiness)
{
    CHECK(lv_equal(lv_int(2), lv_float(2.0)));
    CHECK(!lv_equal(lv_int(2), lv_none()));
    CHECK(lv_equal(lv_none(), lv_none()));
    CHECK(lv_hash(lv_int(3)) == lv_hash(lv_float(3.0)));
    CHECK(!lv_truthy(lv_int(0)) && lv_truthy(lv_float(0.5)) && !lv_truthy(lv_none()) && lv_truthy(lv_bool(1)));
    lang_value e = lv_str("");
    CHECK(!lv_truthy(e));
    lv_release(e);
}

TEST(objects_free_their_data)
{
    freed = 0;
    lang_value o = lv_object_new(&probe_class, malloc(8));
    CHECK(lv_object_class(o) == &probe_class && lv_object_check(o, &probe_class) != NULL);
    lv_retain(o);
    lv_release(o);
    CHECK(freed == 0);
    lv_release(o);
    CHECK(freed == 1);
}

TEST(cycles_are_collected)
{
    freed = 0;
    /* a list holding itself and an object: unreachable after release */
    lang_value l = lv_list_new(0);
    lv_list_append(l, l);
    lang_value o = lv_object_new(&probe_class, malloc(8));
    lv_list_append_take(l, o);
    lang_value d = lv_dict_new();
    lv_dict_set_str(d, "l", l);
    lv_list_append(l, d);
    lv_release(d);
    lv_release(l);
    CHECK(freed == 0);
    size_t n = lv_gc_collect();
    CHECK(n >= 2 && freed == 1);
    /* reachable containers survive a collection */
    lang_value keep = lv_list_new(0);
    lv_list_append(keep, keep);
    lv_gc_collect();
    CHECK(lv_list_len(keep) == 1 && lv_list_items(keep)[0].u.o == keep.u.o);
    lv_release(keep);
    lv_gc_collect();
}

int main(void)
{
    RUN(strings);
    RUN(lists_and_tuples);
    RUN(dict_order_growth_and_deletion);
    RUN(equality_and_truthiness);
    RUN(objects_free_their_data);
    RUN(cycles_are_collected);
    return test_summary();
}
