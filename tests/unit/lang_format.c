/* lang_format.c — arrays printed exactly as numpy 1.24 prints them.
 *
 * Every expected string below was produced by numpy (str(a) and repr(a) of
 * the expression in the comment) and written here by hand; the arrays are
 * built on CPU:0 with the runtime and printed with fmt_array_str/repr.
 */
#include "test.h"
#include "format_array.h"
#include "rt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct { const char *str, *repr; } expect;

static const expect cases[] = {
    /* np.array([1, 2, 3], dtype=np.float32) */
    { "[1. 2. 3.]",
      "array([1., 2., 3.], dtype=float32)" },
    /* np.array([[211.74469]], dtype=np.float32) */
    { "[[211.74469]]",
      "array([[211.74469]], dtype=float32)" },
    /* np.array([-40, -10, 0, 8, 15, 22, 38], dtype=np.float32) */
    { "[-40. -10.   0.   8.  15.  22.  38.]",
      "array([-40., -10.,   0.,   8.,  15.,  22.,  38.], dtype=float32)" },
    /* celsius_q = np.array([-40, -10, 0, 8, 15, 22, 38, 45], dtype=np.float32) */
    { "[-40. -10.   0.   8.  15.  22.  38.  45.]",
      "array([-40., -10.,   0.,   8.,  15.,  22.,  38.,  45.], dtype=float32)" },
    /* celsius_q * 1.8 + 32  (float32) */
    { "[-40.   14.   32.   46.4  59.   71.6 100.4 113. ]",
      "array([-40. ,  14. ,  32. ,  46.4,  59. ,  71.6, 100.4, 113. ],\n"
        "      dtype=float32)" },
    /* np.array([1, 2, 3], dtype=np.int32) */
    { "[1 2 3]",
      "array([1, 2, 3], dtype=int32)" },
    /* np.array([True, False]) */
    { "[ True False]",
      "array([ True, False])" },
    /* np.array([1e-5, 1e3], dtype=np.float32) */
    { "[1.e-05 1.e+03]",
      "array([1.e-05, 1.e+03], dtype=float32)" },
    /* np.array([0.1, 0.2, 0.3], dtype=np.float32) */
    { "[0.1 0.2 0.3]",
      "array([0.1, 0.2, 0.3], dtype=float32)" },
    /* np.array([[-1.5, 2.25], [3, -4]], dtype=np.float32) */
    { "[[-1.5   2.25]\n"
        " [ 3.   -4.  ]]",
      "array([[-1.5 ,  2.25],\n"
        "       [ 3.  , -4.  ]], dtype=float32)" },
    /* np.array([0.001, 1, 1000.5], dtype=np.float32) */
    { "[1.0000e-03 1.0000e+00 1.0005e+03]",
      "array([1.0000e-03, 1.0000e+00, 1.0005e+03], dtype=float32)" },
    /* np.array([np.nan, 1, -np.inf], dtype=np.float32) */
    { "[ nan   1. -inf]",
      "array([ nan,   1., -inf], dtype=float32)" },
    /* np.arange(24, dtype=np.float32).reshape(2, 3, 4) */
    { "[[[ 0.  1.  2.  3.]\n"
        "  [ 4.  5.  6.  7.]\n"
        "  [ 8.  9. 10. 11.]]\n"
        "\n"
        " [[12. 13. 14. 15.]\n"
        "  [16. 17. 18. 19.]\n"
        "  [20. 21. 22. 23.]]]",
      "array([[[ 0.,  1.,  2.,  3.],\n"
        "        [ 4.,  5.,  6.,  7.],\n"
        "        [ 8.,  9., 10., 11.]],\n"
        "\n"
        "       [[12., 13., 14., 15.],\n"
        "        [16., 17., 18., 19.],\n"
        "        [20., 21., 22., 23.]]], dtype=float32)" },
    /* np.arange(30, dtype=np.float32) / 3 */
    { "[0.         0.33333334 0.6666667  1.         1.3333334  1.6666666\n"
        " 2.         2.3333333  2.6666667  3.         3.3333333  3.6666667\n"
        " 4.         4.3333335  4.6666665  5.         5.3333335  5.6666665\n"
        " 6.         6.3333335  6.6666665  7.         7.3333335  7.6666665\n"
        " 8.         8.333333   8.666667   9.         9.333333   9.666667  ]",
      "array([0.        , 0.33333334, 0.6666667 , 1.        , 1.3333334 ,\n"
        "       1.6666666 , 2.        , 2.3333333 , 2.6666667 , 3.        ,\n"
        "       3.3333333 , 3.6666667 , 4.        , 4.3333335 , 4.6666665 ,\n"
        "       5.        , 5.3333335 , 5.6666665 , 6.        , 6.3333335 ,\n"
        "       6.6666665 , 7.        , 7.3333335 , 7.6666665 , 8.        ,\n"
        "       8.333333  , 8.666667  , 9.        , 9.333333  , 9.666667  ],\n"
        "      dtype=float32)" },
    /* np.array([0.1, 0.25])  (float64) */
    { "[0.1  0.25]",
      "array([0.1 , 0.25])" },
    /* np.array([[True, False], [False, True]]) */
    { "[[ True False]\n"
        " [False  True]]",
      "array([[ True, False],\n"
        "       [False,  True]])" },
    /* np.arange(-5, 5, dtype=np.int32) * 1000 */
    { "[-5000 -4000 -3000 -2000 -1000     0  1000  2000  3000  4000]",
      "array([-5000, -4000, -3000, -2000, -1000,     0,  1000,  2000,  3000,\n"
        "        4000], dtype=int32)" },
    /* np.array([1e8, 1], dtype=np.float32) */
    { "[1.e+08 1.e+00]",
      "array([1.e+08, 1.e+00], dtype=float32)" },
    /* np.arange(2000, dtype=np.float32) */
    { "[0.000e+00 1.000e+00 2.000e+00 ... 1.997e+03 1.998e+03 1.999e+03]",
      "array([0.000e+00, 1.000e+00, 2.000e+00, ..., 1.997e+03, 1.998e+03,\n"
        "       1.999e+03], dtype=float32)" },
    /* np.arange(2500, dtype=np.int32).reshape(50, 50) */
    { "[[   0    1    2 ...   47   48   49]\n"
        " [  50   51   52 ...   97   98   99]\n"
        " [ 100  101  102 ...  147  148  149]\n"
        " ...\n"
        " [2350 2351 2352 ... 2397 2398 2399]\n"
        " [2400 2401 2402 ... 2447 2448 2449]\n"
        " [2450 2451 2452 ... 2497 2498 2499]]",
      "array([[   0,    1,    2, ...,   47,   48,   49],\n"
        "       [  50,   51,   52, ...,   97,   98,   99],\n"
        "       [ 100,  101,  102, ...,  147,  148,  149],\n"
        "       ...,\n"
        "       [2350, 2351, 2352, ..., 2397, 2398, 2399],\n"
        "       [2400, 2401, 2402, ..., 2447, 2448, 2449],\n"
        "       [2450, 2451, 2452, ..., 2497, 2498, 2499]], dtype=int32)" },
    /* (np.arange(2500, dtype=np.float32) - 1250) / 7, reshaped (50, 50) */
    { "[[-178.57143 -178.42857 -178.28572 ... -171.85715 -171.71428 -171.57143]\n"
        " [-171.42857 -171.28572 -171.14285 ... -164.71428 -164.57143 -164.42857]\n"
        " [-164.28572 -164.14285 -164.      ... -157.57143 -157.42857 -157.28572]\n"
        " ...\n"
        " [ 157.14285  157.28572  157.42857 ...  163.85715  164.       164.14285]\n"
        " [ 164.28572  164.42857  164.57143 ...  171.       171.14285  171.28572]\n"
        " [ 171.42857  171.57143  171.71428 ...  178.14285  178.28572  178.42857]]",
      "array([[-178.57143, -178.42857, -178.28572, ..., -171.85715, -171.71428,\n"
        "        -171.57143],\n"
        "       [-171.42857, -171.28572, -171.14285, ..., -164.71428, -164.57143,\n"
        "        -164.42857],\n"
        "       [-164.28572, -164.14285, -164.     , ..., -157.57143, -157.42857,\n"
        "        -157.28572],\n"
        "       ...,\n"
        "       [ 157.14285,  157.28572,  157.42857, ...,  163.85715,  164.     ,\n"
        "         164.14285],\n"
        "       [ 164.28572,  164.42857,  164.57143, ...,  171.     ,  171.14285,\n"
        "         171.28572],\n"
        "       [ 171.42857,  171.57143,  171.71428, ...,  178.14285,  178.28572,\n"
        "         178.42857]], dtype=float32)" },
    /* np.array([], dtype=np.float32) */
    { "[]",
      "array([], dtype=float32)" },
    /* np.zeros((2, 0), dtype=np.float32) */
    { "[]",
      "array([], shape=(2, 0), dtype=float32)" },
    /* np.array(1.5, dtype=np.float32) */
    { "1.5",
      "array(1.5, dtype=float32)" },
    /* np.array(5, dtype=np.int32) */
    { "5",
      "array(5, dtype=int32)" },
    /* np.array(True) */
    { "True",
      "array(True)" },
    /* np.array(1e-7, dtype=np.float32) */
    { "1e-07",
      "array(1.e-07, dtype=float32)" },
};
#define NCASES ((int)(sizeof cases / sizeof cases[0]))

