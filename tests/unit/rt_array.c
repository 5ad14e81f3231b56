/* rt_array.c — creation, host access, views and their storage sharing,
 * reshape/transpose/indexing with errors, copies and casts, concatenate,
 * stack, gather, assignment, transfers, empty arrays. */
#include "rt_testlib.h"

DEVICE_TEST(creation) {
    rt_array *a = rt_zeros((int64_t[]){2, 3}, 2, RT_FLOAT32, dev);
    CHECK(a && a->device == dev && a->refcount == 1 && a->size == 6 && rt_array_is_contiguous(a));
    CHECK_ARRAY(a, ((double[]){0, 0, 0, 0, 0, 0}), 6, 0, 0, "zeros");
    rt_array_release(a);
    a = rt_full((int64_t[]){3}, 1, 2.75, RT_INT32, dev);
    CHECK(a && a->dtype == RT_INT32);
    CHECK_ARRAY(a, ((double[]){2, 2, 2}), 3, 0, 0, "full int truncates");
    rt_array_release(a);
    a = rt_empty((int64_t[]){4, 0, 2}, 3, RT_FLOAT64, dev);
    CHECK(a && a->size == 0);
    rt_array_release(a);
    a = rt_arange(0, 1, 0.25, RT_FLOAT32, dev);
    CHECK_ARRAY(a, ((double[]){0, 0.25, 0.5, 0.75}), 4, 0, 0, "arange float step");
    rt_array_release(a);
    a = rt_arange(5, 0, -2, RT_INT32, dev);
    CHECK_ARRAY(a, ((double[]){5, 3, 1}), 3, 0, 0, "arange negative step");
    rt_array_release(a);
    a = rt_arange(3, 3, 1, RT_FLOAT32, dev);
    CHECK(a && a->size == 0 && a->ndim == 1);
    rt_array_release(a);
    CHECK(rt_arange(0, 1, 0, RT_FLOAT32, dev) == NULL);
    CHECK_ERROR(RT_EVALUE, "step");
    a = rt_linspace(-1, 1, 5, RT_FLOAT64, dev);
    CHECK_ARRAY(a, ((double[]){-1, -0.5, 0, 0.5, 1}), 5, 0, 0, "linspace");
    rt_array_release(a);
    a = rt_linspace(2, 3, 1, RT_FLOAT32, dev);
    CHECK_ARRAY(a, ((double[]){2}), 1, 0, 0, "linspace 1");
    rt_array_release(a);
    CHECK(rt_linspace(0, 1, -1, RT_FLOAT32, dev) == NULL);
    CHECK_ERROR(RT_EVALUE, "must be non-negative");
    a = rt_eye(3, RT_BOOL, dev);
    CHECK(a && a->dtype == RT_BOOL);
    CHECK_ARRAY(a, ((double[]){1, 0, 0, 0, 1, 0, 0, 0, 1}), 9, 0, 0, "eye");
    rt_array_release(a);
    a = rt_eye(0, RT_FLOAT32, dev);
    CHECK_SHAPE(a, 0, 0);
    rt_array_release(a);
    CHECK(rt_zeros((int64_t[]){2, -1}, 2, RT_FLOAT32, dev) == NULL);
    CHECK_ERROR(RT_EVALUE, "negative dimensions are not allowed");
    CHECK(rt_zeros((int64_t[]){1, 1, 1, 1, 1, 1, 1, 1, 1}, 9, RT_FLOAT32, dev) == NULL);
    CHECK_ERROR(RT_EVALUE, "at most 8 dimensions");
    /* 0-d */
    a = rt_full(NULL, 0, -7, RT_FLOAT64, dev);
    CHECK(a && a->ndim == 0 && a->size == 1);
    double x = 0;
    CHECK(rt_item(a, 0, &x) == RT_OK && x == -7);
    CHECK(rt_item(a, 1, &x) != RT_OK);
    CHECK_ERROR(RT_EINDEX, "out of bounds");
    rt_array_release(a);
}

