/* SPDX-License-Identifier: Apache-2.0 */
/*
 * example_bitlinear - the smallest complete use of the driver API
 * (docs/driver.md quotes it; ctest builds and runs it).
 *
 *   example_bitlinear [DEVICE-URI]      (default "model:")
 */
#include <stdio.h>
#include <stdlib.h>

#include "tlpu/bitlinear.h" /* the C reference, to check the result */
#include "tlpu/pack.h"      /* tlpu_pack3: trits -> base-3 bytes */
#include "tlpu/tlpu.h"      /* the driver */

int main(int argc, char **argv)
{
    enum { M = 4, K = 300, N = 50 };
    static int8_t x[M * K], w[N * K];
    static int32_t y[M * N], ref[M * N];
    for (int i = 0; i < M * K; i++)
        x[i] = (int8_t)(i * 37 % 255 - 127); /* int8 activations */
    for (int i = 0; i < N * K; i++)
        w[i] = (int8_t)(i * 7 % 3 - 1); /* ternary weights */

    /* weights travel packed: base-3, five trits per byte, row by row */
    size_t rb = tlpu_packed_row_bytes(TLPU_FMT_PACK3, K);
    uint8_t *wp = malloc(N * rb);
    for (int r = 0; r < N && wp; r++)
        tlpu_pack3(w + r * K, K, wp + r * rb, rb);

    tlpu_dev *dev;
    if (!wp || tlpu_open(argc > 1 ? argv[1] : "model:", &dev) != TLPU_OK) {
        fprintf(stderr, "cannot open the device: %s\n", tlpu_last_error());
        return 1;
    }
    tlpu_bitlinear_args a = {.m = M, .k = K, .n = N, .x = x, .fmt = TLPU_FMT_PACK3, .w = wp,
                             .y = y};
    tlpu_bitlinear_stats s;
    tlpu_status st = tlpu_dev_bitlinear(dev, &a, &s);
    tlpu_close(dev);
    free(wp);
    if (st != TLPU_OK) {
        fprintf(stderr, "BitLinear failed: %s\n", tlpu_last_error());
        return 1;
    }
    tlpu_bitlinear(M, K, N, x, w, ref); /* the host reference */
    for (int i = 0; i < M * N; i++)
        if (y[i] != ref[i]) {
            fprintf(stderr, "y[%d][%d] = %d, want %d\n", i / N, i % N, y[i], ref[i]);
            return 1;
        }
    printf("%dx%dx%d BitLinear: exact, %llu cycles, %.1f%% of the array busy\n", M, K, N,
           (unsigned long long)s.cycles, 100 * s.utilization);
    return 0;
}
