/* cuda_reduce.cu — reduce the middle axis of a contiguous [outer][n][inner]
 * block: sum, mean, max, min, argmax, argmin, var, std.
 *
 * Each op is a reducer R with an accumulator type A:
 *   init()            the identity
 *   step(acc, x, j)   add element x found at position j of the axis
 *   stepv(acc, v, j0) add V consecutive elements (a 16-byte load)
 *   combine(a, b)     merge two accumulators (associative and, for the arg
 *                     ops, commutative thanks to the index tie-break)
 *   final(acc, n)     the output value
 * Accuracy: float32 sums accumulate in double (per thread), then combine
 * along a tree (warp shuffles, shared memory, a second pass): far better
 * than float32 pairwise summation. var/std use Welford per thread and
 * Chan's merge across threads, in double.
 *
 * Kernels (one launch, plus a finishing pass when an axis is split):
 *   rows   inner == 1: a block of 256 threads per (row, split) chunk,
 *          16-byte loads when aligned;
 *   warps  inner == 1 and short rows: one warp per row;
 *   cols   inner > 1: 32 lanes walk TW adjacent columns (coalesced) and
 *          JW rows at a time; 8 warps per block split the axis further;
 *   finish one warp per output merges the splits' partials in a fixed
 *          order (results are deterministic run to run).
 * Partials live in the device's scratch buffer (stream order makes reuse
 * safe).
 */
#include <float.h>
#include <limits.h>
#include <math.h>

#include <type_traits>

#include "cuda_common.cuh"

#define RED_THREADS 256
#define RED_WARPS (RED_THREADS / 32)

/* ---- shuffles of any accumulator ------------------------------------------------------ */

template <typename A>
__device__ __forceinline__ A shfl_down_any(A a, int off) {
    static_assert(sizeof(A) % 4 == 0, "accumulator must be a whole number of words");
    union { A a; int w[sizeof(A) / 4]; } u;
    u.a = a;
#pragma unroll
    for (int i = 0; i < (int)(sizeof(A) / 4); i++) u.w[i] = __shfl_down_sync(0xffffffffu, u.w[i], off);
    return u.a;
}

template <typename R>
__device__ __forceinline__ typename R::A warp_reduce(typename R::A a) {
#pragma unroll
    for (int off = 16; off > 0; off >>= 1) a = R::combine(a, shfl_down_any(a, off));
    return a; /* lane 0 holds the result */
}

/* ---- reducers --------------------------------------------------------------------------- */

template <typename T> struct sum_acc { typedef double type; };
template <> struct sum_acc<int32_t> { typedef long long type; };
template <> struct sum_acc<int64_t> { typedef unsigned long long type; }; /* wraps like int64 */

/* out of MEAN/VAR/STD: float64 only for float64 input */
template <typename T> struct stat_out { typedef float type; };
template <> struct stat_out<double> { typedef double type; };

/* Sum of V consecutive elements as a double. float32 16-byte loads add
 * their four floats pairwise in float first (error about 2 ulp of their
 * sum), then pay one conversion instead of four. */
template <typename T, int V>
__device__ __forceinline__ double vsum_d(const T *x) {
    double s = 0;
#pragma unroll
    for (int k = 0; k < V; k++) s += (double)x[k];
    return s;
}
template <>
__device__ __forceinline__ double vsum_d<float, 4>(const float *x) {
    return (double)((x[0] + x[1]) + (x[2] + x[3]));
}

template <typename T>
struct r_sum {
    typedef typename sum_acc<T>::type A;
    typedef T O;
    static __device__ __forceinline__ A init() { return 0; }
    static __device__ __forceinline__ void step(A &a, T x, int64_t) { a += (A)x; }
    template <int V> static __device__ __forceinline__ void stepv(A &a, const T *x, int64_t) {
        if constexpr (sizeof(A) == sizeof(double) && std::is_floating_point<T>::value) {
            a += vsum_d<T, V>(x);
        } else {
#pragma unroll
            for (int k = 0; k < V; k++) a += (A)x[k];
        }
    }
    static __device__ __forceinline__ A combine(A a, A b) { return a + b; }
    /* int32 sums wrap modulo 2^32 like int32 arithmetic on the host */
    static __device__ __forceinline__ O final(A a, int64_t) {
        if constexpr (std::is_same<T, int64_t>::value) return (O)(unsigned long long)a;
        else if constexpr (std::is_integral<T>::value) return (O)(uint32_t)(unsigned long long)a;
        else return (O)a;
    }
};