/* The default device (CPU:0 here, GPU:0 on a GPU machine): its arrays print
 * exactly like numpy's. */
static rt_device *cpu(void) { return rt_default_device(); }

static rt_array *f32(const float *v, const int64_t *shape, int ndim) {
    return rt_from_host(v, RT_FLOAT32, shape, ndim, RT_FLOAT32, cpu());
}

/* Builds the array of case i (same order as `cases`). */
static rt_array *make_case(int i) {
    static float buf[2500];
    static int32_t ibuf[2500];
    static uint8_t bbuf[8];
    int64_t s1[1], s2[2], s3[3];
    switch (i) {
    case 0: { float v[] = {1, 2, 3}; s1[0] = 3; return f32(v, s1, 1); }
    case 1: { float v[] = {211.74469f}; s2[0] = 1; s2[1] = 1; return f32(v, s2, 2); }
    case 2: { float v[] = {-40, -10, 0, 8, 15, 22, 38}; s1[0] = 7; return f32(v, s1, 1); }
    case 3: { float v[] = {-40, -10, 0, 8, 15, 22, 38, 45}; s1[0] = 8; return f32(v, s1, 1); }
    case 4: {
        float v[] = {-40, -10, 0, 8, 15, 22, 38, 45};
        for (int k = 0; k < 8; k++) { v[k] = v[k] * 1.8f; v[k] = v[k] + 32.0f; }
        s1[0] = 8;
        return f32(v, s1, 1);
    }
    case 5: { int32_t v[] = {1, 2, 3}; s1[0] = 3; return rt_from_host(v, RT_INT32, s1, 1, RT_INT32, cpu()); }
    case 6: { bbuf[0] = 1; bbuf[1] = 0; s1[0] = 2; return rt_from_host(bbuf, RT_BOOL, s1, 1, RT_BOOL, cpu()); }
    case 7: { float v[] = {1e-5f, 1e3f}; s1[0] = 2; return f32(v, s1, 1); }
    case 8: { float v[] = {0.1f, 0.2f, 0.3f}; s1[0] = 3; return f32(v, s1, 1); }
    case 9: { float v[] = {-1.5f, 2.25f, 3, -4}; s2[0] = 2; s2[1] = 2; return f32(v, s2, 2); }
    case 10: { float v[] = {0.001f, 1, 1000.5f}; s1[0] = 3; return f32(v, s1, 1); }
    case 11: { float v[] = {NAN, 1, -INFINITY}; s1[0] = 3; return f32(v, s1, 1); }
    case 12:
        for (int k = 0; k < 24; k++) buf[k] = (float)k;
        s3[0] = 2; s3[1] = 3; s3[2] = 4;
        return f32(buf, s3, 3);
    case 13:
        for (int k = 0; k < 30; k++) buf[k] = (float)k / 3.0f;
        s1[0] = 30;
        return f32(buf, s1, 1);
    case 14: { double v[] = {0.1, 0.25}; s1[0] = 2; return rt_from_host(v, RT_FLOAT64, s1, 1, RT_FLOAT64, cpu()); }
    case 15: { bbuf[0] = 1; bbuf[1] = 0; bbuf[2] = 0; bbuf[3] = 1; s2[0] = 2; s2[1] = 2;
               return rt_from_host(bbuf, RT_BOOL, s2, 2, RT_BOOL, cpu()); }
    case 16:
        for (int k = 0; k < 10; k++) ibuf[k] = (k - 5) * 1000;
        s1[0] = 10;
        return rt_from_host(ibuf, RT_INT32, s1, 1, RT_INT32, cpu());
    case 17: { float v[] = {1e8f, 1}; s1[0] = 2; return f32(v, s1, 1); }
    case 18:
        for (int k = 0; k < 2000; k++) buf[k] = (float)k;
        s1[0] = 2000;
        return f32(buf, s1, 1);
    case 19:
        for (int k = 0; k < 2500; k++) ibuf[k] = k;
        s2[0] = 50; s2[1] = 50;
        return rt_from_host(ibuf, RT_INT32, s2, 2, RT_INT32, cpu());
    case 20:
        for (int k = 0; k < 2500; k++) buf[k] = ((float)k - 1250.0f) / 7.0f;
        s2[0] = 50; s2[1] = 50;
        return f32(buf, s2, 2);
    case 21: s1[0] = 0; return rt_zeros(s1, 1, RT_FLOAT32, cpu());
    case 22: s2[0] = 2; s2[1] = 0; return rt_zeros(s2, 2, RT_FLOAT32, cpu());
    case 23: { float v[] = {1.5f}; return f32(v, s1, 0); }
    case 24: { int32_t v[] = {5}; return rt_from_host(v, RT_INT32, s1, 0, RT_INT32, cpu()); }
    case 25: { uint8_t v[] = {1}; return rt_from_host(v, RT_BOOL, s1, 0, RT_BOOL, cpu()); }
    case 26: { float v[] = {1e-7f}; return f32(v, s1, 0); }
    }
    return NULL;
}