DEVICE_TEST(host_roundtrip_and_conversions) {
    float f[5] = {1.5f, -2.7f, 0.0f, NAN, 3e9f};
    rt_array *a = rt_from_host(f, RT_FLOAT32, (int64_t[]){5}, 1, RT_FLOAT32, dev);
    int32_t i[5];
    uint8_t b[5];
    double d[5];
    CHECK(rt_to_host(a, RT_INT32, i) == RT_OK);
    CHECK(i[0] == 1 && i[1] == -2 && i[2] == 0 && i[3] == INT32_MIN && i[4] == INT32_MIN);
    CHECK(rt_to_host(a, RT_BOOL, b) == RT_OK);
    CHECK(b[0] == 1 && b[1] == 1 && b[2] == 0 && b[3] == 1 && b[4] == 1);
    CHECK(rt_to_host(a, RT_FLOAT64, d) == RT_OK);
    CHECK(d[1] == (double)-2.7f && isnan(d[3]));
    rt_array *c = rt_cast(a, RT_INT32);
    CHECK(c && c->dtype == RT_INT32);
    CHECK_ARRAY(c, ((double[]){1, -2, 0, -2147483648.0, -2147483648.0}), 5, 0, 0, "cast to int32");
    rt_array_release(c);
    c = rt_cast(a, RT_BOOL);
    CHECK_ARRAY(c, ((double[]){1, 1, 0, 1, 1}), 5, 0, 0, "cast to bool");
    rt_array_release(c);
    int32_t src[4] = {-3, 0, 7, 1};
    c = rt_from_host(src, RT_INT32, (int64_t[]){2, 2}, 2, RT_FLOAT64, dev);
    CHECK(c && c->dtype == RT_FLOAT64);
    CHECK_ARRAY(c, ((double[]){-3, 0, 7, 1}), 4, 0, 0, "from int32 host");
    double item;
    CHECK(rt_item(c, 2, &item) == RT_OK && item == 7);
    rt_array_release(c);
    rt_array_release(a);
}

DEVICE_TEST(views_share_storage) {
    rt_array *a = rt_arange(0, 24, 1, RT_FLOAT32, dev);
    rt_array *r = rt_reshape(a, (int64_t[]){2, -1, 4}, 3);
    CHECK_SHAPE(r, 2, 3, 4);
    CHECK(r && r->storage == a->storage);
    rt_array *t = rt_transpose(r, (int[]){2, 0, 1});
    CHECK_SHAPE(t, 4, 2, 3);
    CHECK(t && t->storage == a->storage && !rt_array_is_contiguous(t));
    double v;
    CHECK(rt_item(t, 1, &v) == RT_OK && v == 4);   /* t[0,0,1] = r[0,1,0] */
    CHECK(rt_item(t, 6, &v) == RT_OK && v == 1);   /* t[1,0,0] = r[0,0,1] */
    /* slicing a view keeps sharing; writes through it are visible */
    rt_index ix[2] = {{.kind = RT_IDX_INT, .index = -1}, {.kind = RT_IDX_SLICE, .start = 1, .step = 1, .has_start = 1}};
    rt_array *s = rt_index_view(r, ix, 2);
    CHECK_SHAPE(s, 2, 4);
    CHECK(s && s->storage == a->storage);
    CHECK(rt_assign_scalar(s, -1) == RT_OK);
    CHECK(rt_item(a, 16, &v) == RT_OK && v == -1);
    CHECK(rt_item(a, 23, &v) == RT_OK && v == -1);
    CHECK(rt_item(a, 15, &v) == RT_OK && v == 15);
    /* reshape of a non-contiguous view copies */
    rt_array *tr = rt_reshape(t, (int64_t[]){24}, 1);
    CHECK(tr && tr->storage != a->storage && rt_array_is_contiguous(tr));
    CHECK(rt_item(tr, 1, &v) == RT_OK && v == 4);
    /* contiguous returns the same object; flatten and copy never share */
    rt_array *c = rt_contiguous(r);
    CHECK(c == r && r->refcount == 2);
    rt_array_release(c);
    rt_array *f = rt_flatten(r), *cp = rt_copy(t);
    CHECK(f && f->storage != a->storage && f->ndim == 1 && f->size == 24);
    CHECK(cp && cp->storage != a->storage && rt_array_is_contiguous(cp));
    CHECK_SHAPE(cp, 4, 2, 3);
    /* the base may die first: views keep the storage alive */
    rt_array_release(a);
    rt_array_release(r);
    CHECK(rt_item(t, 1, &v) == RT_OK && v == 4);
    rt_array_release(t); rt_array_release(s); rt_array_release(tr); rt_array_release(f); rt_array_release(cp);
}

