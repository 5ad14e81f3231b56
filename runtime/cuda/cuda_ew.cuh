/* cuda_ew.cuh — the element-wise kernel skeletons shared by binary, unary,
 * copy, fill and where.
 *
 * Each op is a functor `f` (passed by value, so it may carry parameters such
 * as a fill value); the skeletons only walk memory:
 *
 *   flat:    every operand is contiguous or a broadcast scalar (after
 *            strided_collapse). A grid-stride loop over V-element vectors,
 *            V chosen so the widest operand moves 16 bytes per access,
 *            then a scalar tail. `vec` is 0 when some pointer is not
 *            aligned for vector access; the scalar loop then does it all.
 *   strided: up to RT_MAX_DIMS collapsed axes, offsets from the flat index
 *            (IDX = uint32_t when the count fits, which makes the
 *            divisions cheap).
 *
 * The host side of every op calls ew_launch{1,2,3}() which picks the
 * skeleton, sizes the grid from the SM count and checks the launch.
 */
#ifndef CGPU_CUDA_EW_CUH
#define CGPU_CUDA_EW_CUH

#include "cuda_common.cuh"

template <typename A, typename B = A, typename C = A, typename D = A>
struct max_size {
    static const int ab = sizeof(A) > sizeof(B) ? (int)sizeof(A) : (int)sizeof(B);
    static const int cd = sizeof(C) > sizeof(D) ? (int)sizeof(C) : (int)sizeof(D);
    static const int value = ab > cd ? ab : cd;
};

template <int V, typename T>
__device__ __forceinline__ vec_t<T, V> ld_vec(const T *__restrict__ p, int64_t v, bool scalar) {
    vec_t<T, V> r;
    if (scalar) {
        T x = p[0];
#pragma unroll
        for (int k = 0; k < V; k++) r.v[k] = x;
    } else {
        r = reinterpret_cast<const vec_t<T, V> *>(p)[v];
    }
    return r;
}

#define EW_TID    ((int64_t)blockIdx.x * blockDim.x + threadIdx.x)
#define EW_STRIDE ((int64_t)gridDim.x * blockDim.x)

/* ---- one input -------------------------------------------------------------------- */

template <typename F, typename TO, typename TA>
__global__ void __launch_bounds__(EW_THREADS)
ew1_flat(F f, TO *__restrict__ out, const TA *__restrict__ a, int64_t n, unsigned scalar, int vec) {
    constexpr int V = 16 / max_size<TO, TA>::value;
    const bool sa = scalar & 2;
    int64_t head = 0;
    if (vec) {
        int64_t nv = n / V;
        for (int64_t v = EW_TID; v < nv; v += EW_STRIDE) {
            vec_t<TA, V> xa = ld_vec<V>(a, v, sa);
            vec_t<TO, V> r;
#pragma unroll
            for (int k = 0; k < V; k++) r.v[k] = f(xa.v[k]);
            reinterpret_cast<vec_t<TO, V> *>(out)[v] = r;
        }
        head = nv * V;
    }
    for (int64_t i = head + EW_TID; i < n; i += EW_STRIDE) out[i] = f(a[sa ? 0 : i]);
}

template <typename F, typename TO, typename TA, typename IDX>
__global__ void __launch_bounds__(EW_THREADS)
ew1_strided(F f, TO *__restrict__ out, const TA *__restrict__ a, strided_t<2> it, int64_t n) {
    for (int64_t i = EW_TID; i < n; i += EW_STRIDE) {
        int64_t off[2];
        strided_offsets<2, IDX>(it, (IDX)i, off);
        out[off[0]] = f(a[off[1]]);
    }
}

/* ---- two inputs --------------------------------------------------------------------- */

template <typename F, typename TO, typename TA, typename TB>
__global__ void __launch_bounds__(EW_THREADS)
ew2_flat(F f, TO *__restrict__ out, const TA *__restrict__ a, const TB *__restrict__ b, int64_t n,
         unsigned scalar, int vec) {
    constexpr int V = 16 / max_size<TO, TA, TB>::value;
    const bool sa = scalar & 2, sb = scalar & 4;
    int64_t head = 0;
    if (vec) {
        int64_t nv = n / V;
        for (int64_t v = EW_TID; v < nv; v += EW_STRIDE) {
            vec_t<TA, V> xa = ld_vec<V>(a, v, sa);
            vec_t<TB, V> xb = ld_vec<V>(b, v, sb);
            vec_t<TO, V> r;
#pragma unroll
            for (int k = 0; k < V; k++) r.v[k] = f(xa.v[k], xb.v[k]);
            reinterpret_cast<vec_t<TO, V> *>(out)[v] = r;
        }
        head = nv * V;
    }
    for (int64_t i = head + EW_TID; i < n; i += EW_STRIDE) out[i] = f(a[sa ? 0 : i], b[sb ? 0 : i]);
}