template <typename T>
struct r_mean {
    typedef double A;
    typedef typename stat_out<T>::type O;
    static __device__ __forceinline__ A init() { return 0; }
    static __device__ __forceinline__ void step(A &a, T x, int64_t) { a += (double)x; }
    template <int V> static __device__ __forceinline__ void stepv(A &a, const T *x, int64_t) {
        a += vsum_d<T, V>(x);
    }
    static __device__ __forceinline__ A combine(A a, A b) { return a + b; }
    static __device__ __forceinline__ O final(A a, int64_t n) { return (O)(a / (double)n); }
};

template <typename T> struct lim;
template <> struct lim<float> {
    static __device__ __forceinline__ float lo() { return -INFINITY; }
    static __device__ __forceinline__ float hi() { return INFINITY; }
};
template <> struct lim<double> {
    static __device__ __forceinline__ double lo() { return -INFINITY; }
    static __device__ __forceinline__ double hi() { return INFINITY; }
};
template <> struct lim<int32_t> {
    static __device__ __forceinline__ int32_t lo() { return INT_MIN; }
    static __device__ __forceinline__ int32_t hi() { return INT_MAX; }
};

template <> struct lim<int64_t> {
    static __device__ __forceinline__ int64_t lo() { return LLONG_MIN; }
    static __device__ __forceinline__ int64_t hi() { return LLONG_MAX; }
};

template <typename T> __device__ __forceinline__ bool is_nan(T x) { return x != x; }

/* NaN wins (as numpy's max/min): the comparison is written so that a NaN
 * on either side is kept. */
template <typename T, bool MAX>
struct r_ext {
    typedef T A;
    typedef T O;
    static __device__ __forceinline__ A init() { return MAX ? lim<T>::lo() : lim<T>::hi(); }
    static __device__ __forceinline__ A pick(A a, A b) {
        if (is_nan(a)) return a;
        if (is_nan(b)) return b;
        return MAX ? (b > a ? b : a) : (b < a ? b : a);
    }
    static __device__ __forceinline__ void step(A &a, T x, int64_t) { a = pick(a, x); }
    template <int V> static __device__ __forceinline__ void stepv(A &a, const T *x, int64_t) {
#pragma unroll
        for (int k = 0; k < V; k++) a = pick(a, x[k]);
    }
    static __device__ __forceinline__ A combine(A a, A b) { return pick(a, b); }
    static __device__ __forceinline__ O final(A a, int64_t) { return a; }
};

template <typename T>
struct alignas(8) argacc { T v; int32_t pad; long long i; };

/* argmax/argmin: the first position of the extreme value; a NaN counts as
 * the extreme (the first NaN wins), as numpy. */
template <typename T, bool MAX>
struct r_arg {
    typedef argacc<T> A;
    typedef int32_t O;
    static __device__ __forceinline__ A init() {
        A a; a.v = MAX ? lim<T>::lo() : lim<T>::hi(); a.pad = 0; a.i = LLONG_MAX; return a;
    }
    /* true when (v, i) beats the accumulator */
    static __device__ __forceinline__ bool better(T v, long long i, const A &a) {
        bool vn = is_nan(v), an = is_nan(a.v);
        if (vn || an) return vn && (!an || i < a.i);
        if (MAX ? v > a.v : v < a.v) return true;
        return v == a.v && i < a.i;
    }
    static __device__ __forceinline__ void step(A &a, T x, int64_t j) {
        if (better(x, j, a)) { a.v = x; a.i = j; }
    }
    template <int V> static __device__ __forceinline__ void stepv(A &a, const T *x, int64_t j0) {
#pragma unroll
        for (int k = 0; k < V; k++) step(a, x[k], j0 + k);
    }
    static __device__ __forceinline__ A combine(A a, A b) { return better(b.v, b.i, a) ? b : a; }
    static __device__ __forceinline__ O final(A a, int64_t) { return (int32_t)a.i; }
};

struct welford { double n, mean, m2; };