DEVICE_TEST(reshape_errors) {
    rt_array *a = rt_zeros((int64_t[]){2, 3}, 2, RT_FLOAT32, dev);
    CHECK(rt_reshape(a, (int64_t[]){4}, 1) == NULL);
    CHECK_ERROR(RT_ESHAPE, "cannot reshape array of size 6 into shape (4,)");
    CHECK(rt_reshape(a, (int64_t[]){-1, -1}, 2) == NULL);
    CHECK_ERROR(RT_EVALUE, "can only specify one unknown dimension");
    CHECK(rt_reshape(a, (int64_t[]){-1, 4}, 2) == NULL);
    CHECK_ERROR(RT_ESHAPE, "cannot reshape array of size 6 into shape (-1, 4)");
    rt_array *s = rt_reshape(a, NULL, 0);
    CHECK(s == NULL);
    rt_clear_error();
    rt_array *one = rt_zeros((int64_t[]){1, 1}, 2, RT_FLOAT32, dev);
    s = rt_reshape(one, NULL, 0);
    CHECK_SCALAR_SHAPE(s);
    rt_array_release(s);
    rt_array *e = rt_zeros((int64_t[]){0, 3}, 2, RT_FLOAT32, dev);
    s = rt_reshape(e, (int64_t[]){3, 0, -1}, 3);
    CHECK(s == NULL); /* -1 is ambiguous with a zero-size dim */
    rt_clear_error();
    s = rt_reshape(e, (int64_t[]){3, 0}, 2);
    CHECK_SHAPE(s, 3, 0);
    rt_array_release(s);
    CHECK(rt_transpose(a, (int[]){0, 0}) == NULL);
    CHECK_ERROR(RT_EVALUE, "axes don't match array");
    rt_array_release(a); rt_array_release(one); rt_array_release(e);
}

