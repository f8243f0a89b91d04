/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_gguf - libFuzzer target for the GGUF reader (tlpu/gguf.h): any bytes
 * give a file or a named error, never a crash or an out-of-bounds read; an
 * accepted file's every entry, element and tensor can be read. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlpu/gguf.h"

#define MAX_ELEMS 256          /* array elements visited per entry */
#define MAX_DECODE (1u << 20)  /* weights decoded per tensor */

static void walk_kv(const tlpu_gguf *g)
{
    for (size_t i = 0; i < tlpu_gguf_kv_count(g); i++) {
        tlpu_gguf_kv kv;
        size_t found;
        if (tlpu_gguf_kv_info(g, i, &kv) != TLPU_OK ||
            tlpu_gguf_find_key(g, kv.key, &found) != TLPU_OK || found != i)
            abort();
        const void *data;
        size_t es;
        if (tlpu_gguf_kv_data(g, i, &data, &es) == TLPU_OK && kv.count &&
            kv.elem_type != TLPU_GGUF_STR) {
            volatile uint8_t last = ((const uint8_t *)data)[kv.count * es - 1];
            (void)last;
        }
        for (uint64_t k = 0; k < kv.count && k < MAX_ELEMS; k++) {
            int64_t s;
            uint64_t u;
            double d;
            int b;
            const char *str;
            size_t len;
            int ok = 0;
            ok += tlpu_gguf_kv_int(g, i, k, &s) == TLPU_OK;
            ok += tlpu_gguf_kv_uint(g, i, k, &u) == TLPU_OK;
            ok += tlpu_gguf_kv_float(g, i, k, &d) == TLPU_OK;
            ok += tlpu_gguf_kv_bool(g, i, k, &b) == TLPU_OK;
            if (tlpu_gguf_kv_str(g, i, k, &str, &len) == TLPU_OK) {
                ok++;
                if (len) {
                    volatile char c = str[len - 1];
                    (void)c;
                }
            }
            if (!ok) /* every element is readable by one getter */
                abort();
        }
        uint32_t u32;
        float f;
        tlpu_gguf_get_u32(g, kv.key, &u32);
        tlpu_gguf_get_f32(g, kv.key, &f);
    }
}

static void walk_tensors(const tlpu_gguf *g)
{
    char err[256];
    for (size_t i = 0; i < tlpu_gguf_tensor_count(g); i++) {
        tlpu_gguf_tensor t;
        size_t found;
        if (tlpu_gguf_tensor_info(g, i, &t) != TLPU_OK ||
            tlpu_gguf_find_tensor(g, t.name, &found) != TLPU_OK || found != i)
            abort();
        const void *data;
        size_t size;
        tlpu_status st = tlpu_gguf_tensor_data(g, i, &data, &size, err, sizeof err);
        if (st != (t.known ? TLPU_OK : TLPU_ERR_UNSUPPORTED) || (st == TLPU_OK) != !err[0])
            abort();
        if (!t.known)
            continue;
        if (t.file_offset + t.size > tlpu_gguf_file_size(g) || data != t.data)
            abort();
        volatile uint8_t last = ((const uint8_t *)data)[size - 1];
        (void)last;
        if (t.nelem > MAX_DECODE)
            continue;
        size_t n = (size_t)t.nelem;
        float *y = malloc(n * sizeof *y), *sc = malloc(n / 128 * sizeof *sc + sizeof *sc);
        int8_t *tr = malloc(n);
        if (y && tr && sc) {
            st = tlpu_gguf_read_f32(g, i, 0, (size_t)t.nrows, y, n, err, sizeof err);
            if (st != TLPU_OK && st != TLPU_ERR_FORMAT)
                abort();
            size_t ns = t.type == TLPU_GGUF_TYPE_I2_S ? 1 : n / 256;
            st = tlpu_gguf_read_trits(g, i, 0, (size_t)t.nrows, tr, n, sc, ns, err, sizeof err);
            if (st == TLPU_OK) {
                for (size_t k = 0; k < n; k++)
                    if (tr[k] < -1 || tr[k] > 1)
                        abort();
            } else if (!err[0]) {
                abort();
            }
        }
        free(y);
        free(sc);
        free(tr);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tlpu_gguf *g = NULL;
    char err[512];
    if (tlpu_gguf_open_mem(data, size, &g, err, sizeof err) == TLPU_OK) {
        if (err[0] || tlpu_gguf_file_size(g) != size)
            abort();
        walk_kv(g);
        walk_tensors(g);
        tlpu_gguf_close(g);
    } else if (strncmp(err, "offset ", 7) != 0) {
        abort(); /* every error names its offset and problem */
    }
    return 0;
}