TEST(array_str_matches_numpy) {
    for (int i = 0; i < NCASES; i++) {
        rt_array *a = make_case(i);
        CHECK(a != NULL);
        if (!a) { fprintf(stderr, "  case %d: %s\n", i, rt_error_message()); continue; }
        char *s = fmt_array_str(a);
        CHECK_STR(s, cases[i].str);
        if (!s || strcmp(s, cases[i].str)) fprintf(stderr, "    (case %d)\n", i);
        free(s);
        rt_array_release(a);
    }
}

TEST(array_repr_matches_numpy) {
    for (int i = 0; i < NCASES; i++) {
        rt_array *a = make_case(i);
        CHECK(a != NULL);
        if (!a) continue;
        char *s = fmt_array_repr(a);
        CHECK_STR(s, cases[i].repr);
        if (!s || strcmp(s, cases[i].repr)) fprintf(stderr, "    (case %d)\n", i);
        free(s);
        rt_array_release(a);
    }
}

/* Views (transposed, strided) print their logical order. */
TEST(array_views) {
    float v[6] = {1, 2, 3, 4, 5, 6};
    int64_t shape[2] = {2, 3};
    rt_array *a = f32(v, shape, 2);
    rt_array *t = rt_transpose(a, NULL);
    CHECK(t != NULL);
    char *s = fmt_array_str(t);
    /* np.array([[1, 2, 3], [4, 5, 6]], dtype=np.float32).T */
    CHECK_STR(s, "[[1. 4.]\n [2. 5.]\n [3. 6.]]");
    free(s);
    rt_array_release(t);
    rt_array_release(a);
}