template <typename T, bool STD>
struct r_var {
    typedef welford A;
    typedef typename stat_out<T>::type O;
    static __device__ __forceinline__ A init() { A a; a.n = 0; a.mean = 0; a.m2 = 0; return a; }
    static __device__ __forceinline__ void step(A &a, T x, int64_t) {
        double xd = (double)x;
        a.n += 1;
        double d = xd - a.mean;
        a.mean += d / a.n;
        a.m2 += d * (xd - a.mean);
    }
    template <int V> static __device__ __forceinline__ void stepv(A &a, const T *x, int64_t j) {
#pragma unroll
        for (int k = 0; k < V; k++) step(a, x[k], j + k);
    }
    static __device__ __forceinline__ A combine(A a, A b) {
        if (a.n == 0) return b;
        if (b.n == 0) return a;
        A r;
        r.n = a.n + b.n;
        double d = b.mean - a.mean;
        r.mean = a.mean + d * (b.n / r.n);
        r.m2 = a.m2 + b.m2 + d * d * (a.n * b.n / r.n);
        return r;
    }
    static __device__ __forceinline__ O final(A a, int64_t n) {
        double v = n > 0 ? a.m2 / (double)n : NAN;
        if (v < 0) v = 0;
        return (O)(STD ? sqrt(v) : v);
    }
};

/* ---- block-level merge ----------------------------------------------------------------- */

/* All RED_THREADS threads call it; thread 0 gets the block's result. */
template <typename R>
__device__ __forceinline__ typename R::A block_reduce(typename R::A a) {
    typedef typename R::A A;
    __shared__ alignas(16) unsigned char raw[RED_WARPS * sizeof(A)];
    A *sh = reinterpret_cast<A *>(raw);
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    a = warp_reduce<R>(a);
    if (lane == 0) sh[warp] = a;
    __syncthreads();
    if (warp == 0) {
        a = lane < RED_WARPS ? sh[lane] : R::init();
        a = warp_reduce<R>(a);
    }
    __syncthreads(); /* sh may be reused by the caller's next item */
    return a;
}

/* ---- kernels ----------------------------------------------------------------------------- */

/* inner == 1: item = (row, split); chunk is a multiple of V. */
template <typename R, typename T>
__global__ void __launch_bounds__(RED_THREADS)
reduce_rows(const T *__restrict__ in, typename R::O *__restrict__ out, typename R::A *__restrict__ partial,
            int64_t rows, int64_t n, int64_t splits, int64_t chunk, int vec) {
    typedef typename R::A A;
    constexpr int V = 16 / sizeof(T);
    const int tid = threadIdx.x;
    for (int64_t item = blockIdx.x; item < rows * splits; item += gridDim.x) {
        int64_t row = item / splits, s = item - row * splits;
        int64_t beg = s * chunk, end = beg + chunk < n ? beg + chunk : n;
        const T *p = in + row * n;
        A acc = R::init();
        int64_t j = beg + tid;
        if (vec) {
            int64_t vb = beg / V, ve = end / V;
            const vec_t<T, V> *pv = reinterpret_cast<const vec_t<T, V> *>(p);
#pragma unroll 4
            for (int64_t v = vb + tid; v < ve; v += RED_THREADS) {
                vec_t<T, V> x = pv[v];
                R::template stepv<V>(acc, x.v, v * V);
            }
            j = ve * V + tid;
        }
        for (; j < end; j += RED_THREADS) R::step(acc, p[j], j);
        acc = block_reduce<R>(acc);
        if (tid == 0) {
            if (splits == 1) out[row] = R::final(acc, n);
            else partial[item] = acc;
        }
    }
}