DEVICE_TEST(indexing) {
    rt_array *a = rt_arange(0, 12, 1, RT_INT32, dev);
    rt_array *m = rt_reshape(a, (int64_t[]){3, 4}, 2);
    rt_index ix[3];
    rt_array *v;
    /* m[::-1, ::-2] */
    ix[0] = (rt_index){.kind = RT_IDX_SLICE, .step = -1};
    ix[1] = (rt_index){.kind = RT_IDX_SLICE, .step = -2};
    v = rt_index_view(m, ix, 2);
    CHECK_SHAPE(v, 3, 2);
    CHECK_ARRAY(v, ((double[]){11, 9, 7, 5, 3, 1}), 6, 0, 0, "m[::-1, ::-2]");
    rt_array_release(v);
    /* m[-2] */
    ix[0] = (rt_index){.kind = RT_IDX_INT, .index = -2};
    v = rt_index_view(m, ix, 1);
    CHECK_SHAPE(v, 4);
    CHECK_ARRAY(v, ((double[]){4, 5, 6, 7}), 4, 0, 0, "m[-2]");
    rt_array_release(v);
    /* m[1:100, -3:-1] and out-of-range slices clamp */
    ix[0] = (rt_index){.kind = RT_IDX_SLICE, .start = 1, .stop = 100, .step = 1, .has_start = 1, .has_stop = 1};
    ix[1] = (rt_index){.kind = RT_IDX_SLICE, .start = -3, .stop = -1, .step = 1, .has_start = 1, .has_stop = 1};
    v = rt_index_view(m, ix, 2);
    CHECK_ARRAY(v, ((double[]){5, 6, 9, 10}), 4, 0, 0, "m[1:100, -3:-1]");
    rt_array_release(v);
    /* m[None, :, 2] -> (1, 3) */
    ix[0] = (rt_index){.kind = RT_IDX_NEWAXIS};
    ix[1] = (rt_index){.kind = RT_IDX_SLICE, .step = 1};
    ix[2] = (rt_index){.kind = RT_IDX_INT, .index = 2};
    v = rt_index_view(m, ix, 3);
    CHECK_SHAPE(v, 1, 3);
    CHECK_ARRAY(v, ((double[]){2, 6, 10}), 3, 0, 0, "m[None, :, 2]");
    rt_array_release(v);
    /* empty slice m[2:1] and m[:, 5:] */
    ix[0] = (rt_index){.kind = RT_IDX_SLICE, .start = 2, .stop = 1, .step = 1, .has_start = 1, .has_stop = 1};
    v = rt_index_view(m, ix, 1);
    CHECK_SHAPE(v, 0, 4);
    rt_array_release(v);
    /* m[1][::-1] as chained views */
    ix[0] = (rt_index){.kind = RT_IDX_INT, .index = 1};
    rt_array *row = rt_index_view(m, ix, 1);
    ix[0] = (rt_index){.kind = RT_IDX_SLICE, .step = -1};
    v = rt_index_view(row, ix, 1);
    CHECK_ARRAY(v, ((double[]){7, 6, 5, 4}), 4, 0, 0, "m[1][::-1]");
    rt_array_release(v); rt_array_release(row);
    /* errors */
    ix[0] = (rt_index){.kind = RT_IDX_INT, .index = 5};
    CHECK(rt_index_view(m, ix, 1) == NULL);
    CHECK_ERROR(RT_EINDEX, "index 5 is out of bounds for axis 0 with size 3");
    ix[0] = (rt_index){.kind = RT_IDX_SLICE, .step = 1};
    ix[1] = (rt_index){.kind = RT_IDX_INT, .index = -5};
    CHECK(rt_index_view(m, ix, 2) == NULL);
    CHECK_ERROR(RT_EINDEX, "index -5 is out of bounds for axis 1 with size 4");
    ix[0] = ix[1] = ix[2] = (rt_index){.kind = RT_IDX_INT, .index = 0};
    CHECK(rt_index_view(m, ix, 3) == NULL);
    CHECK_ERROR(RT_EINDEX, "too many indices for array: array is 2-dimensional, but 3 were indexed");
    ix[0] = (rt_index){.kind = RT_IDX_SLICE, .step = 0};
    CHECK(rt_index_view(m, ix, 1) == NULL);
    CHECK_ERROR(RT_EVALUE, "slice step cannot be zero");
    rt_array_release(a); rt_array_release(m);
}

