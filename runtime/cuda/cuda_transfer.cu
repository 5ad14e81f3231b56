/* cuda_transfer.cu — copies between host memory and a GPU (the backend's
 * copy_from_host / copy_to_host: `.to()`, array creation from host data,
 * training data and batch uploads, every result read back).
 *
 * Why staging: host arrays live in ordinary (pageable) memory, and a
 * cudaMemcpy from or to pageable memory goes through the driver's own
 * small bounce buffers one piece at a time; device->host in particular ran
 * at a fifth of the bus's speed. Here a large copy is cut into chunks that
 * go through two pinned buffers of this device in turn, so that the CPU's
 * memcpy of one chunk overlaps the DMA of the other, and the memcpy itself
 * is split over a few threads (one core cannot keep up with the bus).
 * Small copies, and sources or destinations that are already pinned, are
 * one cudaMemcpyAsync as before.
 *
 * Semantics are those of the backend table (rt_backend.h): copy_from_host
 * is queued on the device's stream and returns once `src` may be reused;
 * copy_to_host waits for everything queued before it and returns with the
 * data in `dst`.
 */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "cuda_common.cuh"

#define STAGE_BYTES      ((size_t)16 << 20)  /* each of the two pinned buffers */
#define STAGE_MIN_BYTES  ((size_t)1 << 20)   /* smaller copies go directly */
#define MEMCPY_SPLIT_MIN ((size_t)2 << 20)   /* below this one thread copies */
#define MEMCPY_THREADS   4

/* ---- the pinned buffers ---------------------------------------------------------------- */

void cuda_staging_free(cuda_state *st) {
    for (int i = 0; i < 2; i++) {
        if (st->stage[i]) cudaFreeHost(st->stage[i]);
        if (st->stage_done[i]) cudaEventDestroy(st->stage_done[i]);
        st->stage[i] = NULL;
        st->stage_done[i] = NULL;
    }
    (void)cudaGetLastError();
}

/* 1 when the staging buffers are ready; 0 when pinned memory cannot be had
 * (then copies go directly, as before, and this is not retried). */
static int staging_ready(cuda_state *st) {
    if (st->stage_state) return st->stage_state > 0;
    st->stage_state = -1;
    for (int i = 0; i < 2; i++) {
        if (cudaHostAlloc(&st->stage[i], STAGE_BYTES, cudaHostAllocDefault) != cudaSuccess ||
            cudaEventCreateWithFlags(&st->stage_done[i], cudaEventDisableTiming) != cudaSuccess) {
            (void)cudaGetLastError(); /* pinned memory is optional: clear and go direct */
            cuda_staging_free(st);
            return 0;
        }
    }
    st->stage_state = 1;
    return 1;
}

/* 1 when `p` is page-locked host memory CUDA knows (cudaHostAlloc'd or
 * registered): the DMA engine can use it as it is. */
static int host_pinned(const void *p) {
    cudaPointerAttributes a;
    if (cudaPointerGetAttributes(&a, p) != cudaSuccess) { (void)cudaGetLastError(); return 0; }
    return a.type == cudaMemoryTypeHost;
}

/* ---- memcpy over a few threads ------------------------------------------------------- */

typedef struct { char *dst; const char *src; size_t bytes; } copy_part;

static void *copy_part_run(void *arg) {
    copy_part *p = (copy_part *)arg;
    memcpy(p->dst, p->src, p->bytes);
    return NULL;
}

static int memcpy_threads(void) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus >= 8 ? MEMCPY_THREADS : cpus >= 4 ? 2 : 1;
}

/* memcpy of a chunk, split over memcpy_threads() threads when large; a
 * thread that cannot be started leaves its part to this one. */