template <typename F, typename TO, typename TA, typename TB, typename IDX>
__global__ void __launch_bounds__(EW_THREADS)
ew2_strided(F f, TO *__restrict__ out, const TA *__restrict__ a, const TB *__restrict__ b, strided_t<3> it,
            int64_t n) {
    for (int64_t i = EW_TID; i < n; i += EW_STRIDE) {
        int64_t off[3];
        strided_offsets<3, IDX>(it, (IDX)i, off);
        out[off[0]] = f(a[off[1]], b[off[2]]);
    }
}

/* ---- three inputs -------------------------------------------------------------------- */

template <typename F, typename TO, typename TA, typename TB, typename TC>
__global__ void __launch_bounds__(EW_THREADS)
ew3_flat(F f, TO *__restrict__ out, const TA *__restrict__ a, const TB *__restrict__ b,
         const TC *__restrict__ c, int64_t n, unsigned scalar, int vec) {
    constexpr int V = 16 / max_size<TO, TA, TB, TC>::value;
    const bool sa = scalar & 2, sb = scalar & 4, sc = scalar & 8;
    int64_t head = 0;
    if (vec) {
        int64_t nv = n / V;
        for (int64_t v = EW_TID; v < nv; v += EW_STRIDE) {
            vec_t<TA, V> xa = ld_vec<V>(a, v, sa);
            vec_t<TB, V> xb = ld_vec<V>(b, v, sb);
            vec_t<TC, V> xc = ld_vec<V>(c, v, sc);
            vec_t<TO, V> r;
#pragma unroll
            for (int k = 0; k < V; k++) r.v[k] = f(xa.v[k], xb.v[k], xc.v[k]);
            reinterpret_cast<vec_t<TO, V> *>(out)[v] = r;
        }
        head = nv * V;
    }
    for (int64_t i = head + EW_TID; i < n; i += EW_STRIDE)
        out[i] = f(a[sa ? 0 : i], b[sb ? 0 : i], c[sc ? 0 : i]);
}

template <typename F, typename TO, typename TA, typename TB, typename TC, typename IDX>
__global__ void __launch_bounds__(EW_THREADS)
ew3_strided(F f, TO *__restrict__ out, const TA *__restrict__ a, const TB *__restrict__ b,
            const TC *__restrict__ c, strided_t<4> it, int64_t n) {
    for (int64_t i = EW_TID; i < n; i += EW_STRIDE) {
        int64_t off[4];
        strided_offsets<4, IDX>(it, (IDX)i, off);
        out[off[0]] = f(a[off[1]], b[off[2]], c[off[3]]);
    }
}

/* ---- zero inputs (fill, random-free generators) --------------------------------------- */

template <typename F, typename TO>
__global__ void __launch_bounds__(EW_THREADS)
ew0_flat(F f, TO *__restrict__ out, int64_t n, int vec) {
    constexpr int V = 16 / (int)sizeof(TO);
    int64_t head = 0;
    if (vec) {
        int64_t nv = n / V;
        for (int64_t v = EW_TID; v < nv; v += EW_STRIDE) {
            vec_t<TO, V> r;
#pragma unroll
            for (int k = 0; k < V; k++) r.v[k] = f();
            reinterpret_cast<vec_t<TO, V> *>(out)[v] = r;
        }
        head = nv * V;
    }
    for (int64_t i = head + EW_TID; i < n; i += EW_STRIDE) out[i] = f();
}

template <typename F, typename TO, typename IDX>
__global__ void __launch_bounds__(EW_THREADS)
ew0_strided(F f, TO *__restrict__ out, strided_t<1> it, int64_t n) {
    for (int64_t i = EW_TID; i < n; i += EW_STRIDE) {
        int64_t off[1];
        strided_offsets<1, IDX>(it, (IDX)i, off);
        out[off[0]] = f();
    }
}

/* ---- host launchers -------------------------------------------------------------------- */

/* Vector access is possible when every non-scalar operand is aligned to a
 * whole vector of its own type. */
template <typename T>
static inline bool vec_ok(const void *p, int V, bool scalar) {
    return scalar || ptr_aligned(p, (size_t)V * sizeof(T));
}

/* 1 when every element offset of the collapsed iteration fits uint32 math. */
static inline bool small_index(int64_t n) { return n < ((int64_t)1 << 31); }

template <typename F, typename TO>
static rt_status ew_launch0(rt_device *d, cuda_state *st, F f, const rt_view *out) {
    const rt_view *views[1] = {out};
    strided_t<1> it;
    int64_t n = strided_collapse<1>(&it, views);
    if (n == 0) return RT_OK;
    unsigned scalar;
    if (strided_is_flat<1>(&it, &scalar) && !scalar) {
        constexpr int V = 16 / (int)sizeof(TO);
        int vec = vec_ok<TO>(out->data, V, false);
        ew0_flat<F, TO><<<ew_blocks(st, vec ? n / V + 1 : n), EW_THREADS, 0, st->stream>>>(f, (TO *)out->data, n, vec);
    } else if (small_index(n)) {
        ew0_strided<F, TO, uint32_t><<<ew_blocks(st, n), EW_THREADS, 0, st->stream>>>(f, (TO *)out->data, it, n);
    } else {
        ew0_strided<F, TO, int64_t><<<ew_blocks(st, n), EW_THREADS, 0, st->stream>>>(f, (TO *)out->data, it, n);
    }
    LAUNCH_CHECK(d, "elementwise kernel (0 inputs)");
    return RT_OK;
}

