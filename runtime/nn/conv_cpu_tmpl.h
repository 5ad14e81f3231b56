/* conv_cpu_tmpl.h — the CPU reference kernels of the image layers (Conv2D's
 * im2col/col2im, the pools, batch normalisation), written once for a REAL
 * type; included by kernels_cpu_tmpl.h for float and double. Images are
 * channels last, so every inner loop runs over contiguous channels. */

/* the input pixel under window position (i, j) of output pixel (oy, ox),
 * or -1 outside the image (zero padding) */
static inline int64_t FN(window_src)(const nn_conv_geom *g, int64_t oy, int64_t ox, int64_t i, int64_t j)
{
    int64_t y = oy * g->sh - g->pt + i * g->dh, x = ox * g->sw - g->pl + j * g->dw;
    if (y < 0 || y >= g->h || x < 0 || x >= g->w) return -1;
    return y * g->w + x;
}

static rt_status FN(im2col)(rt_device *d, const nn_conv_geom *g, int64_t rows, const void *xv, void *colsv)
{
    const REAL *x = xv;
    REAL *col = colsv;
    const int64_t C = g->c, img = g->h * g->w * C;
    for (int64_t n = 0; n < rows; n++) {
        const REAL *xn = x + n * img;
        for (int64_t oy = 0; oy < g->oh; oy++)
            for (int64_t ox = 0; ox < g->ow; ox++)
                for (int64_t i = 0; i < g->kh; i++)
                    for (int64_t j = 0; j < g->kw; j++, col += C) {
                        int64_t s = FN(window_src)(g, oy, ox, i, j);
                        if (s < 0) memset(col, 0, (size_t)C * sizeof(REAL));
                        else memcpy(col, xn + s * C, (size_t)C * sizeof(REAL));
                    }
    }
    return RT_OK;
}

static rt_status FN(col2im)(rt_device *d, const nn_conv_geom *g, int64_t rows, const void *colsv, void *dxv)
{
    const REAL *col = colsv;
    REAL *dx = dxv;
    const int64_t C = g->c, img = g->h * g->w * C;
    memset(dx, 0, (size_t)(rows * img) * sizeof(REAL));
    for (int64_t n = 0; n < rows; n++) {
        REAL *dn = dx + n * img;
        for (int64_t oy = 0; oy < g->oh; oy++)
            for (int64_t ox = 0; ox < g->ow; ox++)
                for (int64_t i = 0; i < g->kh; i++)
                    for (int64_t j = 0; j < g->kw; j++, col += C) {
                        int64_t s = FN(window_src)(g, oy, ox, i, j);
                        if (s < 0) continue;
                        REAL *t = dn + s * C;
                        for (int64_t c = 0; c < C; c++) t[c] += col[c];
                    }
    }
    return RT_OK;
}

static rt_status FN(pool)(rt_device *d, const nn_conv_geom *g, int64_t rows, int max, const void *xv, void *yv)
{
    const REAL *x = xv;
    REAL *y = yv;
    const int64_t C = g->c, img = g->h * g->w * C;
    for (int64_t n = 0; n < rows; n++) {
        const REAL *xn = x + n * img;
        for (int64_t oy = 0; oy < g->oh; oy++)
            for (int64_t ox = 0; ox < g->ow; ox++, y += C) {
                int64_t cnt = 0;
                for (int64_t i = 0; i < g->kh; i++)
                    for (int64_t j = 0; j < g->kw; j++) {
                        int64_t s = FN(window_src)(g, oy, ox, i, j);
                        if (s < 0) continue;
                        const REAL *p = xn + s * C;
                        if (cnt++ == 0) memcpy(y, p, (size_t)C * sizeof(REAL));
                        else if (max) { for (int64_t c = 0; c < C; c++) if (p[c] > y[c]) y[c] = p[c]; }
                        else for (int64_t c = 0; c < C; c++) y[c] += p[c];
                    }
                if (!max && cnt > 1) for (int64_t c = 0; c < C; c++) y[c] /= (REAL)cnt;
            }
    }
    return RT_OK;
}