static void host_copy(void *dst, const void *src, size_t bytes) {
    int t = memcpy_threads();
    if (t <= 1 || bytes < MEMCPY_SPLIT_MIN) { memcpy(dst, src, bytes); return; }
    copy_part parts[MEMCPY_THREADS];
    pthread_t tid[MEMCPY_THREADS];
    int started[MEMCPY_THREADS] = {0};
    size_t per = (bytes / (size_t)t + 63) & ~(size_t)63, at = 0;
    for (int i = 0; i < t; i++) {
        size_t n = at >= bytes ? 0 : bytes - at < per ? bytes - at : per;
        parts[i].dst = (char *)dst + at;
        parts[i].src = (const char *)src + at;
        parts[i].bytes = n;
        at += n;
        if (i > 0 && n) started[i] = pthread_create(&tid[i], NULL, copy_part_run, &parts[i]) == 0;
    }
    copy_part_run(&parts[0]);
    for (int i = 1; i < t; i++) {
        if (started[i]) pthread_join(tid[i], NULL);
        else if (parts[i].bytes) copy_part_run(&parts[i]);
    }
}

/* ---- the two directions ------------------------------------------------------------------ */

rt_status cuda_copy_from_host(rt_device *d, void *dst, const void *src, size_t bytes) {
    if (bytes == 0) return RT_OK;
    cuda_state *st = cuda_enter(d);
    if (!st) return rt_error_code();
    if (bytes < STAGE_MIN_BYTES || host_pinned(src) || !staging_ready(st)) {
        /* From pageable memory the call returns once the source has been
         * staged by the driver, so the caller may reuse `src` at once. */
        CU_CHECK(d, cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, st->stream));
        return RT_OK;
    }
    /* Chunk k goes through stage[k % 2]: wait until that buffer's previous
     * DMA is done, fill it, queue its DMA. The last DMAs may still run when
     * this returns; the next copy waits for them before refilling. */
    int k = 0;
    for (size_t at = 0; at < bytes; at += STAGE_BYTES, k ^= 1) {
        size_t n = bytes - at < STAGE_BYTES ? bytes - at : STAGE_BYTES;
        CU_CHECK(d, cudaEventSynchronize(st->stage_done[k]));
        host_copy(st->stage[k], (const char *)src + at, n);
        CU_CHECK(d, cudaMemcpyAsync((char *)dst + at, st->stage[k], n, cudaMemcpyHostToDevice, st->stream));
        CU_CHECK(d, cudaEventRecord(st->stage_done[k], st->stream));
    }
    return RT_OK;
}

rt_status cuda_copy_to_host(rt_device *d, void *dst, const void *src, size_t bytes) {
    cuda_state *st = cuda_enter(d);
    if (!st) return rt_error_code();
    if (bytes < STAGE_MIN_BYTES || host_pinned(dst) || !staging_ready(st)) {
        if (bytes) CU_CHECK(d, cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, st->stream));
        return cuda_wait_stream(d, st);
    }
    /* Queue the DMA of chunk k + 1 before copying chunk k out of its
     * buffer, so the bus and the CPU work at the same time. */
    size_t nchunks = (bytes + STAGE_BYTES - 1) / STAGE_BYTES;
#define CHUNK_AT(c) ((c) * STAGE_BYTES)
#define CHUNK_LEN(c) (bytes - CHUNK_AT(c) < STAGE_BYTES ? bytes - CHUNK_AT(c) : STAGE_BYTES)
    CU_CHECK(d, cudaEventSynchronize(st->stage_done[0]));
    CU_CHECK(d, cudaMemcpyAsync(st->stage[0], (const char *)src, CHUNK_LEN(0), cudaMemcpyDeviceToHost, st->stream));
    CU_CHECK(d, cudaEventRecord(st->stage_done[0], st->stream));
    for (size_t c = 0; c < nchunks; c++) {
        int k = (int)(c & 1);
        if (c + 1 < nchunks) {
            int nk = k ^ 1;
            CU_CHECK(d, cudaEventSynchronize(st->stage_done[nk]));
            CU_CHECK(d, cudaMemcpyAsync(st->stage[nk], (const char *)src + CHUNK_AT(c + 1), CHUNK_LEN(c + 1),
                                        cudaMemcpyDeviceToHost, st->stream));
            CU_CHECK(d, cudaEventRecord(st->stage_done[nk], st->stream));
        }
        CU_CHECK(d, cudaEventSynchronize(st->stage_done[k]));
        host_copy((char *)dst + CHUNK_AT(c), st->stage[k], CHUNK_LEN(c));
    }
#undef CHUNK_AT
#undef CHUNK_LEN
    return cuda_wait_stream(d, st);
}