/* The host entry points and the GPU device suffix (no GPU needed). */
TEST(host_repr_device_suffix) {
    double v[3] = {1, 2, 3};
    int64_t shape[1] = {3};
    char *s = fmt_host_array_repr(v, RT_FLOAT32, shape, 1, "GPU:0");
    CHECK_STR(s, "array([1., 2., 3.], dtype=float32, device='GPU:0')");
    free(s);
    s = fmt_host_array_repr(v, RT_FLOAT32, shape, 1, "CPU:0");
    CHECK_STR(s, "array([1., 2., 3.], dtype=float32)");
    free(s);
    double b[2] = {1, 0};
    shape[0] = 2;
    s = fmt_host_array_repr(b, RT_BOOL, shape, 1, "GPU:1");
    CHECK_STR(s, "array([ True, False], device='GPU:1')");
    free(s);
    s = fmt_host_array_str(b, RT_BOOL, shape, 1);
    CHECK_STR(s, "[ True False]");
    free(s);
}

/* Scalars as numpy prints float32/float64/int32/bool scalars. */
TEST(scalar_str) {
    char *s;
    s = fmt_scalar_str(0.1f, RT_FLOAT32); CHECK_STR(s, "0.1"); free(s);          /* str(np.float32(0.1)) */
    s = fmt_scalar_str(211.74469f, RT_FLOAT32); CHECK_STR(s, "211.74469"); free(s);
    s = fmt_scalar_str(-40.0f, RT_FLOAT32); CHECK_STR(s, "-40.0"); free(s);
    s = fmt_scalar_str(1e-4f, RT_FLOAT32); CHECK_STR(s, "1e-04"); free(s);      /* float32(1e-4) < 1e-4 */
    s = fmt_scalar_str(1e16f, RT_FLOAT32); CHECK_STR(s, "1e+16"); free(s);
    s = fmt_scalar_str(0.1, RT_FLOAT64); CHECK_STR(s, "0.1"); free(s);
    s = fmt_scalar_str(7, RT_INT32); CHECK_STR(s, "7"); free(s);
    s = fmt_scalar_str(1, RT_BOOL); CHECK_STR(s, "True"); free(s);
}