/* inner == 1, short rows: one warp per row. */
template <typename R, typename T>
__global__ void __launch_bounds__(RED_THREADS)
reduce_warps(const T *__restrict__ in, typename R::O *__restrict__ out, int64_t rows, int64_t n) {
    typedef typename R::A A;
    int lane = threadIdx.x & 31;
    int64_t w0 = ((int64_t)blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    int64_t nw = ((int64_t)gridDim.x * blockDim.x) >> 5;
    for (int64_t row = w0; row < rows; row += nw) {
        const T *p = in + row * n;
        A acc = R::init();
        for (int64_t j = lane; j < n; j += 32) R::step(acc, p[j], j);
        acc = warp_reduce<R>(acc);
        if (lane == 0) out[row] = R::final(acc, n);
    }
}

/* inner > 1: item = (o, tile, split). Lane l covers column tile*TW + l%TW
 * and row offset l/TW; 8 warps cover 8*JW rows per step. */
template <typename R, typename T>
__global__ void __launch_bounds__(RED_THREADS)
reduce_cols(const T *__restrict__ in, typename R::O *__restrict__ out, typename R::A *__restrict__ partial,
            int64_t outer, int64_t n, int64_t inner, int tw, int64_t tiles, int64_t splits, int64_t chunk) {
    typedef typename R::A A;
    __shared__ alignas(16) unsigned char raw[RED_THREADS * sizeof(A)];
    A *sh = reinterpret_cast<A *>(raw);
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int jw = 32 / tw;
    const int jstep = RED_WARPS * jw;
    for (int64_t item = blockIdx.x; item < outer * tiles * splits; item += gridDim.x) {
        int64_t s = item % splits, r = item / splits;
        int64_t tile = r % tiles, o = r / tiles;
        int64_t i = tile * tw + (lane % tw);
        int64_t beg = s * chunk, end = beg + chunk < n ? beg + chunk : n;
        A acc = R::init();
        if (i < inner) {
            const T *p = in + o * n * inner + i;
            for (int64_t j = beg + warp * jw + lane / tw; j < end; j += jstep) R::step(acc, p[j * inner], j);
        }
        sh[tid] = acc;
        __syncthreads();
        if (tid < tw && i < inner) {
            A a = sh[tid];
            for (int e = tid + tw; e < RED_THREADS; e += tw) a = R::combine(a, sh[e]);
            int64_t oi = o * inner + i;
            if (splits == 1) out[oi] = R::final(a, n);
            else partial[oi * splits + s] = a;
        }
        __syncthreads();
    }
}

/* One warp per output: merge its `splits` partials in order. */
template <typename R>
__global__ void __launch_bounds__(RED_THREADS)
reduce_finish(const typename R::A *__restrict__ partial, typename R::O *__restrict__ out, int64_t nout,
              int64_t splits, int64_t n) {
    typedef typename R::A A;
    int lane = threadIdx.x & 31;
    int64_t w0 = ((int64_t)blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    int64_t nw = ((int64_t)gridDim.x * blockDim.x) >> 5;
    for (int64_t o = w0; o < nout; o += nw) {
        A acc = R::init();
        for (int64_t s = lane; s < splits; s += 32) acc = R::combine(acc, partial[o * splits + s]);
        acc = warp_reduce<R>(acc);
        if (lane == 0) out[o] = R::final(acc, n);
    }
}

/* ---- host side ------------------------------------------------------------------------------ */

static int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

template <typename R, typename T>
static rt_status run(rt_device *d, cuda_state *st, void *outp, const void *inp, int64_t outer, int64_t n,
                     int64_t inner) {
    typedef typename R::A A;
    typedef typename R::O O;
    const T *in = (const T *)inp;
    O *out = (O *)outp;
    A *partial = (A *)st->scratch;
    const int64_t cap = (int64_t)(st->scratch_bytes / sizeof(A));
    const int64_t target = (int64_t)st->sms * (2048 / RED_THREADS); /* resident blocks */
    const int64_t nout = outer * inner;
    int64_t splits = 1;

    if (inner == 1) {
        constexpr int V = 16 / sizeof(T);
        if (n <= 256 || (outer >= target * 4 && n <= 2048)) {
            int64_t blocks = cdiv(outer, RED_WARPS);
            if (blocks > target) blocks = target;
            reduce_warps<R, T><<<(unsigned)blocks, RED_THREADS, 0, st->stream>>>(in, out, outer, n);
            LAUNCH_CHECK(d, "reduce_warps");
            return RT_OK;
        }
        if (outer < target) {
            splits = cdiv(target * 2, outer);             /* two waves of blocks */
            int64_t most = cdiv(n, 4096);                  /* at least 4096 elements per split */
            if (splits > most) splits = most;
            if (splits * outer > cap) splits = cap / outer;
            if (splits < 1) splits = 1;
        }
        int64_t chunk = cdiv(cdiv(n, splits), V * RED_THREADS) * V * RED_THREADS;
        splits = cdiv(n, chunk);
        int vec = ptr_aligned(in, 16) && (outer == 1 || n % V == 0);
        int64_t items = outer * splits;
        int64_t blocks = items < target * 4 ? items : target * 4;
        reduce_rows<R, T><<<(unsigned)blocks, RED_THREADS, 0, st->stream>>>(in, out, partial, outer, n, splits,
                                                                            chunk, vec);
        LAUNCH_CHECK(d, "reduce_rows");
    } else {
        int tw = 32;
        if (inner < 32) { tw = 1; while (tw < inner) tw <<= 1; }
        int64_t tiles = cdiv(inner, tw);
        int64_t base = outer * tiles;
        if (base < target) {
            splits = cdiv(target * 2, base);
            int64_t most = cdiv(n, 64);                    /* at least 64 axis steps per split */
            if (splits > most) splits = most;
            if (splits * nout > cap) splits = cap / nout;
            if (splits < 1) splits = 1;
        }
        int64_t chunk = cdiv(n, splits);
        splits = n > 0 ? cdiv(n, chunk) : 1;
        if (chunk < 1) chunk = 1;
        int64_t items = base * splits;
        int64_t blocks = items < target * 4 ? items : target * 4;
        reduce_cols<R, T><<<(unsigned)blocks, RED_THREADS, 0, st->stream>>>(in, out, partial, outer, n, inner, tw,
                                                                            tiles, splits, chunk);
        LAUNCH_CHECK(d, "reduce_cols");
    }
    if (splits > 1) {
        int64_t blocks = cdiv(nout, RED_WARPS);
        if (blocks > target * 4) blocks = target * 4;
        reduce_finish<R><<<(unsigned)blocks, RED_THREADS, 0, st->stream>>>(partial, out, nout, splits, n);
        LAUNCH_CHECK(d, "reduce_finish");
    }
    return RT_OK;
}

template <typename T>
static rt_status run_op(rt_device *d, cuda_state *st, rt_reduce_op op, void *out, const void *in, int64_t outer,
                        int64_t n, int64_t inner) {
    switch (op) {
    case RT_SUM: return run<r_sum<T>, T>(d, st, out, in, outer, n, inner);
    case RT_MEAN: return run<r_mean<T>, T>(d, st, out, in, outer, n, inner);
    case RT_MAX: return run<r_ext<T, true>, T>(d, st, out, in, outer, n, inner);
    case RT_MIN: return run<r_ext<T, false>, T>(d, st, out, in, outer, n, inner);
    case RT_ARGMAX: return run<r_arg<T, true>, T>(d, st, out, in, outer, n, inner);
    case RT_ARGMIN: return run<r_arg<T, false>, T>(d, st, out, in, outer, n, inner);
    case RT_VAR: return run<r_var<T, false>, T>(d, st, out, in, outer, n, inner);
    case RT_STD: return run<r_var<T, true>, T>(d, st, out, in, outer, n, inner);
    default: break; /* any/all: the dispatcher uses max/min */
    }
    return rt_set_error(RT_EVALUE, "unknown reduction %d", (int)op);
}

rt_status cuda_reduce(rt_device *d, rt_reduce_op op, void *out, const void *in, rt_dtype t, int64_t outer,
                      int64_t n, int64_t inner) {
    if (outer <= 0 || inner <= 0) return RT_OK;
    if (n == 0 && (op == RT_MAX || op == RT_MIN || op == RT_ARGMAX || op == RT_ARGMIN))
        return rt_set_error(RT_EVALUE, "zero-size array to reduction operation which has no identity");
    cuda_state *st = cuda_enter(d);
    if (!st) return rt_error_code();
    switch (t) {
    case RT_FLOAT32: return run_op<float>(d, st, op, out, in, outer, n, inner);
    case RT_FLOAT64: return run_op<double>(d, st, op, out, in, outer, n, inner);
    case RT_INT32: return run_op<int32_t>(d, st, op, out, in, outer, n, inner);
    case RT_INT64: return run_op<int64_t>(d, st, op, out, in, outer, n, inner);
    default: return rt_set_error(RT_ETYPE, "reduction of %s is not supported on GPU", rt_dtype_name(t));
    }
}