DEVICE_TEST(concat_stack_gather) {
    rt_array *a = rt_arange(0, 6, 1, RT_FLOAT32, dev), *b = rt_arange(10, 14, 1, RT_INT32, dev);
    rt_array *A = rt_reshape(a, (int64_t[]){2, 3}, 2), *B = rt_reshape(b, (int64_t[]){2, 2}, 2);
    rt_array *c = rt_concatenate((rt_array *[]){A, B}, 2, -1);
    CHECK(c && c->dtype == RT_FLOAT32);
    CHECK_SHAPE(c, 2, 5);
    CHECK_ARRAY(c, ((double[]){0, 1, 2, 10, 11, 3, 4, 5, 12, 13}), 10, 0, 0, "concat axis 1");
    rt_array_release(c);
    rt_array *At = rt_transpose(A, NULL);
    c = rt_concatenate((rt_array *[]){At, At}, 2, 0);
    CHECK_SHAPE(c, 6, 2);
    CHECK_ARRAY(c, ((double[]){0, 3, 1, 4, 2, 5, 0, 3, 1, 4, 2, 5}), 12, 0, 0, "concat transposed");
    rt_array_release(c);
    CHECK(rt_concatenate((rt_array *[]){A, B}, 2, 0) == NULL);
    CHECK_ERROR(RT_ESHAPE, "along dimension 1");
    CHECK(rt_concatenate((rt_array *[]){A, a}, 2, 0) == NULL);
    CHECK_ERROR(RT_ESHAPE, "same number of dimensions");
    CHECK(rt_concatenate((rt_array *[]){A}, 1, 2) == NULL);
    CHECK_ERROR(RT_EVALUE, "axis 2 is out of bounds");
    CHECK(rt_concatenate(NULL, 0, 0) == NULL);
    CHECK_ERROR(RT_EVALUE, "need at least one array");
    rt_array *s = rt_stack((rt_array *[]){A, A, A}, 3, 1);
    CHECK_SHAPE(s, 2, 3, 3);
    CHECK_ARRAY(s, ((double[]){0, 1, 2, 0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5, 3, 4, 5}), 18, 0, 0, "stack axis 1");
    rt_array_release(s);
    s = rt_stack((rt_array *[]){a, a}, 2, -1);
    CHECK_SHAPE(s, 6, 2);
    rt_array_release(s);
    CHECK(rt_stack((rt_array *[]){A, B}, 2, 0) == NULL);
    CHECK_ERROR(RT_ESHAPE, "all input arrays must have the same shape");
    /* gather rows and columns, negative indices, a 2-D index array */
    double iv[3] = {1, -1, 0};
    rt_array *I = tl_array(iv, (int64_t[]){3}, 1, RT_INT32, dev);
    rt_array *g = rt_gather(A, I, 0);
    CHECK_SHAPE(g, 3, 3);
    CHECK_ARRAY(g, ((double[]){3, 4, 5, 3, 4, 5, 0, 1, 2}), 9, 0, 0, "gather rows");
    rt_array_release(g);
    g = rt_gather(A, I, 1);
    CHECK_SHAPE(g, 2, 3);
    CHECK_ARRAY(g, ((double[]){1, 2, 0, 4, 5, 3}), 6, 0, 0, "gather cols");
    rt_array_release(g);
    rt_array *I2 = tl_array((double[]){2, 0, 0, 1}, (int64_t[]){2, 2}, 2, RT_INT32, dev);
    g = rt_gather(a, I2, 0);
    CHECK_SHAPE(g, 2, 2);
    CHECK_ARRAY(g, ((double[]){2, 0, 0, 1}), 4, 0, 0, "gather 2-D indices");
    rt_array_release(g);
    rt_array *bad = tl_array((double[]){0, 3}, (int64_t[]){2}, 1, RT_INT32, dev);
    CHECK(rt_gather(A, bad, 1) == NULL);
    CHECK_ERROR(RT_EINDEX, "index 3 is out of bounds for axis 1 with size 3");
    CHECK(rt_gather(A, bad, 0) == NULL);
    CHECK_ERROR(RT_EINDEX, "index 3 is out of bounds for axis 0 with size 2");
    rt_array *fi = rt_zeros((int64_t[]){2}, 1, RT_FLOAT32, dev);
    CHECK(rt_gather(A, fi, 0) == NULL);
    CHECK_ERROR(RT_ETYPE, "int32");
    rt_array_release(a); rt_array_release(b); rt_array_release(A); rt_array_release(B); rt_array_release(At);
    rt_array_release(I); rt_array_release(I2); rt_array_release(bad); rt_array_release(fi);
}