static int count(const char *hay, const char *needle) {
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle)) n++;
    return n;
}

TEST(array_html_table) {
    float v[6] = {1, 2.5f, 3, -4, 5, 6};
    int64_t shape[2] = {2, 3};
    rt_array *a = f32(v, shape, 2);
    char *h = fmt_array_html(a);
    CHECK(h != NULL);
    if (h) {
        CHECK(strstr(h, "<table") == h);
        char caption[160]; /* the HTML caption always names the device, on one line */
        snprintf(caption, sizeof caption,
                 "<caption style=\"white-space:nowrap;text-align:left\">shape=(2, 3) dtype=float32 device=%s</caption>",
                 rt_device_name(a->device));
        CHECK(strstr(h, caption) != NULL);
        CHECK(strstr(h, "<td>2.5</td>") != NULL);
        CHECK(strstr(h, "<td>-4.</td>") != NULL);
        CHECK(count(h, "<tr>") == 3); /* header + 2 rows */
        CHECK(count(h, "<td>") == 6);
        CHECK(strstr(h, "</table>") != NULL);
    }
    free(h);
    rt_array_release(a);
    /* 1-D: one row under the index header, no row label */
    float w[3] = {0.5f, 1, 2};
    int64_t s1[1] = {3};
    a = f32(w, s1, 1);
    h = fmt_array_html(a);
    CHECK(h && strstr(h, "<thead><tr><th>0</th><th>1</th><th>2</th></tr></thead>") != NULL);
    CHECK(h && strstr(h, "<tr><td>0.5</td><td>1.</td><td>2.</td></tr>") != NULL);
    free(h);
    rt_array_release(a);
}

TEST(array_html_summarised) {
    static float v[2500];
    for (int k = 0; k < 2500; k++) v[k] = (float)k;
    int64_t shape[2] = {50, 50};
    rt_array *a = f32(v, shape, 2);
    char *h = fmt_array_html(a);
    CHECK(h != NULL);
    if (h) {
        CHECK(strstr(h, "&hellip;") != NULL);
        CHECK(strstr(h, "&vellip;") != NULL);
        CHECK(strstr(h, "<th>49</th>") != NULL);   /* last row and column shown */
        CHECK(strstr(h, "<td>2.499e+03</td>") != NULL); /* numpy switches to e-notation past a 1e3 ratio */
        CHECK(strstr(h, "<td>1.225e+03</td>") == NULL); /* the middle is left out */
        CHECK(count(h, "<tr>") == 1 + 20 + 1);      /* header, 2x10 rows, the ellipsis row */
    }
    free(h);
    rt_array_release(a);
    /* 3-D arrays show their str() in a <pre> */
    float w[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    int64_t s3[3] = {2, 2, 2};
    a = f32(w, s3, 3);
    h = fmt_array_html(a);
    CHECK(h && strstr(h, "<pre>[[[0. 1.]\n  [2. 3.]]\n\n [[4. 5.]\n  [6. 7.]]]</pre>") != NULL);
    free(h);
    rt_array_release(a);
}

/* A large array prints only its corners and fetches only what it prints. */
TEST(array_large_summarised) {
    int64_t shape[1] = {5000000};
    rt_array *a = rt_arange(0, 5000000, 1, RT_FLOAT32, cpu());
    CHECK(a != NULL);
    if (!a) return;
    CHECK(a->size == shape[0]);
    char *s = fmt_array_str(a);
    /* str(np.arange(5000000, dtype=np.float32)) */
    CHECK_STR(s, "[0.000000e+00 1.000000e+00 2.000000e+00 ... 4.999997e+06 4.999998e+06\n 4.999999e+06]");
    free(s);
    rt_array_release(a);
}

int main(void) {
    RUN(array_str_matches_numpy);
    RUN(array_repr_matches_numpy);
    RUN(array_views);
    RUN(host_repr_device_suffix);
    RUN(scalar_str);
    RUN(array_html_table);
    RUN(array_html_summarised);
    RUN(array_large_summarised);
    return test_summary();
}
