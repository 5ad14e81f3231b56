/* cuda_matmul.cu — batched row-major matrix products through cuBLAS.
 *
 * cuBLAS is column-major. A row-major (m, n) matrix C is, read
 * column-major, C^T (n, m), and C^T = op(B)^T op(A)^T: so we ask cuBLAS for
 * the product with the operands swapped (B first, then A) and the sizes
 * (n, m, k), keeping each operand's own transpose flag. No data moves.
 *
 * Precision: float32 uses full FP32 (CUBLAS_DEFAULT_MATH) unless
 * rt_set_matmul_precision("tf32") was called, which switches the handle to
 * CUBLAS_TF32_TENSOR_OP_MATH. The mode is checked before every product.
 */
#include <limits.h>

#include "cuda_common.cuh"

/* Writes zeros to each of `batch` (m, n) blocks of C (the k == 0 product). */
static rt_status zero_c(rt_device *d, cuda_state *st, size_t esz, int64_t batch, int64_t m, int64_t n,
                        void *c, int64_t c_stride) {
    size_t bytes = (size_t)(m * n) * esz;
    if (c_stride == m * n) {
        CU_CHECK(d, cudaMemsetAsync(c, 0, bytes * (size_t)batch, st->stream));
        return RT_OK;
    }
    for (int64_t b = 0; b < batch; b++)
        CU_CHECK(d, cudaMemsetAsync((char *)c + (size_t)(b * c_stride) * esz, 0, bytes, st->stream));
    return RT_OK;
}

rt_status cuda_matmul(rt_device *d, rt_dtype t, int64_t batch, int64_t m, int64_t n, int64_t k,
                      const void *a, int64_t a_batch_stride, int trans_a,
                      const void *b, int64_t b_batch_stride, int trans_b,
                      void *c, int64_t c_batch_stride) {
    if (t != RT_FLOAT32 && t != RT_FLOAT64)
        return rt_set_error(RT_ETYPE, "matmul on GPU supports float32 and float64, not %s", rt_dtype_name(t));
    if (batch <= 0 || m <= 0 || n <= 0) return RT_OK;
    if (m > INT_MAX || n > INT_MAX || k > INT_MAX || batch > INT_MAX)
        return rt_set_error(RT_EVALUE, "matmul dimensions too large for cuBLAS (m=%lld, n=%lld, k=%lld, batch=%lld)",
                            (long long)m, (long long)n, (long long)k, (long long)batch);
    cuda_state *st = cuda_enter(d);
    if (!st) return rt_error_code();
    size_t esz = rt_dtype_size(t);
    if (k == 0) return zero_c(d, st, esz, batch, m, n, c, c_batch_stride);

    /* Row-major leading dimensions: the stored row length of each operand. */
    int lda = (int)(trans_a ? m : k);
    int ldb = (int)(trans_b ? k : n);
    int ldc = (int)n;
    cublasOperation_t opa = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
    cublasOperation_t opb = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;

    if (t == RT_FLOAT32) {
        int want = rt_matmul_tf32_enabled() ? 1 : 0;
        if (want != st->blas_tf32) {
            CUBLAS_CHECK(d, cublasSetMathMode(st->blas, want ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
            st->blas_tf32 = want;
        }
        const float one = 1.0f, zero = 0.0f;
        if (batch == 1)
            CUBLAS_CHECK(d, cublasSgemm(st->blas, opb, opa, (int)n, (int)m, (int)k, &one,
                                        (const float *)b, ldb, (const float *)a, lda, &zero, (float *)c, ldc));
        else
            CUBLAS_CHECK(d, cublasSgemmStridedBatched(st->blas, opb, opa, (int)n, (int)m, (int)k, &one,
                                                      (const float *)b, ldb, (long long)b_batch_stride,
                                                      (const float *)a, lda, (long long)a_batch_stride, &zero,
                                                      (float *)c, ldc, (long long)c_batch_stride, (int)batch));
    } else {
        const double one = 1.0, zero = 0.0;
        if (batch == 1)
            CUBLAS_CHECK(d, cublasDgemm(st->blas, opb, opa, (int)n, (int)m, (int)k, &one,
                                        (const double *)b, ldb, (const double *)a, lda, &zero, (double *)c, ldc));
        else
            CUBLAS_CHECK(d, cublasDgemmStridedBatched(st->blas, opb, opa, (int)n, (int)m, (int)k, &one,
                                                      (const double *)b, ldb, (long long)b_batch_stride,
                                                      (const double *)a, lda, (long long)a_batch_stride, &zero,
                                                      (double *)c, ldc, (long long)c_batch_stride, (int)batch));
    }
    return RT_OK;
}