DEVICE_TEST(assignment) {
    rt_array *m = rt_zeros((int64_t[]){3, 4}, 2, RT_FLOAT32, dev);
    rt_index ix[2] = {{.kind = RT_IDX_SLICE, .step = 1}, {.kind = RT_IDX_INT, .index = 1}};
    rt_array *col = rt_index_view(m, ix, 2);
    rt_array *v = tl_array((double[]){1, 2, 3}, (int64_t[]){3}, 1, RT_INT32, dev);
    CHECK(rt_assign(col, v) == RT_OK);
    rt_array *row = tl_array((double[]){9, 8, 7, 6}, (int64_t[]){1, 4}, 2, RT_FLOAT64, dev);
    ix[0] = (rt_index){.kind = RT_IDX_INT, .index = 2};
    rt_array *r2 = rt_index_view(m, ix, 1);
    CHECK(rt_assign(r2, row) == RT_OK); /* leading 1-dims of the value are dropped */
    CHECK_ARRAY(m, ((double[]){0, 1, 0, 0, 0, 2, 0, 0, 9, 8, 7, 6}), 12, 0, 0, "assign");
    CHECK(rt_assign(col, row) != RT_OK);
    CHECK_ERROR(RT_ESHAPE, "could not broadcast input array from shape (1, 4) into shape (3,)");
    /* overlapping source and destination: a[1:] = a[:-1] */
    rt_array *a = rt_arange(0, 5, 1, RT_INT32, dev);
    rt_index tail = {.kind = RT_IDX_SLICE, .start = 1, .step = 1, .has_start = 1};
    rt_index head = {.kind = RT_IDX_SLICE, .stop = -1, .step = 1, .has_stop = 1};
    rt_array *t = rt_index_view(a, &tail, 1), *h = rt_index_view(a, &head, 1);
    CHECK(rt_assign(t, h) == RT_OK);
    CHECK_ARRAY(a, ((double[]){0, 0, 1, 2, 3}), 5, 0, 0, "overlapping assign");
    /* broadcast a scalar array, and assign_scalar into a transposed view */
    rt_array *s = rt_full(NULL, 0, 5, RT_FLOAT32, dev);
    CHECK(rt_assign(m, s) == RT_OK);
    rt_array *mt = rt_transpose(m, NULL);
    rt_index c0 = {.kind = RT_IDX_INT, .index = 0};
    rt_array *mt0 = rt_index_view(mt, &c0, 1);
    CHECK(rt_assign_scalar(mt0, -1) == RT_OK);
    CHECK_ARRAY(m, ((double[]){-1, 5, 5, 5, -1, 5, 5, 5, -1, 5, 5, 5}), 12, 0, 0, "assign through transpose");
    rt_array_release(m); rt_array_release(col); rt_array_release(v); rt_array_release(row); rt_array_release(r2);
    rt_array_release(a); rt_array_release(t); rt_array_release(h); rt_array_release(s); rt_array_release(mt);
    rt_array_release(mt0);
}

DEVICE_TEST(empty_arrays_everywhere) {
    rt_array *e = rt_zeros((int64_t[]){0, 3}, 2, RT_FLOAT32, dev);
    rt_array *r = rt_unary(RT_EXP, e);
    CHECK_SHAPE(r, 0, 3);
    rt_array_release(r);
    r = rt_binary_scalar(RT_ADD, e, 1, 0);
    CHECK_SHAPE(r, 0, 3);
    rt_array_release(r);
    r = rt_reduce(RT_SUM, e, 0, 0);
    CHECK_ARRAY(r, ((double[]){0, 0, 0}), 3, 0, 0, "sum over empty axis");
    rt_array_release(r);
    r = rt_reduce(RT_MAX, e, 1, 0);
    CHECK_SHAPE(r, 0);
    rt_array_release(r);
    r = rt_transpose(e, NULL);
    CHECK_SHAPE(r, 3, 0);
    rt_array *c = rt_contiguous(r), *f = rt_flatten(r), *k = rt_cast(r, RT_INT32), *cp = rt_copy(r);
    CHECK(c && f && k && cp && f->size == 0);
    rt_array_release(r); rt_array_release(c); rt_array_release(f); rt_array_release(k); rt_array_release(cp);
    CHECK(rt_to_host(e, RT_FLOAT64, NULL) == RT_OK);
    rt_array *cc = rt_concatenate((rt_array *[]){e, e}, 2, 0);
    CHECK_SHAPE(cc, 0, 3);
    rt_array_release(cc);
    rt_array *idx = rt_zeros((int64_t[]){0}, 1, RT_INT32, dev);
    rt_array *g = rt_gather(e, idx, 1);
    CHECK_SHAPE(g, 0, 0);
    rt_array_release(g);
    rt_array *u = rt_rand_uniform((int64_t[]){0}, 1, 0, 1, RT_FLOAT32, dev);
    CHECK(u && u->size == 0);
    rt_array_release(u);
    rt_array_release(idx); rt_array_release(e);
}