static rt_status FN(pool_backward)(rt_device *d, const nn_conv_geom *g, int64_t rows, int max, const void *xv,
                                   const void *yv, const void *dyv, void *dxv)
{
    const REAL *x = xv, *y = yv, *dy = dyv;
    REAL *dx = dxv;
    const int64_t C = g->c, img = g->h * g->w * C;
    unsigned char *done = max ? malloc((size_t)C) : NULL;
    if (max && !done) return rt_set_error(RT_EOOM, "out of host memory");
    memset(dx, 0, (size_t)(rows * img) * sizeof(REAL));
    for (int64_t n = 0; n < rows; n++) {
        const REAL *xn = x + n * img;
        REAL *dn = dx + n * img;
        for (int64_t oy = 0; oy < g->oh; oy++)
            for (int64_t ox = 0; ox < g->ow; ox++, y += C, dy += C) {
                int64_t cnt = 0;
                if (max) memset(done, 0, (size_t)C);
                else
                    for (int64_t i = 0; i < g->kh; i++)
                        for (int64_t j = 0; j < g->kw; j++) cnt += FN(window_src)(g, oy, ox, i, j) >= 0;
                for (int64_t i = 0; i < g->kh; i++)
                    for (int64_t j = 0; j < g->kw; j++) {
                        int64_t s = FN(window_src)(g, oy, ox, i, j);
                        if (s < 0) continue;
                        const REAL *p = xn + s * C;
                        REAL *t = dn + s * C;
                        if (max) {
                            for (int64_t c = 0; c < C; c++)
                                if (!done[c] && p[c] == y[c]) { t[c] += dy[c]; done[c] = 1; }
                        } else {
                            for (int64_t c = 0; c < C; c++) t[c] += dy[c] / (REAL)cnt;
                        }
                    }
            }
    }
    free(done);
    return RT_OK;
}

static rt_status FN(bn_forward)(rt_device *d, int64_t n, int64_t C, const void *xv, void *yv, const void *gv,
                                const void *bv, const void *mmv, const void *mvv, double eps, int training,
                                void *statsv, void *dmv, void *dvv, double f)
{
    const REAL *x = xv, *gamma = gv, *beta = bv, *mm = mmv, *mv = mvv;
    REAL *y = yv, *stats = statsv, *dm = dmv, *dv = dvv;
    double *acc = calloc((size_t)(2 * C), sizeof *acc);
    if (!acc) return rt_set_error(RT_EOOM, "out of host memory");
    double *mean = acc, *var = acc + C;
    if (training) {
        for (int64_t r = 0; r < n; r++) for (int64_t c = 0; c < C; c++) mean[c] += x[r * C + c];
        for (int64_t c = 0; c < C; c++) mean[c] /= (double)n;
        for (int64_t r = 0; r < n; r++)
            for (int64_t c = 0; c < C; c++) { double t = x[r * C + c] - mean[c]; var[c] += t * t; }
        for (int64_t c = 0; c < C; c++) {
            var[c] /= (double)n;   /* biased, as Keras's moments */
            dm[c] = (REAL)(f * (mean[c] - (double)mm[c]));
            dv[c] = (REAL)(f * (var[c] - (double)mv[c]));
        }
    } else {
        for (int64_t c = 0; c < C; c++) { mean[c] = mm[c]; var[c] = mv[c]; }
    }
    for (int64_t c = 0; c < C; c++) {
        stats[c] = (REAL)mean[c];
        stats[C + c] = (REAL)(1.0 / sqrt(var[c] + eps));
    }
    for (int64_t r = 0; r < n; r++)
        for (int64_t c = 0; c < C; c++) {
            REAL v = (x[r * C + c] - stats[c]) * stats[C + c];
            if (gamma) v *= gamma[c];
            if (beta) v += beta[c];
            y[r * C + c] = v;
        }
    free(acc);
    return RT_OK;
}

static rt_status FN(bn_backward)(rt_device *d, int64_t n, int64_t C, const void *xv, const void *dyv, void *dxv,
                                 const void *gv, const void *statsv, void *dgv, void *dbv, int training)
{
    const REAL *x = xv, *dy = dyv, *gamma = gv, *stats = statsv;
    REAL *dx = dxv, *dg = dgv, *db = dbv;
    double *acc = calloc((size_t)(2 * C), sizeof *acc);
    if (!acc) return rt_set_error(RT_EOOM, "out of host memory");
    double *sdy = acc, *sdyx = acc + C;
    for (int64_t r = 0; r < n; r++)
        for (int64_t c = 0; c < C; c++) {
            double g = dy[r * C + c];
            sdy[c] += g;
            sdyx[c] += g * ((double)x[r * C + c] - stats[c]) * stats[C + c];
        }
    for (int64_t c = 0; c < C; c++) {
        if (dg) dg[c] = (REAL)sdyx[c];
        if (db) db[c] = (REAL)sdy[c];
    }
    if (dx)
        for (int64_t r = 0; r < n; r++)
            for (int64_t c = 0; c < C; c++) {
                double k = (gamma ? (double)gamma[c] : 1.0) * stats[C + c], g = dy[r * C + c];
                if (training) {
                    double xh = ((double)x[r * C + c] - stats[c]) * stats[C + c];
                    g -= (sdy[c] + xh * sdyx[c]) / (double)n;
                }
                dx[r * C + c] = (REAL)(k * g);
            }
    free(acc);
    return RT_OK;
}

static rt_status FN(transpose)(rt_device *d, void *dstv, const void *srcv, int64_t rows, int64_t cols)
{
    REAL *dst = dstv;
    const REAL *src = srcv;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < cols; c++) dst[c * rows + r] = src[r * cols + c];
    return RT_OK;
}