template <typename F, typename TO, typename TA>
static rt_status ew_launch1(rt_device *d, cuda_state *st, F f, const rt_view *out, const rt_view *a) {
    const rt_view *views[2] = {out, a};
    strided_t<2> it;
    int64_t n = strided_collapse<2>(&it, views);
    if (n == 0) return RT_OK;
    unsigned scalar;
    if (strided_is_flat<2>(&it, &scalar) && !(scalar & 1)) {
        constexpr int V = 16 / max_size<TO, TA>::value;
        int vec = vec_ok<TO>(out->data, V, false) && vec_ok<TA>(a->data, V, scalar & 2);
        ew1_flat<F, TO, TA><<<ew_blocks(st, vec ? n / V + 1 : n), EW_THREADS, 0, st->stream>>>(
            f, (TO *)out->data, (const TA *)a->data, n, scalar, vec);
    } else if (small_index(n)) {
        ew1_strided<F, TO, TA, uint32_t><<<ew_blocks(st, n), EW_THREADS, 0, st->stream>>>(
            f, (TO *)out->data, (const TA *)a->data, it, n);
    } else {
        ew1_strided<F, TO, TA, int64_t><<<ew_blocks(st, n), EW_THREADS, 0, st->stream>>>(
            f, (TO *)out->data, (const TA *)a->data, it, n);
    }
    LAUNCH_CHECK(d, "elementwise kernel (1 input)");
    return RT_OK;
}

template <typename F, typename TO, typename TA, typename TB>
static rt_status ew_launch2(rt_device *d, cuda_state *st, F f, const rt_view *out, const rt_view *a,
                            const rt_view *b) {
    const rt_view *views[3] = {out, a, b};
    strided_t<3> it;
    int64_t n = strided_collapse<3>(&it, views);
    if (n == 0) return RT_OK;
    unsigned scalar;
    if (strided_is_flat<3>(&it, &scalar) && !(scalar & 1)) {
        constexpr int V = 16 / max_size<TO, TA, TB>::value;
        int vec = vec_ok<TO>(out->data, V, false) && vec_ok<TA>(a->data, V, scalar & 2) &&
                  vec_ok<TB>(b->data, V, scalar & 4);
        ew2_flat<F, TO, TA, TB><<<ew_blocks(st, vec ? n / V + 1 : n), EW_THREADS, 0, st->stream>>>(
            f, (TO *)out->data, (const TA *)a->data, (const TB *)b->data, n, scalar, vec);
    } else if (small_index(n)) {
        ew2_strided<F, TO, TA, TB, uint32_t><<<ew_blocks(st, n), EW_THREADS, 0, st->stream>>>(
            f, (TO *)out->data, (const TA *)a->data, (const TB *)b->data, it, n);
    } else {
        ew2_strided<F, TO, TA, TB, int64_t><<<ew_blocks(st, n), EW_THREADS, 0, st->stream>>>(
            f, (TO *)out->data, (const TA *)a->data, (const TB *)b->data, it, n);
    }
    LAUNCH_CHECK(d, "elementwise kernel (2 inputs)");
    return RT_OK;
}

template <typename F, typename TO, typename TA, typename TB, typename TC>
static rt_status ew_launch3(rt_device *d, cuda_state *st, F f, const rt_view *out, const rt_view *a,
                            const rt_view *b, const rt_view *c) {
    const rt_view *views[4] = {out, a, b, c};
    strided_t<4> it;
    int64_t n = strided_collapse<4>(&it, views);
    if (n == 0) return RT_OK;
    unsigned scalar;
    if (strided_is_flat<4>(&it, &scalar) && !(scalar & 1)) {
        constexpr int V = 16 / max_size<TO, TA, TB, TC>::value;
        int vec = vec_ok<TO>(out->data, V, false) && vec_ok<TA>(a->data, V, scalar & 2) &&
                  vec_ok<TB>(b->data, V, scalar & 4) && vec_ok<TC>(c->data, V, scalar & 8);
        ew3_flat<F, TO, TA, TB, TC><<<ew_blocks(st, vec ? n / V + 1 : n), EW_THREADS, 0, st->stream>>>(
            f, (TO *)out->data, (const TA *)a->data, (const TB *)b->data, (const TC *)c->data, n, scalar, vec);
    } else if (small_index(n)) {
        ew3_strided<F, TO, TA, TB, TC, uint32_t><<<ew_blocks(st, n), EW_THREADS, 0, st->stream>>>(
            f, (TO *)out->data, (const TA *)a->data, (const TB *)b->data, (const TC *)c->data, it, n);
    } else {
        ew3_strided<F, TO, TA, TB, TC, int64_t><<<ew_blocks(st, n), EW_THREADS, 0, st->stream>>>(
            f, (TO *)out->data, (const TA *)a->data, (const TB *)b->data, (const TC *)c->data, it, n);
    }
    LAUNCH_CHECK(d, "elementwise kernel (3 inputs)");
    return RT_OK;
}

#endif