DEVICE_TEST(transfers) {
    rt_device *cpu = rt_device_get(RT_CPU, 0);
    rt_array *a = rt_arange(0, 10, 1, RT_FLOAT32, cpu);
    rt_index st = {.kind = RT_IDX_SLICE, .step = -3};
    rt_array *v = rt_index_view(a, &st, 1);
    rt_array *d = rt_to_device(v, dev);
    CHECK(d && d->device == dev && d->storage != a->storage);
    CHECK_ARRAY(d, ((double[]){9, 6, 3, 0}), 4, 0, 0, "to_device");
    rt_array *back = rt_to_device(d, cpu);
    CHECK(back && back->device == cpu);
    CHECK_ARRAY(back, ((double[]){9, 6, 3, 0}), 4, 0, 0, "round trip");
    rt_array_release(a); rt_array_release(v); rt_array_release(d); rt_array_release(back);
}

TEST(adopt_host_buffer) {
    /* a decoded uint8 buffer becomes an array without a copy */
    uint8_t *buf = malloc(6);
    for (int i = 0; i < 6; i++) buf[i] = (uint8_t)(250 + i);
    rt_array *a = rt_adopt_host(buf, 6, RT_UINT8, (int64_t[]){2, 3}, 2);
    CHECK(a && a->dtype == RT_UINT8 && a->size == 6 && a->device == rt_device_get(RT_CPU, 0));
    uint8_t back[6];
    buf[0] = 7; /* the array reads the buffer itself */
    CHECK(a && rt_to_host(a, RT_UINT8, back) == RT_OK && back[0] == 7);
    buf[0] = 250;
    rt_array *f = rt_binary_scalar(RT_DIV, a, 255, 0); /* x / 255 is float32 */
    CHECK(f && f->dtype == RT_FLOAT32);
    CHECK_ARRAY(f, ((double[]){250 / 255.0f, 251 / 255.0f, 252 / 255.0f, 253 / 255.0f, 254 / 255.0f, 1}), 6, 1e-7, 0, "x / 255");
    rt_array *v = rt_transpose(a, NULL); /* a view keeps the buffer alive */
    rt_array_release(a);
    CHECK_ARRAY(v, ((double[]){250, 253, 251, 254, 252, 255}), 6, 0, 0, "view of adopted");
    rt_array_release(v);
    rt_array_release(f);
    /* too small a buffer: refused (and freed) */
    CHECK(rt_adopt_host(malloc(4), 4, RT_INT64, (int64_t[]){1}, 1) == NULL);
    CHECK_ERROR(RT_EVALUE, "cannot hold");
}

TEST(format_shape) {
    char b[64];
    rt_format_shape((int64_t[]){2, 3}, 2, b, sizeof b);
    CHECK_STR(b, "(2, 3)");
    rt_format_shape((int64_t[]){3}, 1, b, sizeof b);
    CHECK_STR(b, "(3,)");
    rt_format_shape(NULL, 0, b, sizeof b);
    CHECK_STR(b, "()");
    rt_format_shape((int64_t[]){123456, 7}, 2, b, 6);
    CHECK_STR(b, "(1234");
}

TEST(gpu_cpu_transfer) {
    if (rt_logical_device_count(RT_GPU) == 0) SKIP("no GPU");
    rt_device *g = rt_device_get(RT_GPU, 0), *c = rt_device_get(RT_CPU, 0);
    rt_array *a = rt_arange(0, 1 << 20, 1, RT_FLOAT32, c);
    rt_array *b = rt_to_device(a, g), *back = rt_to_device(b, c);
    double *x = tl_fetch(a), *y = tl_fetch(back);
    CHECK(x && y && memcmp(x, y, sizeof(double) << 20) == 0);
    CHECK(rt_binary(RT_ADD, a, b) == NULL);
    CHECK_ERROR(RT_EDEVICE, "operands are on different devices: CPU:0 and GPU:0");
    free(x); free(y);
    rt_array_release(a); rt_array_release(b); rt_array_release(back);
}

int main(void) {
    RUN(adopt_host_buffer);
    RUN_DEV(creation);
    RUN_DEV(host_roundtrip_and_conversions);
    RUN_DEV(views_share_storage);
    RUN_DEV(reshape_errors);
    RUN_DEV(indexing);
    RUN_DEV(concat_stack_gather);
    RUN_DEV(assignment);
    RUN_DEV(empty_arrays_everywhere);
    RUN_DEV(transfers);
    RUN(format_shape);
    RUN(gpu_cpu_transfer);
    return test_summary();
}
