/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check_quantize - the GGUF writer (tlpu/gguf_write.h) and tlpu quantize's
 * library (tlpu/quantize_model.h).
 *
 *  - the writer: every metadata type and array kind, every tensor type, odd
 *    and big sizes, alignments 32 (default), 64, 1 and 4096, read back with
 *    tlpu_gguf_open equal field by field, the header size and every padding
 *    byte checked; copies of the shared GGUF files (ggml's gguf writer,
 *    gguf-py, llama-quantize, bitnet.cpp's llama-quantize) byte for byte;
 *    set/replace/remove order; every argument error leaving the writer as it
 *    was; atomic writes (a failed write leaves the old file and no temporary
 *    file), devices, FIFOs, symbolic links, permissions;
 *  - quantize --ptq none reproduces llama-quantize's TQ2_0 and TQ1_0 files
 *    byte for byte from its F16 file (models/README.md), and bitnet.cpp's
 *    I2_S codes and scales from an F32 copy of models-b158's file (all bytes
 *    but the 28 leftover bytes after each I2_S scale);
 *  - --ptq absmean writes tlpu_quantize_weights' trits and scale, and the
 *    reported (and printed) errors equal an independent computation;
 *  - the metadata rules (file_type, quantization_version, split keys), the
 *    input types, and every bad input, none of which leaves an output.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_util.h"
#include "tlpu/fp.h"
#include "tlpu/gguf.h"
#include "tlpu/gguf_write.h"
#include "tlpu/pack.h"
#include "tlpu/quant.h"
#include "tlpu/quantize_model.h"
#include "tlpu/rng.h"

#define ERRLEN 1024
#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ---- files and directories ----------------------------------------------------- */

static char g_dir[512];

static void rm_rf(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return;
    if (S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(path);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d)) != NULL) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                    continue;
                char sub[1024];
                snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
                rm_rf(sub);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

static void dir_setup(void)
{
    const char *t = getenv("TMPDIR");
    snprintf(g_dir, sizeof g_dir, "%s/tlpu-quantize-XXXXXX", t && *t ? t : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(g_dir));
}

static void dir_teardown(void) { rm_rf(g_dir); }

/* A path in the test's directory (one of 16 rotating buffers). */
static const char *tpath(const char *name)
{
    static char buf[16][1024];
    static int k;
    k = (k + 1) % 16;
    snprintf(buf[k], sizeof buf[k], "%s/%s", g_dir, name);
    return buf[k];
}

static const char *dpath(const char *rel)
{
    static char buf[4][1024];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", TLPU_TEST_DATA_DIR, rel);
    return buf[k];
}

/* Entries of the test directory; *tmp set when one is a writer's temporary file. */
static int dir_count(int *tmp)
{
    DIR *d = opendir(g_dir);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    *tmp = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        n++;
        if (strstr(e->d_name, ".tmp"))
            *tmp = 1;
    }
    closedir(d);
    return n;
}

static uint8_t *read_path(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)len + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(fread(buf, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *size = (size_t)len;
    return buf;
}

static void write_raw(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(p, 1, n, f), n);
    ck_assert_int_eq(fclose(f), 0);
}

static int exists(const char *path)
{
    struct stat sb;
    return lstat(path, &sb) == 0;
}

static tlpu_gguf *open_path(const char *path)
{
    char err[ERRLEN];
    tlpu_gguf *g = NULL;
    tlpu_status st = tlpu_gguf_open(path, &g, err, sizeof err);
    ck_assert_msg(st == TLPU_OK, "%s: %s (%s)", path, tlpu_status_name(st), err);
    return g;
}

static void write_ok(tlpu_gguf_writer *w, const char *path)
{
    char err[ERRLEN];
    int created = -1;
    tlpu_status st = tlpu_gguf_writer_write(w, path, &created, err, sizeof err);
    ck_assert_msg(st == TLPU_OK, "%s: %s (%s)", path, tlpu_status_name(st), err);
    ck_assert_str_eq(err, "");
    ck_assert_int_eq(created, 1);
}

static uint32_t f32_bits(float f)
{
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    return b;
}

/* ---- the writer: every type, read back ----------------------------------------------- */

/* One metadata entry as the test set it. */
typedef struct exp_kv {
    const char *key;
    tlpu_gguf_vtype type, elem;
    uint64_t count;
    const void *data;        /* numeric/bool: count elements, little-endian */
    const char *const *strs; /* strings */
    const size_t *lens;
} exp_kv;

static size_t vt_size(tlpu_gguf_vtype t)
{
    static const size_t s[] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
    return s[t];
}

/* Bytes of an entry in the file. */
static size_t kv_bytes(const exp_kv *e)
{
    size_t n = 8 + strlen(e->key) + 4;
    if (e->type == TLPU_GGUF_ARR)
        n += 12;
    if (e->elem == TLPU_GGUF_STR)
        for (uint64_t i = 0; i < e->count; i++)
            n += 8 + e->lens[i];
    else
        n += (size_t)e->count * vt_size(e->elem);
    return n;
}

static void check_kv(const tlpu_gguf *g, size_t ix, const exp_kv *e)
{
    tlpu_gguf_kv kv;
    ck_assert_int_eq(tlpu_gguf_kv_info(g, ix, &kv), TLPU_OK);
    ck_assert_str_eq(kv.key, e->key);
    ck_assert_int_eq(kv.type, e->type);
    ck_assert_int_eq(kv.elem_type, e->elem);
    ck_assert_uint_eq(kv.count, e->count);
    if (e->elem == TLPU_GGUF_STR) {
        for (uint64_t i = 0; i < e->count; i++) {
            const char *s;
            size_t len;
            ck_assert_int_eq(tlpu_gguf_kv_str(g, ix, i, &s, &len), TLPU_OK);
            ck_assert_uint_eq(len, e->lens[i]);
            ck_assert(len == 0 || memcmp(s, e->strs[i], len) == 0);
        }
    } else {
        const void *data;
        size_t es;
        ck_assert_int_eq(tlpu_gguf_kv_data(g, ix, &data, &es), TLPU_OK);
        ck_assert_uint_eq(es, vt_size(e->elem));
        ck_assert(e->count == 0 || memcmp(data, e->data, (size_t)e->count * es) == 0);
    }
}

/* A scalar entry through its typed setter. */
static tlpu_status set_typed(tlpu_gguf_writer *w, const exp_kv *x)
{
    const void *d = x->data;
    const char *k = x->key;
    switch (x->type) {
    case TLPU_GGUF_U8: return tlpu_gguf_writer_set_u8(w, k, *(const uint8_t *)d);
    case TLPU_GGUF_I8: return tlpu_gguf_writer_set_i8(w, k, *(const int8_t *)d);
    case TLPU_GGUF_U16: return tlpu_gguf_writer_set_u16(w, k, *(const uint16_t *)d);
    case TLPU_GGUF_I16: return tlpu_gguf_writer_set_i16(w, k, *(const int16_t *)d);
    case TLPU_GGUF_U32: return tlpu_gguf_writer_set_u32(w, k, *(const uint32_t *)d);
    case TLPU_GGUF_I32: return tlpu_gguf_writer_set_i32(w, k, *(const int32_t *)d);
    case TLPU_GGUF_F32: return tlpu_gguf_writer_set_f32(w, k, *(const float *)d);
    case TLPU_GGUF_BOOL: return tlpu_gguf_writer_set_bool(w, k, *(const uint8_t *)d);
    case TLPU_GGUF_U64: return tlpu_gguf_writer_set_u64(w, k, *(const uint64_t *)d);
    case TLPU_GGUF_I64: return tlpu_gguf_writer_set_i64(w, k, *(const int64_t *)d);
    case TLPU_GGUF_F64: return tlpu_gguf_writer_set_f64(w, k, *(const double *)d);
    case TLPU_GGUF_STR: return tlpu_gguf_writer_set_str(w, k, x->strs[0], x->lens[0]);
    default: return TLPU_ERR_INVALID_ARG;
    }
}

/* One tensor as the test added it. */
typedef struct exp_ti {
    const char *name;
    uint32_t n_dims;
    uint64_t ne[4];
    uint32_t type;
    uint8_t *data;
    size_t size;
} exp_ti;

static uint8_t *random_bytes(tlpu_rng *r, size_t n)
{
    uint8_t *p = malloc(n ? n : 1);
    ck_assert_ptr_nonnull(p);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)tlpu_rng_next(r);
    return p;
}

static float *random_floats(tlpu_rng *r, size_t n, float scale)
{
    float *x = malloc(n * sizeof *x);
    ck_assert_ptr_nonnull(x);
    for (size_t i = 0; i < n; i++)
        x[i] = scale * tlpu_rng_gauss(r);
    return x;
}

/* Quantized bytes of n random weights in a ternary type. */
static uint8_t *random_ternary(tlpu_rng *r, uint32_t type, size_t n, size_t *size)
{
    float *x = random_floats(r, n, 0.1f);
    *size = type == TLPU_GGUF_TYPE_TQ1_0   ? tlpu_tq1_size(n)
            : type == TLPU_GGUF_TYPE_TQ2_0 ? tlpu_tq2_size(n)
                                           : tlpu_i2s_size(n);
    uint8_t *q = malloc(*size);
    ck_assert_ptr_nonnull(q);
    tlpu_status st = type == TLPU_GGUF_TYPE_TQ1_0   ? tlpu_tq1_quantize(x, n, q, *size)
                     : type == TLPU_GGUF_TYPE_TQ2_0 ? tlpu_tq2_quantize(x, n, q, *size)
                                                    : tlpu_i2s_quantize(x, n, q, *size);
    ck_assert_int_eq(st, TLPU_OK);
    free(x);
    return q;
}

/* Alignment variants: no key (32), u32 64, u64 1, i32 4096. */
static const size_t k_aligns[] = {32, 64, 1, 4096};

START_TEST(writer_every_type_round_trip)
{
    const size_t align = k_aligns[_i];
    tlpu_rng r = tlpu_rng_seed(0x9e3779b97f4a7c15ull + (uint64_t)_i);
    tlpu_gguf_writer *w;
    ck_assert_int_eq(tlpu_gguf_writer_new(&w), TLPU_OK);

    /* scalars */
    static const uint8_t v_u8 = 200;
    static const int8_t v_i8 = -100;
    static const uint16_t v_u16 = 60000;
    static const int16_t v_i16 = -30000;
    static const uint32_t v_u32 = 4000000000u;
    static const int32_t v_i32 = -2000000000;
    static const uint8_t v_true = 1, v_false = 0;
    static const uint64_t v_u64 = 0x8000000000000005ull;
    static const int64_t v_i64 = INT64_MIN;
    float v_f32 = -1.5e-7f, v_nan;
    uint32_t nan_bits = 0x7fc12345u;
    memcpy(&v_nan, &nan_bits, sizeof v_nan);
    double v_f64 = -0.0, v_pi = 3.141592653589793;
    static const char bin[] = {'a', '\0', 'b', (char)0xff, '\n'};
    const char *str_hello = "hello, w\xc3\xb6rld";
    /* arrays of every numeric type, empty ones, bools, strings */
    uint8_t a_u8[5] = {0, 1, 127, 128, 255};
    int8_t a_i8[5] = {-128, -1, 0, 1, 127};
    uint16_t a_u16[5] = {0, 1, 0x7fff, 0x8000, 0xffff};
    int16_t a_i16[5] = {INT16_MIN, -1, 0, 1, INT16_MAX};
    uint32_t a_u32[5] = {0, 1, 0x7fffffffu, 0x80000000u, 0xffffffffu};
    int32_t a_i32[5] = {INT32_MIN, -1, 0, 1, INT32_MAX};
    float a_f32[5] = {0.0f, -0.0f, 1.0f / 3.0f, 3.4e38f, -1e-45f};
    uint8_t a_bool[3] = {1, 0, 1};
    uint64_t a_u64[5] = {0, 1, 0x7fffffffffffffffull, 0x8000000000000000ull, UINT64_MAX};
    int64_t a_i64[5] = {INT64_MIN, -1, 0, 1, INT64_MAX};
    double a_f64[5] = {0.0, -0.0, 1.0 / 3.0, 1.7e308, -5e-324};
    char *longs = malloc(100000);
    ck_assert_ptr_nonnull(longs);
    for (size_t i = 0; i < 100000; i++)
        longs[i] = (char)('a' + i % 26);
    const char *a_str[5] = {"", "a", bin, longs, "\xe2\x96\x81t"};
    size_t a_str_len[5] = {0, 1, sizeof bin, 100000, 4};
    /* a big string array of odd lengths */
    enum { NBIG = 20011 };
    const char **big_strs = malloc(NBIG * sizeof *big_strs);
    size_t *big_lens = malloc(NBIG * sizeof *big_lens);
    ck_assert(big_strs && big_lens);
    for (size_t i = 0; i < NBIG; i++) {
        big_strs[i] = longs + i % 1000;
        big_lens[i] = i % 37;
    }
    size_t hello_len = strlen(str_hello);
    size_t bin_len = sizeof bin, zero_len = 0;
    const char *str_bin[1] = {bin}, *str_h[1] = {str_hello}, *str_e[1] = {""},
               *str_arch[1] = {"bitnet"};
    size_t arch_len = 6;

    exp_kv e[48];
    int n = 0;
#define SCALAR(k, t, p) (e[n++] = (exp_kv){k, t, t, 1, p, NULL, NULL})
#define ARR(k, t, p, c) (e[n++] = (exp_kv){k, TLPU_GGUF_ARR, t, c, p, NULL, NULL})
    e[n++] = (exp_kv){"general.architecture", TLPU_GGUF_STR, TLPU_GGUF_STR, 1, NULL, str_arch,
                      &arch_len};
    SCALAR("t.u8", TLPU_GGUF_U8, &v_u8);
    SCALAR("t.i8", TLPU_GGUF_I8, &v_i8);
    SCALAR("t.u16", TLPU_GGUF_U16, &v_u16);
    SCALAR("t.i16", TLPU_GGUF_I16, &v_i16);
    SCALAR("t.u32", TLPU_GGUF_U32, &v_u32);
    SCALAR("t.i32", TLPU_GGUF_I32, &v_i32);
    SCALAR("t.f32", TLPU_GGUF_F32, &v_f32);
    SCALAR("t.f32_nan", TLPU_GGUF_F32, &v_nan);
    SCALAR("t.bool_true", TLPU_GGUF_BOOL, &v_true);
    SCALAR("t.bool_false", TLPU_GGUF_BOOL, &v_false);
    SCALAR("t.u64", TLPU_GGUF_U64, &v_u64);
    SCALAR("t.i64", TLPU_GGUF_I64, &v_i64);
    SCALAR("t.f64", TLPU_GGUF_F64, &v_f64);
    SCALAR("t.f64_pi", TLPU_GGUF_F64, &v_pi);
    e[n++] = (exp_kv){"t.str", TLPU_GGUF_STR, TLPU_GGUF_STR, 1, NULL, str_h, &hello_len};
    e[n++] = (exp_kv){"t.str_bin", TLPU_GGUF_STR, TLPU_GGUF_STR, 1, NULL, str_bin, &bin_len};
    e[n++] = (exp_kv){"t.str_empty", TLPU_GGUF_STR, TLPU_GGUF_STR, 1, NULL, str_e, &zero_len};
    ARR("a.u8", TLPU_GGUF_U8, a_u8, 5);
    ARR("a.i8", TLPU_GGUF_I8, a_i8, 5);
    ARR("a.u16", TLPU_GGUF_U16, a_u16, 5);
    ARR("a.i16", TLPU_GGUF_I16, a_i16, 5);
    ARR("a.u32", TLPU_GGUF_U32, a_u32, 5);
    ARR("a.i32", TLPU_GGUF_I32, a_i32, 5);
    ARR("a.f32", TLPU_GGUF_F32, a_f32, 5);
    ARR("a.bool", TLPU_GGUF_BOOL, a_bool, 3);
    ARR("a.u64", TLPU_GGUF_U64, a_u64, 5);
    ARR("a.i64", TLPU_GGUF_I64, a_i64, 5);
    ARR("a.f64", TLPU_GGUF_F64, a_f64, 5);
    e[n++] = (exp_kv){"a.str", TLPU_GGUF_ARR, TLPU_GGUF_STR, 5, NULL, a_str, a_str_len};
    e[n++] = (exp_kv){"a.str_big", TLPU_GGUF_ARR, TLPU_GGUF_STR, NBIG, NULL, big_strs, big_lens};
    static const tlpu_gguf_vtype empties[] = {
        TLPU_GGUF_U8,  TLPU_GGUF_I8,   TLPU_GGUF_U16, TLPU_GGUF_I16, TLPU_GGUF_U32,
        TLPU_GGUF_I32, TLPU_GGUF_F32,  TLPU_GGUF_BOOL, TLPU_GGUF_U64, TLPU_GGUF_I64,
        TLPU_GGUF_F64, TLPU_GGUF_STR};
    static const char *const empty_keys[] = {"e.u8",  "e.i8",   "e.u16", "e.i16",
                                             "e.u32", "e.i32",  "e.f32", "e.bool",
                                             "e.u64", "e.i64",  "e.f64", "e.str"};
    for (int k = 0; k < COUNT(empties); k++)
        e[n++] = (exp_kv){empty_keys[k], TLPU_GGUF_ARR, empties[k], 0, NULL, NULL, NULL};
    uint32_t al32 = 64;
    uint64_t al64 = 1;
    int32_t ali32 = 4096;
    if (_i == 1)
        SCALAR("general.alignment", TLPU_GGUF_U32, &al32);
    else if (_i == 2)
        SCALAR("general.alignment", TLPU_GGUF_U64, &al64);
    else if (_i == 3)
        SCALAR("general.alignment", TLPU_GGUF_I32, &ali32);
#undef SCALAR
#undef ARR
    ck_assert_int_le(n, COUNT(e));

    /* set them through the typed setters */
    for (int k = 0; k < n; k++) {
        const exp_kv *x = &e[k];
        tlpu_status st = TLPU_ERR_INVALID_ARG;
        if (x->type == TLPU_GGUF_ARR && x->elem == TLPU_GGUF_STR)
            st = tlpu_gguf_writer_set_arr_str(w, x->key, x->strs, x->lens, x->count);
        else if (x->type == TLPU_GGUF_ARR)
            st = tlpu_gguf_writer_set_arr(w, x->key, x->elem, x->data, x->count);
        else
            st = set_typed(w, x);
        ck_assert_msg(st == TLPU_OK, "%s: %s (%s)", x->key, tlpu_status_name(st),
                      tlpu_gguf_writer_error(w));
    }
    ck_assert_uint_eq(tlpu_gguf_writer_kv_count(w), (size_t)n);

    /* tensors: every type, 0..4 dims, odd sizes and a big one */
    exp_ti t[] = {
        {"t.f32_3x5", 2, {3, 5, 1, 1}, TLPU_GGUF_TYPE_F32, NULL, 60},
        {"t.f16_7", 1, {7, 1, 1, 1}, TLPU_GGUF_TYPE_F16, NULL, 14},
        {"t.bf16_4d", 4, {2, 3, 1, 5}, TLPU_GGUF_TYPE_BF16, NULL, 60},
        {"t.scalar", 0, {1, 1, 1, 1}, TLPU_GGUF_TYPE_F32, NULL, 4},
        {"t.tq1_0", 2, {256, 3, 1, 1}, TLPU_GGUF_TYPE_TQ1_0, NULL, 0},
        {"t.tq2_0", 3, {512, 1, 2, 1}, TLPU_GGUF_TYPE_TQ2_0, NULL, 0},
        {"t.i2_s", 2, {128, 3, 1, 1}, TLPU_GGUF_TYPE_I2_S, NULL, 0},
        {"t.big_odd", 1, {1000003, 1, 1, 1}, TLPU_GGUF_TYPE_F32, NULL, 4000012},
        {"", 1, {1, 1, 1, 1}, TLPU_GGUF_TYPE_F16, NULL, 2}, /* an empty name is valid GGUF */
    };
    for (int k = 0; k < COUNT(t); k++) {
        size_t nel = (size_t)(t[k].ne[0] * t[k].ne[1] * t[k].ne[2] * t[k].ne[3]);
        if (t[k].size)
            t[k].data = random_bytes(&r, t[k].size);
        else
            t[k].data = random_ternary(&r, t[k].type, nel, &t[k].size);
        /* keep f16/bf16 bytes arbitrary: the writer does not interpret them */
        tlpu_status st = k % 2 ? tlpu_gguf_writer_add_tensor(w, t[k].name, t[k].n_dims, t[k].ne,
                                                            t[k].type, t[k].data, t[k].size)
                               : tlpu_gguf_writer_add_tensor_ref(w, t[k].name, t[k].n_dims,
                                                                 t[k].ne, t[k].type, t[k].data,
                                                                 t[k].size);
        ck_assert_msg(st == TLPU_OK, "%s: %s", t[k].name, tlpu_gguf_writer_error(w));
    }
    ck_assert_uint_eq(tlpu_gguf_writer_tensor_count(w), (size_t)COUNT(t));

    /* the layout, computed here independently */
    size_t header = 24;
    for (int k = 0; k < n; k++)
        header += kv_bytes(&e[k]);
    for (int k = 0; k < COUNT(t); k++)
        header += 8 + strlen(t[k].name) + 4 + 8 * t[k].n_dims + 4 + 8;
    size_t data_offset = (header + align - 1) / align * align, fsize = data_offset;
    size_t offs[COUNT(t)];
    for (int k = 0; k < COUNT(t); k++) {
        offs[k] = fsize - data_offset;
        fsize += (t[k].size + align - 1) / align * align;
    }
    size_t la;
    uint64_t ldo, lfs;
    ck_assert_int_eq(tlpu_gguf_writer_layout(w, &la, &ldo, &lfs), TLPU_OK);
    ck_assert_uint_eq(la, align);
    ck_assert_uint_eq(ldo, data_offset);
    ck_assert_uint_eq(lfs, fsize);

    const char *path = tpath("every.gguf");
    write_ok(w, path);
    tlpu_gguf_writer_free(w);

    /* read back: every field */
    tlpu_gguf *g = open_path(path);
    ck_assert_uint_eq(tlpu_gguf_version(g), 3);
    ck_assert_uint_eq(tlpu_gguf_alignment(g), align);
    ck_assert_uint_eq(tlpu_gguf_data_offset(g), data_offset);
    ck_assert_uint_eq(tlpu_gguf_file_size(g), fsize);
    ck_assert_str_eq(tlpu_gguf_architecture(g), "bitnet");
    ck_assert_uint_eq(tlpu_gguf_kv_count(g), (size_t)n);
    for (int k = 0; k < n; k++)
        check_kv(g, (size_t)k, &e[k]);
    float f;
    ck_assert_int_eq(tlpu_gguf_get_f32(g, "t.f32_nan", &f), TLPU_OK);
    ck_assert_uint_eq(f32_bits(f), nan_bits);
    int64_t i64;
    ck_assert_int_eq(tlpu_gguf_get_i64(g, "t.i64", &i64), TLPU_OK);
    ck_assert(i64 == INT64_MIN);
    ck_assert_uint_eq(tlpu_gguf_tensor_count(g), (size_t)COUNT(t));
    size_t fsz;
    uint8_t *bytes = read_path(path, &fsz);
    ck_assert_uint_eq(fsz, fsize);
    for (size_t b = header; b < data_offset; b++)
        ck_assert_msg(bytes[b] == 0, "header padding byte %zu", b);
    for (int k = 0; k < COUNT(t); k++) {
        tlpu_gguf_tensor ti;
        ck_assert_int_eq(tlpu_gguf_tensor_info(g, (size_t)k, &ti), TLPU_OK);
        ck_assert_str_eq(ti.name, t[k].name);
        ck_assert_uint_eq(ti.n_dims, t[k].n_dims);
        for (int d = 0; d < 4; d++)
            ck_assert_uint_eq(ti.ne[d], t[k].ne[d]);
        ck_assert_uint_eq(ti.type, t[k].type);
        ck_assert_int_eq(ti.known, 1);
        ck_assert_uint_eq(ti.offset, offs[k]);
        ck_assert_uint_eq(ti.offset % align, 0);
        ck_assert_uint_eq(ti.size, t[k].size);
        ck_assert_mem_eq(ti.data, t[k].data, t[k].size);
        size_t end = ti.file_offset + ti.size, next = (end + align - 1) / align * align;
        for (size_t b = end; b < next; b++)
            ck_assert_msg(bytes[b] == 0, "tensor %d padding byte %zu", k, b);
        free(t[k].data);
    }
    free(bytes);
    tlpu_gguf_close(g);
    free(big_strs);
    free(big_lens);
    free(longs);
}
END_TEST

/* ---- the writer: copies of the shared files -------------------------------------------- */

static const char *const k_shared[] = {
    "vectors/tiny.gguf",                 /* ggml's gguf writer */
    "models/tiny-bitnet-f16.gguf",       /* llama-quantize */
    "models/tiny-bitnet-tq2_0.gguf",
    "models/tiny-bitnet-tq1_0.gguf",
    "models-b158/tiny-b158-i2_s.gguf",   /* bitnet.cpp's llama-quantize */
    "models-b158/vocab-llama-bpe.gguf",  /* gguf-py, no tensors */
};

/* Marks the 28 bytes after each I2_S tensor's scale: leftovers in bitnet.cpp's files. */
static uint8_t *i2s_padding_mask(const tlpu_gguf *g, size_t size, size_t *marked)
{
    uint8_t *mask = calloc(size, 1);
    ck_assert_ptr_nonnull(mask);
    *marked = 0;
    for (size_t i = 0; i < tlpu_gguf_tensor_count(g); i++) {
        tlpu_gguf_tensor t;
        tlpu_gguf_tensor_info(g, i, &t);
        if (t.type != TLPU_GGUF_TYPE_I2_S)
            continue;
        size_t from = t.file_offset + (size_t)t.nelem / 4 + 4;
        ck_assert_uint_eq(t.file_offset + t.size - from, 28);
        memset(mask + from, 1, 28);
        *marked += 28;
    }
    return mask;
}

START_TEST(writer_copies_shared_files_byte_for_byte)
{
    const char *src = dpath(k_shared[_i]);
    tlpu_gguf *g = open_path(src);
    tlpu_gguf_writer *w;
    ck_assert_int_eq(tlpu_gguf_writer_new(&w), TLPU_OK);
    for (size_t i = 0; i < tlpu_gguf_kv_count(g); i++)
        ck_assert_int_eq(tlpu_gguf_writer_copy_kv(w, g, i), TLPU_OK);
    for (size_t i = 0; i < tlpu_gguf_tensor_count(g); i++)
        ck_assert_int_eq(tlpu_gguf_writer_copy_tensor(w, g, i), TLPU_OK);
    const char *path = tpath("copy.gguf");
    write_ok(w, path);
    tlpu_gguf_writer_free(w);

    size_t na, nb, marked;
    uint8_t *a = read_path(src, &na), *b = read_path(path, &nb);
    ck_assert_uint_eq(nb, na);
    for (size_t k = 0; k < na; k++)
        ck_assert_msg(a[k] == b[k], "%s: byte %zu differs: 0x%02x, copy 0x%02x", k_shared[_i],
                      k, a[k], b[k]);
    /* the I2_S tails are copied as they are too, leftovers included */
    uint8_t *mask = i2s_padding_mask(g, na, &marked);
    size_t leftovers = 0;
    for (size_t k = 0; k < na; k++)
        leftovers += mask[k] && a[k] != 0;
    if (strstr(k_shared[_i], "tiny-b158")) {
        ck_assert_uint_eq(marked, 14 * 28);
        ck_assert_uint_gt(leftovers, 0);
    } else {
        ck_assert_uint_eq(marked, 0);
    }
    tlpu_gguf *c = open_path(path); /* and it reads back */
    ck_assert_uint_eq(tlpu_gguf_kv_count(c), tlpu_gguf_kv_count(g));
    ck_assert_uint_eq(tlpu_gguf_tensor_count(c), tlpu_gguf_tensor_count(g));
    tlpu_gguf_close(c);
    free(mask);
    free(a);
    free(b);
    tlpu_gguf_close(g);
}
END_TEST

/* ---- the writer: key order ----------------------------------------------------------- */

static void assert_keys(const char *path, const char *const *keys, int n)
{
    tlpu_gguf *g = open_path(path);
    ck_assert_uint_eq(tlpu_gguf_kv_count(g), (size_t)n);
    for (int i = 0; i < n; i++) {
        tlpu_gguf_kv kv;
        tlpu_gguf_kv_info(g, (size_t)i, &kv);
        ck_assert_str_eq(kv.key, keys[i]);
    }
    tlpu_gguf_close(g);
}

START_TEST(writer_set_replace_remove_order)
{
    tlpu_gguf_writer *w;
    ck_assert_int_eq(tlpu_gguf_writer_new(&w), TLPU_OK);
    ck_assert_int_eq(tlpu_gguf_writer_set_u32(w, "a", 1), TLPU_OK);
    ck_assert_int_eq(tlpu_gguf_writer_set_str(w, "b", "x", 1), TLPU_OK);
    ck_assert_int_eq(tlpu_gguf_writer_set_u32(w, "c", 3), TLPU_OK);
    /* replacing keeps the position, with the new type */
    ck_assert_int_eq(tlpu_gguf_writer_set_f64(w, "a", 2.5), TLPU_OK);
    size_t ix;
    ck_assert_int_eq(tlpu_gguf_writer_find_key(w, "a", &ix), TLPU_OK);
    ck_assert_uint_eq(ix, 0);
    ck_assert_int_eq(tlpu_gguf_writer_find_key(w, "zz", &ix), TLPU_ERR_INVALID_ARG);
    /* remove + set moves to the end */
    ck_assert_int_eq(tlpu_gguf_writer_remove_key(w, "b"), TLPU_OK);
    ck_assert_int_eq(tlpu_gguf_writer_remove_key(w, "b"), TLPU_ERR_INVALID_ARG);
    ck_assert_str_eq(tlpu_gguf_writer_error(w), "remove_key: no key 'b'");
    ck_assert_int_eq(tlpu_gguf_writer_set_str(w, "b", "yz", 2), TLPU_OK);
    const char *p1 = tpath("order1.gguf");
    write_ok(w, p1);
    static const char *const order1[] = {"a", "c", "b"};
    assert_keys(p1, order1, 3);
    tlpu_gguf *g = open_path(p1);
    double d;
    ck_assert_int_eq(tlpu_gguf_kv_float(g, 0, 0, &d), TLPU_OK);
    ck_assert(d == 2.5);
    /* copying an entry the writer has replaces it in place; a new one is appended */
    tlpu_gguf_writer *w2;
    ck_assert_int_eq(tlpu_gguf_writer_new(&w2), TLPU_OK);
    ck_assert_int_eq(tlpu_gguf_writer_set_u8(w2, "b", 9), TLPU_OK);
    ck_assert_int_eq(tlpu_gguf_writer_set_u8(w2, "z", 9), TLPU_OK);
    for (size_t i = 0; i < tlpu_gguf_kv_count(g); i++)
        ck_assert_int_eq(tlpu_gguf_writer_copy_kv(w2, g, i), TLPU_OK);
    const char *p2 = tpath("order2.gguf");
    write_ok(w2, p2);
    static const char *const order2[] = {"b", "z", "a", "c"};
    assert_keys(p2, order2, 4);
    tlpu_gguf *g2 = open_path(p2);
    const char *s;
    size_t len;
    ck_assert_int_eq(tlpu_gguf_get_str(g2, "b", &s, &len), TLPU_OK);
    ck_assert_uint_eq(len, 2);
    ck_assert_mem_eq(s, "yz", 2);
    tlpu_gguf_close(g2);
    tlpu_gguf_close(g);
    tlpu_gguf_writer_free(w2);
    tlpu_gguf_writer_free(w);
}
END_TEST

/* ---- the writer: errors --------------------------------------------------------------- */

/* A failed call: its status, a message containing `msg`, the writer unchanged. */
#define FAILS(w, call, want, msg)                                                            \
    do {                                                                                     \
        size_t nkv_ = tlpu_gguf_writer_kv_count(w), nti_ = tlpu_gguf_writer_tensor_count(w); \
        tlpu_status st_ = (call);                                                            \
        ck_assert_msg(st_ == (want), "%s: %s, want %s", #call, tlpu_status_name(st_),        \
                      tlpu_status_name(want));                                               \
        ck_assert_msg(strstr(tlpu_gguf_writer_error(w), (msg)) != NULL,                      \
                      "%s: message '%s' lacks '%s'", #call, tlpu_gguf_writer_error(w), (msg)); \
        ck_assert_uint_eq(tlpu_gguf_writer_kv_count(w), nkv_);                               \
        ck_assert_uint_eq(tlpu_gguf_writer_tensor_count(w), nti_);                           \
    } while (0)

START_TEST(writer_errors)
{
    tlpu_gguf_writer *w;
    ck_assert_int_eq(tlpu_gguf_writer_new(NULL), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_gguf_writer_new(&w), TLPU_OK);
    ck_assert_int_eq(tlpu_gguf_writer_set_u32(NULL, "k", 1), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_gguf_writer_add_tensor(NULL, "t", 0, NULL, 0, "", 4),
                     TLPU_ERR_INVALID_ARG);
    char err[ERRLEN];
    ck_assert_int_eq(tlpu_gguf_writer_write(NULL, "x", NULL, err, sizeof err),
                     TLPU_ERR_INVALID_ARG);
    ck_assert_str_eq(tlpu_gguf_writer_error(NULL), "NULL writer");
    tlpu_gguf_writer_free(NULL);

    FAILS(w, tlpu_gguf_writer_set_u32(w, NULL, 1), TLPU_ERR_INVALID_ARG, "NULL key");
    FAILS(w, tlpu_gguf_writer_set_str(w, "s", NULL, 3), TLPU_ERR_INVALID_ARG, "NULL string");
    FAILS(w, tlpu_gguf_writer_set_arr(w, "a", TLPU_GGUF_STR, "x", 1), TLPU_ERR_INVALID_ARG,
          "not a numeric or bool type");
    FAILS(w, tlpu_gguf_writer_set_arr(w, "a", TLPU_GGUF_ARR, "x", 1), TLPU_ERR_INVALID_ARG,
          "not a numeric or bool type");
    FAILS(w, tlpu_gguf_writer_set_arr(w, "a", (tlpu_gguf_vtype)13, "x", 1),
          TLPU_ERR_INVALID_ARG, "element type 13");
    FAILS(w, tlpu_gguf_writer_set_arr(w, "a", TLPU_GGUF_U32, NULL, 2), TLPU_ERR_INVALID_ARG,
          "NULL data");
    FAILS(w, tlpu_gguf_writer_set_arr(w, "a", TLPU_GGUF_U64, "x", UINT64_MAX / 4),
          TLPU_ERR_OVERFLOW, "take more than");
    static const uint8_t bad_bools[] = {0, 1, 2};
    FAILS(w, tlpu_gguf_writer_set_arr(w, "a", TLPU_GGUF_BOOL, bad_bools, 3), TLPU_ERR_RANGE,
          "bool element 2 is 2, not 0 or 1");
    const char *strs[] = {"a", NULL};
    FAILS(w, tlpu_gguf_writer_set_arr_str(w, "a", strs, NULL, 2), TLPU_ERR_INVALID_ARG,
          "string 1 is NULL");
    FAILS(w, tlpu_gguf_writer_copy_kv(w, NULL, 0), TLPU_ERR_INVALID_ARG, "NULL file");
    FAILS(w, tlpu_gguf_writer_remove_key(w, NULL), TLPU_ERR_INVALID_ARG, "NULL key");

    float f4[4] = {0};
    uint64_t ne[4] = {4, 1, 1, 1}, ne0[4] = {0, 4, 1, 1};
    ck_assert_int_eq(tlpu_gguf_writer_add_tensor(w, "ok", 1, ne, TLPU_GGUF_TYPE_F32, f4, 16),
                     TLPU_OK);
    FAILS(w, tlpu_gguf_writer_add_tensor(w, "ok", 1, ne, TLPU_GGUF_TYPE_F32, f4, 16),
          TLPU_ERR_INVALID_ARG, "tensor 'ok': the writer already has a tensor of that name");
    FAILS(w, tlpu_gguf_writer_add_tensor(w, NULL, 1, ne, TLPU_GGUF_TYPE_F32, f4, 16),
          TLPU_ERR_INVALID_ARG, "NULL name");
    FAILS(w, tlpu_gguf_writer_add_tensor(w, "t", 1, NULL, TLPU_GGUF_TYPE_F32, f4, 16),
          TLPU_ERR_INVALID_ARG, "tensor 't': NULL dims");
    FAILS(w, tlpu_gguf_writer_add_tensor(w, "t", 1, ne, TLPU_GGUF_TYPE_F32, NULL, 16),
          TLPU_ERR_INVALID_ARG, "tensor 't': NULL data");
    FAILS(w, tlpu_gguf_writer_add_tensor(w, "t", 5, ne, TLPU_GGUF_TYPE_F32, f4, 16),
          TLPU_ERR_SHAPE, "n_dims 5 is more than 4");
    FAILS(w, tlpu_gguf_writer_add_tensor(w, "t", 2, ne0, TLPU_GGUF_TYPE_F32, f4, 16),
          TLPU_ERR_SHAPE, "tensor 't': dimension 0 is 0");
    uint64_t huge[4] = {1ull << 63, 1, 1, 1}, over[4] = {1ull << 32, 1ull << 32, 1, 1};
    FAILS(w, tlpu_gguf_writer_add_tensor(w, "t", 1, huge, TLPU_GGUF_TYPE_F32, f4, 16),
          TLPU_ERR_OVERFLOW, "more than 2^63-1");
    FAILS(w, tlpu_gguf_writer_add_tensor(w, "t", 2, over, TLPU_GGUF_TYPE_F32, f4, 16),
          TLPU_ERR_OVERFLOW, "the dimensions overflow");
    uint64_t big[4] = {1ull << 62, 1, 1, 1};
    FAILS(w, tlpu_gguf_writer_add_tensor(w, "t", 1, big, TLPU_GGUF_TYPE_F32, f4, 16),
          TLPU_ERR_OVERFLOW, "take more than");
    FAILS(w, tlpu_gguf_writer_add_tensor(w, "t", 1, ne, TLPU_GGUF_TYPE_F32, f4, 15),
          TLPU_ERR_BUFFER_SIZE, "tensor 't': f32 data of 15 bytes, not 16");
    FAILS(w, tlpu_gguf_writer_add_tensor(w, "t", 1, ne, 12, f4, 16), TLPU_ERR_UNSUPPORTED,
          "tensor 't': type 12 is not one tlpu writes");
    uint64_t row100[4] = {100, 2, 1, 1};
    FAILS(w, tlpu_gguf_writer_add_tensor(w, "blk.0.attn_q.weight", 2, row100,
                                         TLPU_GGUF_TYPE_TQ2_0, f4, 16),
          TLPU_ERR_SHAPE, "tensor 'blk.0.attn_q.weight': tq2_0 rows need a multiple of 256 "
                          "elements, ne[0] is 100");
    FAILS(w, tlpu_gguf_writer_add_tensor(w, "t", 2, row100, TLPU_GGUF_TYPE_I2_S, f4, 16),
          TLPU_ERR_SHAPE, "i2_s rows need a multiple of 128");
    FAILS(w, tlpu_gguf_writer_copy_tensor(w, NULL, 0), TLPU_ERR_INVALID_ARG, "NULL file");

    /* whole-file rules, checked by layout and write before anything is created */
    const char *path = tpath("bad.gguf");
    size_t a;
    uint64_t dof, fs;
    FAILS(w, tlpu_gguf_writer_layout(w, NULL, &dof, &fs), TLPU_ERR_INVALID_ARG, "NULL output");
    struct {
        int kind;
        int64_t v;
        const char *msg;
    } bad_align[] = {
        {0, 48, "general.alignment is 48, not a nonzero power of two"},
        {0, 0, "general.alignment is 0, not a nonzero power of two"},
        {1, -32, "general.alignment is negative"},
        {0, 1ll << 31, "general.alignment 2147483648 is more than 1073741824"},
        {2, 0, "general.alignment has type str, not an integer"},
        {3, 0, "general.alignment has type f32, not an integer"},
    };
    for (int k = 0; k < COUNT(bad_align); k++) {
        if (bad_align[k].kind == 0)
            tlpu_gguf_writer_set_u64(w, "general.alignment", (uint64_t)bad_align[k].v);
        else if (bad_align[k].kind == 1)
            tlpu_gguf_writer_set_i32(w, "general.alignment", (int32_t)bad_align[k].v);
        else if (bad_align[k].kind == 2)
            tlpu_gguf_writer_set_str(w, "general.alignment", "32", 2);
        else
            tlpu_gguf_writer_set_f32(w, "general.alignment", 32.0f);
        FAILS(w, tlpu_gguf_writer_layout(w, &a, &dof, &fs), TLPU_ERR_FORMAT, bad_align[k].msg);
        int created = -1;
        FAILS(w, tlpu_gguf_writer_write(w, path, &created, err, sizeof err), TLPU_ERR_FORMAT,
              bad_align[k].msg);
        ck_assert_str_eq(err, tlpu_gguf_writer_error(w));
        ck_assert_int_eq(created, 0);
        ck_assert(!exists(path));
    }
    ck_assert_int_eq(tlpu_gguf_writer_remove_key(w, "general.alignment"), TLPU_OK);
    ck_assert_int_eq(tlpu_gguf_writer_set_u32(w, "general.architecture", 7), TLPU_OK);
    FAILS(w, tlpu_gguf_writer_write(w, path, NULL, NULL, 0), TLPU_ERR_FORMAT,
          "general.architecture has type u32, not str");
    ck_assert_int_eq(tlpu_gguf_writer_set_str(w, "general.architecture", "bit\0net", 7),
                     TLPU_OK);
    FAILS(w, tlpu_gguf_writer_write(w, path, NULL, NULL, 0), TLPU_ERR_FORMAT,
          "general.architecture contains a NUL byte");
    /* an I2_S tensor needs a bitnet architecture or file_type 40 */
    ck_assert_int_eq(tlpu_gguf_writer_set_str(w, "general.architecture", "llama", 5), TLPU_OK);
    uint8_t i2s[128 / 4 + 32] = {0};
    uint64_t ne128[4] = {128, 1, 1, 1};
    ck_assert_int_eq(tlpu_gguf_writer_add_tensor(w, "q", 1, ne128, TLPU_GGUF_TYPE_I2_S, i2s,
                                                 sizeof i2s),
                     TLPU_OK);
    FAILS(w, tlpu_gguf_writer_write(w, path, NULL, NULL, 0), TLPU_ERR_UNSUPPORTED,
          "tensor 'q': i2_s (type 36) needs general.architecture bitnet");
    ck_assert(!exists(path));
    ck_assert_int_eq(tlpu_gguf_writer_set_u32(w, "general.file_type", 40), TLPU_OK);
    FAILS(w, tlpu_gguf_writer_write(w, NULL, NULL, err, sizeof err), TLPU_ERR_INVALID_ARG,
          "NULL path");
    FAILS(w, tlpu_gguf_writer_write(w, "", NULL, err, sizeof err), TLPU_ERR_INVALID_ARG,
          "empty path");
    write_ok(w, path); /* now a valid file */
    tlpu_gguf *g = open_path(path);
    tlpu_gguf_tensor t;
    ck_assert_int_eq(tlpu_gguf_tensor_info(g, 1, &t), TLPU_OK);
    ck_assert_int_eq(t.known, 1);
    /* copy_tensor: an index past the end */
    FAILS(w, tlpu_gguf_writer_copy_tensor(w, g, 99), TLPU_ERR_INVALID_ARG,
          "tensor index past the end");
    FAILS(w, tlpu_gguf_writer_copy_kv(w, g, 99), TLPU_ERR_INVALID_ARG, "entry index past the end");
    tlpu_gguf_close(g);
    tlpu_gguf_writer_free(w);
}
END_TEST

/* copy_tensor of a tensor whose type the reader does not know */
START_TEST(writer_unknown_type_not_copied)
{
    /* a file with a Q4_0 (type 2) tensor: 18 bytes per 32, built by hand */
    uint8_t f[256] = {0};
    size_t o = 0;
#define P4(v) (memcpy(f + o, &(uint32_t){(uint32_t)(v)}, 4), o += 4)
#define P8(v) (memcpy(f + o, &(uint64_t){(uint64_t)(v)}, 8), o += 8)
    memcpy(f, "GGUF", 4);
    o = 4;
    P4(3);
    P8(1);
    P8(0);
    P8(3);
    memcpy(f + o, "q40", 3);
    o += 3;
    P4(1);
    P8(32);
    P4(2);
    P8(0);
#undef P4
#undef P8
    size_t data = (o + 31) / 32 * 32;
    const char *path = tpath("q40.gguf");
    write_raw(path, f, data + 18);
    tlpu_gguf *g = open_path(path);
    tlpu_gguf_writer *w;
    ck_assert_int_eq(tlpu_gguf_writer_new(&w), TLPU_OK);
    FAILS(w, tlpu_gguf_writer_copy_tensor(w, g, 0), TLPU_ERR_UNSUPPORTED,
          "tensor 'q40': type 2 is unknown here");
    tlpu_gguf_writer_free(w);
    tlpu_gguf_close(g);
}
END_TEST

/* ---- the writer: atomic writes, devices, FIFOs, links ----------------------------------- */

/* A writer holding one F32 tensor of n floats (value k at index k). */
static tlpu_gguf_writer *writer_of(size_t n, float k)
{
    tlpu_gguf_writer *w;
    ck_assert_int_eq(tlpu_gguf_writer_new(&w), TLPU_OK);
    ck_assert_int_eq(tlpu_gguf_writer_set_str(w, "general.architecture", "bitnet", 6), TLPU_OK);
    float *x = malloc(n * sizeof *x);
    ck_assert_ptr_nonnull(x);
    for (size_t i = 0; i < n; i++)
        x[i] = k + (float)i;
    uint64_t ne[1] = {n};
    ck_assert_int_eq(tlpu_gguf_writer_add_tensor(w, "x", 1, ne, TLPU_GGUF_TYPE_F32, x,
                                                 n * sizeof *x),
                     TLPU_OK);
    free(x);
    return w;
}

START_TEST(writer_atomic_failed_write_keeps_old_file)
{
    const char *path = tpath("model.gguf");
    tlpu_gguf_writer *old = writer_of(100, 1.0f);
    write_ok(old, path);
    tlpu_gguf_writer_free(old);
    ck_assert_int_eq(chmod(path, 0640), 0);
    size_t n0;
    uint8_t *before = read_path(path, &n0);

    /* a file-size limit makes the write fail half way (EFBIG) */
    struct rlimit saved, lim;
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &saved), 0);
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    lim = saved;
    lim.rlim_cur = 8192;
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    tlpu_gguf_writer *w = writer_of(100000, 7.0f);
    char err[ERRLEN];
    int created = -1;
    tlpu_status st = tlpu_gguf_writer_write(w, path, &created, err, sizeof err);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &saved), 0);
    signal(SIGXFSZ, prev);
    ck_assert_int_eq(st, TLPU_ERR_IO);
    ck_assert_int_eq(created, 1);
    ck_assert_msg(strstr(err, "model.gguf: write failed: File too large"), "%s", err);
    size_t n1;
    uint8_t *after = read_path(path, &n1);
    ck_assert_uint_eq(n1, n0);
    ck_assert_mem_eq(after, before, n0);
    int tmp;
    ck_assert_int_eq(dir_count(&tmp), 1);
    ck_assert_int_eq(tmp, 0);
    free(after);

    /* the same write succeeds without the limit and keeps the file's permissions */
    write_ok(w, path);
    tlpu_gguf *g = open_path(path);
    float x[3];
    tlpu_gguf_tensor t;
    tlpu_gguf_tensor_info(g, 0, &t);
    ck_assert_uint_eq(t.ne[0], 100000);
    memcpy(x, t.data, sizeof x);
    ck_assert(x[0] == 7.0f && x[2] == 9.0f);
    tlpu_gguf_close(g);
    struct stat sb;
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_uint_eq(sb.st_mode & 07777, 0640);
    ck_assert_int_eq(dir_count(&tmp), 1);
    ck_assert_int_eq(tmp, 0);
    tlpu_gguf_writer_free(w);
    free(before);
}
END_TEST

START_TEST(writer_targets)
{
    tlpu_gguf_writer *w = writer_of(1000, 3.0f);
    char err[ERRLEN];
    int created = -1;
    /* a directory that does not exist: nothing created */
    const char *nodir = tpath("no/such/dir/m.gguf");
    ck_assert_int_eq(tlpu_gguf_writer_write(w, nodir, &created, err, sizeof err), TLPU_ERR_IO);
    ck_assert_int_eq(created, 0);
    ck_assert_msg(strstr(err, "m.gguf: cannot create a temporary file beside it: No such file "
                              "or directory"),
                  "%s", err);
    /* a directory */
    ck_assert_int_eq(tlpu_gguf_writer_write(w, g_dir, &created, err, sizeof err), TLPU_ERR_IO);
    ck_assert_int_eq(created, 0);
    ck_assert_msg(strstr(err, ": is a directory"), "%s", err);
    /* devices are written in place */
    ck_assert_int_eq(tlpu_gguf_writer_write(w, "/dev/null", &created, err, sizeof err), TLPU_OK);
    ck_assert_int_eq(created, 1);
    if (access("/dev/full", W_OK) == 0) {
        ck_assert_int_eq(tlpu_gguf_writer_write(w, "/dev/full", &created, err, sizeof err),
                         TLPU_ERR_IO);
        ck_assert_int_eq(created, 1);
        ck_assert_str_eq(err, "/dev/full: write failed: No space left on device");
    }
    /* a symbolic link: the file it names is replaced, the link stays */
    const char *real = tpath("real.gguf"), *link = tpath("link.gguf");
    write_raw(real, "old", 3);
    ck_assert_int_eq(symlink("real.gguf", link), 0);
    write_ok(w, link);
    struct stat sb;
    ck_assert_int_eq(lstat(link, &sb), 0);
    ck_assert(S_ISLNK(sb.st_mode));
    size_t nr, nref;
    uint8_t *r = read_path(real, &nr);
    const char *ref = tpath("ref.gguf");
    write_ok(w, ref);
    uint8_t *e = read_path(ref, &nref);
    ck_assert_uint_eq(nr, nref);
    ck_assert_mem_eq(r, e, nr);
    free(r);
    /* a FIFO is written in place: a child reads it into a file */
    const char *fifo = tpath("fifo"), *got = tpath("from-fifo");
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int in = open(fifo, O_RDONLY), out = open(got, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        char buf[4096];
        ssize_t k;
        while (in >= 0 && out >= 0 && (k = read(in, buf, sizeof buf)) > 0)
            if (write(out, buf, (size_t)k) != k)
                _exit(2);
        _exit(in >= 0 && out >= 0 ? 0 : 1);
    }
    ck_assert_int_eq(tlpu_gguf_writer_write(w, fifo, &created, err, sizeof err), TLPU_OK);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    size_t nf;
    uint8_t *fb = read_path(got, &nf);
    ck_assert_uint_eq(nf, nref);
    ck_assert_mem_eq(fb, e, nf);
    ck_assert_int_eq(lstat(fifo, &sb), 0);
    ck_assert(S_ISFIFO(sb.st_mode));
    free(fb);
    free(e);
    int tmp;
    dir_count(&tmp);
    ck_assert_int_eq(tmp, 0);
    tlpu_gguf_writer_free(w);
}
END_TEST

/* ---- quantize: the same bytes as llama-quantize and bitnet.cpp ------------------------ */

typedef struct rec {
    int n;
    tlpu_quantize_tensor t[64];
    char name[64][64];
    char line[64][512];
} rec;

static void record(const tlpu_quantize_tensor *t, void *user)
{
    rec *r = user;
    ck_assert_int_lt(r->n, 64);
    r->t[r->n] = *t;
    snprintf(r->name[r->n], sizeof r->name[r->n], "%s", t->name);
    r->t[r->n].name = r->name[r->n];
    ck_assert_int_lt(tlpu_quantize_format_tensor(t, r->line[r->n], sizeof r->line[r->n]), 512);
    r->n++;
}

static tlpu_status quantize(const char *in, const char *out, uint32_t type, tlpu_ptq ptq,
                            rec *r, tlpu_quantize_summary *s, char *err)
{
    tlpu_quantize_params p = {.type = type, .ptq = ptq, .on_tensor = r ? record : NULL, .user = r};
    if (r)
        r->n = 0;
    return tlpu_quantize_model(in, out, &p, s, err, ERRLEN);
}

static const uint32_t k_tq[] = {TLPU_GGUF_TYPE_TQ2_0, TLPU_GGUF_TYPE_TQ1_0};

START_TEST(tq_same_bytes_as_llama_quantize)
{
    const uint32_t type = k_tq[_i];
    const char *ref = dpath(type == TLPU_GGUF_TYPE_TQ2_0 ? "models/tiny-bitnet-tq2_0.gguf"
                                                         : "models/tiny-bitnet-tq1_0.gguf");
    const char *out = tpath("tq.gguf");
    static rec r;
    tlpu_quantize_summary s;
    char err[ERRLEN];
    tlpu_status st = quantize(dpath("models/tiny-bitnet-f16.gguf"), out, type, TLPU_PTQ_NONE,
                              &r, &s, err);
    ck_assert_msg(st == TLPU_OK, "%s", err);
    size_t na, nb;
    uint8_t *a = read_path(ref, &na), *b = read_path(out, &nb);
    ck_assert_uint_eq(nb, na);
    for (size_t k = 0; k < na; k++)
        ck_assert_msg(a[k] == b[k], "byte %zu differs: llama-quantize 0x%02x, tlpu 0x%02x", k,
                      a[k], b[k]);
    free(a);
    free(b);
    /* the summary and the per-tensor records */
    ck_assert_uint_eq(s.file_type, type == TLPU_GGUF_TYPE_TQ2_0 ? 37 : 36);
    ck_assert_uint_eq(s.n_tensors, 24);
    ck_assert_uint_eq(s.n_quantized, 14);
    ck_assert_uint_eq(s.n_copied, 10);
    ck_assert_uint_eq(s.n_ternary, 0);
    ck_assert_uint_eq(s.file_bytes_in, 2577760);
    ck_assert_uint_eq(s.file_bytes_out, na);
    ck_assert_uint_eq(s.tensor_bytes_in, 2577760 - 10592);
    ck_assert_uint_eq(s.tensor_bytes_out, na - 10592);
    ck_assert_int_eq(s.write_failed, 0);
    ck_assert_int_eq(r.n, 24);
    for (int i = 0; i < r.n; i++) {
        const tlpu_quantize_tensor *t = &r.t[i];
        ck_assert_uint_eq(t->index, (size_t)i);
        int bl = tlpu_quantize_is_bitlinear(t->name);
        ck_assert_int_eq(t->action, bl ? TLPU_QUANTIZE_QUANTIZED : TLPU_QUANTIZE_COPIED);
        if (!bl) {
            ck_assert_msg(strstr(r.line[i], "copied") != NULL, "%s", r.line[i]);
            continue;
        }
        ck_assert_uint_eq(t->from_type, TLPU_GGUF_TYPE_F16);
        ck_assert_uint_eq(t->to_type, type);
        ck_assert(t->rel_rms == 0.0 && t->max_abs == 0.0); /* lossless: W = trits x f16 d */
        ck_assert(t->ptq_scale == 0.0f);
        ck_assert_uint_eq(t->n_scales, (size_t)(t->ne[0] * t->ne[1] / 256));
        ck_assert(t->scale_min >= 0.04f && t->scale_max <= 0.15f); /* the README's d ranges */
        ck_assert(t->zero_frac > 0.25 && t->zero_frac < 0.37);     /* "about 31%" */
        ck_assert_msg(strstr(r.line[i], "f16 -> ") && strstr(r.line[i], "rel_rms 0.000e+00"),
                      "%s", r.line[i]);
    }
}
END_TEST

/* An F32 copy of the b158 file: its I2_S tensors dequantized, general.file_type 0. */
static void b158_f32_copy(const char *path)
{
    tlpu_gguf *g = open_path(dpath("models-b158/tiny-b158-i2_s.gguf"));
    tlpu_gguf_writer *w;
    ck_assert_int_eq(tlpu_gguf_writer_new(&w), TLPU_OK);
    for (size_t i = 0; i < tlpu_gguf_kv_count(g); i++)
        ck_assert_int_eq(tlpu_gguf_writer_copy_kv(w, g, i), TLPU_OK);
    ck_assert_int_eq(tlpu_gguf_writer_set_u32(w, "general.file_type", 0), TLPU_OK); /* ALL_F32 */
    for (size_t i = 0; i < tlpu_gguf_tensor_count(g); i++) {
        tlpu_gguf_tensor t;
        tlpu_gguf_tensor_info(g, i, &t);
        if (t.type != TLPU_GGUF_TYPE_I2_S) {
            ck_assert_int_eq(tlpu_gguf_writer_copy_tensor(w, g, i), TLPU_OK);
            continue;
        }
        size_t n = (size_t)t.nelem;
        float *x = malloc(n * sizeof *x);
        ck_assert_ptr_nonnull(x);
        ck_assert_int_eq(tlpu_gguf_read_f32(g, i, 0, (size_t)t.nrows, x, n, NULL, 0), TLPU_OK);
        ck_assert_int_eq(tlpu_gguf_writer_add_tensor(w, t.name, t.n_dims, t.ne,
                                                     TLPU_GGUF_TYPE_F32, x, n * sizeof *x),
                         TLPU_OK);
        free(x);
    }
    write_ok(w, path);
    tlpu_gguf_writer_free(w);
    tlpu_gguf_close(g);
}

START_TEST(i2s_same_codes_as_bitnet_cpp)
{
    const char *f32 = tpath("b158-f32.gguf"), *out = tpath("b158-i2s.gguf");
    const char *ref = dpath("models-b158/tiny-b158-i2_s.gguf");
    b158_f32_copy(f32);
    static rec r;
    tlpu_quantize_summary s;
    char err[ERRLEN];
    tlpu_status st = quantize(f32, out, TLPU_GGUF_TYPE_I2_S, TLPU_PTQ_NONE, &r, &s, err);
    ck_assert_msg(st == TLPU_OK, "%s", err);
    ck_assert_uint_eq(s.file_type, 40);
    ck_assert_uint_eq(s.n_quantized, 14);
    ck_assert_uint_eq(s.n_copied, 10);
    /* every byte but the leftovers after each I2_S scale: metadata (file_type 40 in its
     * place, quantization_version kept), tensor order, offsets, codes and scales */
    tlpu_gguf *g = open_path(ref);
    size_t na, nb, marked;
    uint8_t *a = read_path(ref, &na), *b = read_path(out, &nb);
    ck_assert_uint_eq(nb, na);
    uint8_t *mask = i2s_padding_mask(g, na, &marked);
    ck_assert_uint_eq(marked, 14 * 28);
    for (size_t k = 0; k < na; k++) {
        if (mask[k])
            ck_assert_uint_eq(b[k], 0);
        else
            ck_assert_msg(a[k] == b[k], "byte %zu differs: bitnet.cpp 0x%02x, tlpu 0x%02x", k,
                          a[k], b[k]);
    }
    /* the scales are i2s-scales.txt's, and the error is 0 (W = trits x scale exactly) */
    int q = 0;
    for (int i = 0; i < r.n; i++) {
        const tlpu_quantize_tensor *t = &r.t[i];
        if (t->action != TLPU_QUANTIZE_QUANTIZED)
            continue;
        q++;
        ck_assert_uint_eq(t->from_type, TLPU_GGUF_TYPE_F32);
        ck_assert(t->rel_rms == 0.0 && t->max_abs == 0.0);
        ck_assert_uint_eq(t->n_scales, 1);
        size_t ix;
        ck_assert_int_eq(tlpu_gguf_find_tensor(g, t->name, &ix), TLPU_OK);
        float sc;
        tlpu_gguf_tensor ti;
        tlpu_gguf_tensor_info(g, ix, &ti);
        int8_t *trits = malloc((size_t)ti.nelem);
        ck_assert_int_eq(tlpu_gguf_read_trits(g, ix, 0, (size_t)ti.nrows, trits,
                                              (size_t)ti.nelem, &sc, 1, NULL, 0),
                         TLPU_OK);
        ck_assert_uint_eq(f32_bits(t->scale_min), f32_bits(sc));
        free(trits);
    }
    ck_assert_int_eq(q, 14);
    size_t ns;
    char *scales = (char *)read_path(dpath("models-b158/i2s-scales.txt"), &ns);
    scales[ns] = '\0';
    ck_assert_ptr_nonnull(strstr(scales, "blk.0.attn_q.weight 0.088711217045784 3db5ae3a"));
    ck_assert_uint_eq(f32_bits(r.t[2].scale_min), 0x3db5ae3au); /* blk.0.attn_q.weight */
    ck_assert_str_eq(r.t[2].name, "blk.0.attn_q.weight");
    free(scales);
    free(mask);
    free(a);
    free(b);
    tlpu_gguf_close(g);
}
END_TEST

/* ---- quantize: absmean ---------------------------------------------------------------------- */

static const uint32_t k_types[] = {TLPU_GGUF_TYPE_TQ2_0, TLPU_GGUF_TYPE_TQ1_0,
                                   TLPU_GGUF_TYPE_I2_S};

START_TEST(absmean_trits_scales_and_errors)
{
    const uint32_t type = k_types[_i];
    const char *in = dpath("models/tiny-bitnet-f16.gguf"), *out = tpath("abs.gguf");
    static rec r;
    tlpu_quantize_summary s;
    char err[ERRLEN];
    tlpu_status st = quantize(in, out, type, TLPU_PTQ_ABSMEAN, &r, &s, err);
    ck_assert_msg(st == TLPU_OK, "%s", err);
    ck_assert_uint_eq(s.file_type, tlpu_quantize_file_type(type));
    tlpu_gguf *gi = open_path(in), *go = open_path(out);
    ck_assert_uint_eq(tlpu_gguf_tensor_count(go), 24);
    ck_assert_int_eq(r.n, 24);
    for (size_t i = 0; i < 24; i++) {
        tlpu_gguf_tensor ti, to;
        tlpu_gguf_tensor_info(gi, i, &ti);
        tlpu_gguf_tensor_info(go, i, &to);
        ck_assert_str_eq(ti.name, to.name);
        ck_assert_str_eq(r.t[i].name, ti.name);
        if (!tlpu_quantize_is_bitlinear(ti.name)) {
            ck_assert_uint_eq(to.type, ti.type);
            ck_assert_uint_eq(to.size, ti.size);
            ck_assert_mem_eq(to.data, ti.data, ti.size);
            continue;
        }
        ck_assert_uint_eq(to.type, type);
        size_t n = (size_t)ti.nelem, nb = type == TLPU_GGUF_TYPE_I2_S ? 1 : n / 256;
        float *w = malloc(n * sizeof *w), *wq = malloc(n * sizeof *wq), *sc = malloc(nb * 4);
        int8_t *ref = malloc(n), *got = malloc(n);
        ck_assert(w && wq && sc && ref && got);
        ck_assert_int_eq(tlpu_gguf_read_f32(gi, i, 0, (size_t)ti.nrows, w, n, NULL, 0), TLPU_OK);
        float s_ref;
        ck_assert_int_eq(tlpu_quantize_weights(TLPU_DTYPE_F32, w, n, ref, &s_ref), TLPU_OK);
        ck_assert_int_eq(tlpu_gguf_read_trits(go, i, 0, (size_t)to.nrows, got, n, sc, nb, NULL, 0),
                         TLPU_OK);
        ck_assert_mem_eq(got, ref, n);
        ck_assert_uint_eq(f32_bits(r.t[i].ptq_scale), f32_bits(s_ref));
        if (type == TLPU_GGUF_TYPE_I2_S) {
            ck_assert_uint_eq(f32_bits(sc[0]), f32_bits(s_ref)); /* exactly s */
        } else {
            float d = tlpu_f16_to_f32(tlpu_f32_to_f16(s_ref)); /* the block's amax, in fp16 */
            for (size_t b = 0; b < nb; b++) {
                int any = 0;
                for (size_t k = 0; k < 256; k++)
                    any |= ref[256 * b + k] != 0;
                ck_assert_uint_eq(f32_bits(sc[b]), f32_bits(any ? d : 0.0f));
            }
        }
        /* the error, computed here from the reader's dequantization of the written file */
        ck_assert_int_eq(tlpu_gguf_read_f32(go, i, 0, (size_t)to.nrows, wq, n, NULL, 0), TLPU_OK);
        double se = 0, sw = 0, mx = 0;
        size_t zeros = 0;
        for (size_t k = 0; k < n; k++) {
            double e = (double)w[k] - (double)wq[k];
            se += e * e;
            sw += (double)w[k] * w[k];
            mx = fmax(mx, fabs(e));
            zeros += ref[k] == 0;
        }
        double rel = sqrt(se / sw);
        ck_assert_msg(fabs(r.t[i].rel_rms - rel) <= 1e-12 * rel, "%s: %.17g vs %.17g", ti.name,
                      r.t[i].rel_rms, rel);
        ck_assert(r.t[i].max_abs == mx);
        ck_assert(r.t[i].zero_frac == (double)zeros / (double)n);
        ck_assert(rel > 0.2 && rel < 0.6); /* one scale for blocks whose d spans 0.05..0.15 */
        char want[128];
        snprintf(want, sizeof want, "zeros %.1f%%  rel_rms %.3e  max_abs %.3e",
                 100.0 * (double)zeros / (double)n, rel, mx);
        ck_assert_msg(strstr(r.line[i], want) != NULL, "'%s' lacks '%s'", r.line[i], want);
        snprintf(want, sizeof want, "s %.6g ", (double)s_ref);
        ck_assert_msg(strstr(r.line[i], want) != NULL, "'%s' lacks '%s'", r.line[i], want);
        free(w);
        free(wq);
        free(sc);
        free(ref);
        free(got);
    }
    tlpu_gguf_close(gi);
    tlpu_gguf_close(go);
}
END_TEST

/* ---- quantize: small models built here ------------------------------------------------ */

typedef struct small_opts {
    const char *arch;      /* NULL: none */
    uint32_t wtype;        /* the BitLinears' type */
    uint64_t ne0;          /* their row length */
    int file_type_first;   /* put general.file_type (u32 1) right after the architecture */
    int with_qv;           /* general.quantization_version 2 at the end */
    int64_t split_count;   /* > 0: split.no 0, split.count N, split.tensors.count */
    float nan_at;          /* nonzero: blk.0.ffn_up.weight[3] = NaN */
} small_opts;

/* Values t * d, with d f16- and bf16-exact per 256-block (row-major), every block nonzero. */
static float small_value(size_t i, size_t n_tensor)
{
    static const int8_t pat[7] = {1, -1, 0, 1, 0, -1, 1};
    int8_t t = pat[(i * 5 + n_tensor) % 7];
    float d = 0.0625f * (float)(1 + (i / 256 + n_tensor) % 3);
    return (float)t * d;
}

static void write_small(const char *path, const small_opts *o)
{
    static const char *const names[] = {"blk.0.attn_q.weight", "blk.0.attn_k.weight",
                                        "blk.0.ffn_up.weight", "blk.0.ffn_down.weight"};
    tlpu_gguf_writer *w;
    ck_assert_int_eq(tlpu_gguf_writer_new(&w), TLPU_OK);
    if (o->arch)
        ck_assert_int_eq(tlpu_gguf_writer_set_str(w, "general.architecture", o->arch,
                                                  strlen(o->arch)),
                         TLPU_OK);
    if (o->file_type_first)
        ck_assert_int_eq(tlpu_gguf_writer_set_u32(w, "general.file_type", 1), TLPU_OK);
    ck_assert_int_eq(tlpu_gguf_writer_set_str(w, "general.name", "small", 5), TLPU_OK);
    if (o->split_count > 0) {
        tlpu_gguf_writer_set_u16(w, "split.no", 0);
        tlpu_gguf_writer_set_u16(w, "split.count", (uint16_t)o->split_count);
        tlpu_gguf_writer_set_i32(w, "split.tensors.count", 6);
    }
    ck_assert_int_eq(tlpu_gguf_writer_set_u32(w, "x.after", 5), TLPU_OK);
    if (o->with_qv)
        ck_assert_int_eq(tlpu_gguf_writer_set_u32(w, "general.quantization_version", 2),
                         TLPU_OK);
    /* token_embd F16 and a norm F32, copied */
    uint16_t emb[256 * 4];
    for (size_t i = 0; i < 256 * 4; i++)
        emb[i] = tlpu_f32_to_f16(0.01f * (float)((int)(i % 17) - 8));
    uint64_t ne_e[2] = {256, 4};
    ck_assert_int_eq(tlpu_gguf_writer_add_tensor(w, "token_embd.weight", 2, ne_e,
                                                 TLPU_GGUF_TYPE_F16, emb, sizeof emb),
                     TLPU_OK);
    for (size_t k = 0; k < 4; k++) {
        uint64_t ne[2] = {o->ne0, 4};
        size_t n = (size_t)o->ne0 * 4;
        float *x = malloc(n * sizeof *x);
        uint16_t *h = malloc(n * sizeof *h);
        ck_assert(x && h);
        for (size_t i = 0; i < n; i++) {
            x[i] = small_value(i, k);
            h[i] = o->wtype == TLPU_GGUF_TYPE_BF16 ? tlpu_f32_to_bf16(x[i]) : tlpu_f32_to_f16(x[i]);
        }
        if (o->nan_at != 0.0f && k == 2)
            x[3] = NAN, h[3] = o->wtype == TLPU_GGUF_TYPE_BF16 ? 0x7fc0 : 0x7e00;
        const void *data = o->wtype == TLPU_GGUF_TYPE_F32 ? (const void *)x : (const void *)h;
        size_t size = n * (o->wtype == TLPU_GGUF_TYPE_F32 ? 4 : 2);
        ck_assert_int_eq(tlpu_gguf_writer_add_tensor(w, names[k], 2, ne, o->wtype, data, size),
                         TLPU_OK);
        free(x);
        free(h);
    }
    float norm[256];
    for (size_t i = 0; i < 256; i++)
        norm[i] = 1.0f + 0.001f * (float)i;
    uint64_t ne_n[1] = {256};
    ck_assert_int_eq(tlpu_gguf_writer_add_tensor(w, "blk.0.attn_norm.weight", 1, ne_n,
                                                 TLPU_GGUF_TYPE_F32, norm, sizeof norm),
                     TLPU_OK);
    write_ok(w, path);
    tlpu_gguf_writer_free(w);
}

START_TEST(metadata_rules)
{
    /* file_type early, no quantization_version, split keys of a one-file "split" */
    small_opts o = {.arch = "bitnet-b1.58", .wtype = TLPU_GGUF_TYPE_F32, .ne0 = 256,
                    .file_type_first = 1, .split_count = 1};
    const char *in = tpath("small.gguf"), *out = tpath("small-q.gguf");
    write_small(in, &o);
    char err[ERRLEN];
    tlpu_quantize_summary s;
    /* TQ (llama.cpp): both keys removed and appended, quantization_version first */
    ck_assert_int_eq(quantize(in, out, TLPU_GGUF_TYPE_TQ2_0, TLPU_PTQ_NONE, NULL, &s, err),
                     TLPU_OK);
    static const char *const tq_keys[] = {"general.architecture", "general.name", "x.after",
                                          "general.quantization_version", "general.file_type"};
    assert_keys(out, tq_keys, COUNT(tq_keys));
    tlpu_gguf *g = open_path(out);
    uint32_t v;
    ck_assert_int_eq(tlpu_gguf_get_u32(g, "general.file_type", &v), TLPU_OK);
    ck_assert_uint_eq(v, 37);
    ck_assert_int_eq(tlpu_gguf_get_u32(g, "general.quantization_version", &v), TLPU_OK);
    ck_assert_uint_eq(v, 2);
    tlpu_gguf_close(g);
    /* I2_S (bitnet.cpp): file_type in its place, quantization_version appended */
    ck_assert_int_eq(quantize(in, out, TLPU_GGUF_TYPE_I2_S, TLPU_PTQ_NONE, NULL, &s, err),
                     TLPU_OK);
    static const char *const i2s_keys[] = {"general.architecture", "general.file_type",
                                           "general.name", "x.after",
                                           "general.quantization_version"};
    assert_keys(out, i2s_keys, COUNT(i2s_keys));
    g = open_path(out);
    ck_assert_int_eq(tlpu_gguf_get_u32(g, "general.file_type", &v), TLPU_OK);
    ck_assert_uint_eq(v, 40);
    tlpu_gguf_close(g);
    /* with quantization_version already there, I2_S keeps it in place and adds file_type */
    small_opts o2 = {.arch = "bitnet", .wtype = TLPU_GGUF_TYPE_F16, .ne0 = 256, .with_qv = 1};
    write_small(in, &o2);
    ck_assert_int_eq(quantize(in, out, TLPU_GGUF_TYPE_I2_S, TLPU_PTQ_NONE, NULL, &s, err),
                     TLPU_OK);
    static const char *const keys3[] = {"general.architecture", "general.name", "x.after",
                                        "general.quantization_version", "general.file_type"};
    assert_keys(out, keys3, COUNT(keys3));
    ck_assert_int_eq(quantize(in, out, TLPU_GGUF_TYPE_TQ1_0, TLPU_PTQ_NONE, NULL, &s, err),
                     TLPU_OK);
    assert_keys(out, keys3, COUNT(keys3));
}
END_TEST

/* F32, F16 and BF16 BitLinears: --ptq none of values t x d is lossless in every format */
static const uint32_t k_in_types[] = {TLPU_GGUF_TYPE_F32, TLPU_GGUF_TYPE_F16,
                                      TLPU_GGUF_TYPE_BF16};

START_TEST(input_types_lossless)
{
    small_opts o = {.arch = "bitnet-25", .wtype = k_in_types[_i], .ne0 = 512};
    const char *in = tpath("small.gguf"), *out = tpath("small-q.gguf");
    write_small(in, &o);
    char err[ERRLEN];
    static rec r;
    tlpu_quantize_summary s;
    for (int k = 0; k < 2; k++) { /* TQ2_0 and TQ1_0: per-block d */
        ck_assert_int_eq(quantize(in, out, k_tq[k], TLPU_PTQ_NONE, &r, &s, err), TLPU_OK);
        ck_assert_uint_eq(s.n_quantized, 4);
        ck_assert_uint_eq(s.n_copied, 2);
        for (int i = 0; i < r.n; i++)
            if (r.t[i].action == TLPU_QUANTIZE_QUANTIZED) {
                ck_assert_uint_eq(r.t[i].from_type, k_in_types[_i]);
                ck_assert_msg(r.t[i].rel_rms == 0.0 && r.t[i].max_abs == 0.0, "%s", r.line[i]);
                ck_assert(r.t[i].scale_min == 0.0625f && r.t[i].scale_max == 0.1875f);
            }
    }
    /* absmean: lossy (one scale), trits kept: a per-tensor-scale model to I2_S */
    ck_assert_int_eq(quantize(in, out, TLPU_GGUF_TYPE_I2_S, TLPU_PTQ_ABSMEAN, &r, &s, err),
                     TLPU_OK);
    for (int i = 0; i < r.n; i++)
        if (r.t[i].action == TLPU_QUANTIZE_QUANTIZED) {
            ck_assert(r.t[i].rel_rms > 0.0);
            ck_assert(r.t[i].zero_frac > 0.2 && r.t[i].zero_frac < 0.4); /* 2 of 7 */
        }
    /* a quantized file as input: the BitLinears are already ternary */
    const char *again = tpath("again.gguf");
    ck_assert_int_eq(quantize(out, again, TLPU_GGUF_TYPE_TQ2_0, TLPU_PTQ_NONE, &r, &s, err),
                     TLPU_ERR_INVALID_ARG);
    ck_assert_msg(strstr(err, "the BitLinear weights are already ternary"), "%s", err);
    ck_assert(!exists(again));
}
END_TEST

/* A mix: some BitLinears already ternary are copied with a note, the others quantized */
START_TEST(already_ternary_copied)
{
    tlpu_gguf *g = open_path(dpath("models/tiny-bitnet-tq2_0.gguf"));
    tlpu_gguf *f = open_path(dpath("models/tiny-bitnet-f16.gguf"));
    tlpu_gguf_writer *w;
    ck_assert_int_eq(tlpu_gguf_writer_new(&w), TLPU_OK);
    for (size_t i = 0; i < tlpu_gguf_kv_count(f); i++)
        ck_assert_int_eq(tlpu_gguf_writer_copy_kv(w, f, i), TLPU_OK);
    for (size_t i = 0; i < tlpu_gguf_tensor_count(f); i++) /* blk.1 from the TQ2_0 file */
        ck_assert_int_eq(tlpu_gguf_writer_copy_tensor(w, i >= 13 ? g : f, i), TLPU_OK);
    const char *in = tpath("mixed.gguf"), *out = tpath("mixed-q.gguf");
    write_ok(w, in);
    tlpu_gguf_writer_free(w);
    static rec r;
    tlpu_quantize_summary s;
    char err[ERRLEN];
    ck_assert_int_eq(quantize(in, out, TLPU_GGUF_TYPE_TQ2_0, TLPU_PTQ_NONE, &r, &s, err),
                     TLPU_OK);
    ck_assert_uint_eq(s.n_quantized, 7);
    ck_assert_uint_eq(s.n_ternary, 7);
    ck_assert_uint_eq(s.n_copied, 10);
    ck_assert_int_eq(r.t[13].action, TLPU_QUANTIZE_TERNARY);
    ck_assert_msg(strstr(r.line[13], "copied (a BitLinear weight that is already ternary)"),
                  "%s", r.line[13]);
    /* and the result is llama-quantize's TQ2_0 file again */
    size_t na, nb;
    uint8_t *a = read_path(dpath("models/tiny-bitnet-tq2_0.gguf"), &na), *b = read_path(out, &nb);
    ck_assert_uint_eq(na, nb);
    ck_assert_mem_eq(a, b, na);
    free(a);
    free(b);
    tlpu_gguf_close(g);
    tlpu_gguf_close(f);
}
END_TEST

/* ---- quantize: bad input --------------------------------------------------------------------- */

/* A failing quantize: status, message, write_failed, and no output left. */
static void fails(const char *in, const char *out, uint32_t type, tlpu_ptq ptq, tlpu_status want,
                  const char *msg, int write_failed)
{
    char err[ERRLEN];
    tlpu_quantize_summary s;
    int existed = exists(out);
    tlpu_status st = quantize(in, out, type, ptq, NULL, &s, err);
    ck_assert_msg(st == want, "%s -> %s: %s (%s), want %s", in, out, tlpu_status_name(st), err,
                  tlpu_status_name(want));
    ck_assert_msg(strstr(err, msg) != NULL, "'%s' lacks '%s'", err, msg);
    ck_assert_int_eq(s.write_failed, write_failed);
    if (!existed)
        ck_assert_msg(!exists(out), "%s was left behind", out);
    int tmp;
    dir_count(&tmp);
    ck_assert_int_eq(tmp, 0);
}

START_TEST(quantize_errors)
{
    char f16[1024], out[1024];
    snprintf(f16, sizeof f16, "%s", dpath("models/tiny-bitnet-f16.gguf"));
    snprintf(out, sizeof out, "%s", tpath("out.gguf"));
    const uint32_t tq2 = TLPU_GGUF_TYPE_TQ2_0;
    char err[ERRLEN];
    tlpu_quantize_params p = {.type = tq2};
    ck_assert_int_eq(tlpu_quantize_model(NULL, out, &p, NULL, err, sizeof err),
                     TLPU_ERR_INVALID_ARG);
    ck_assert_str_eq(err, "tlpu_quantize_model: NULL input path");
    ck_assert_int_eq(tlpu_quantize_model(f16, out, NULL, NULL, err, sizeof err),
                     TLPU_ERR_INVALID_ARG);
    ck_assert_str_eq(err, "tlpu_quantize_model: NULL parameters");
    fails(f16, out, TLPU_GGUF_TYPE_F16, TLPU_PTQ_NONE, TLPU_ERR_INVALID_ARG,
          "type 1 is not one tlpu quantizes to", 0);
    fails(f16, out, tq2, (tlpu_ptq)7, TLPU_ERR_INVALID_ARG, "unknown ptq mode 7", 0);
    /* missing, unreadable, invalid input: the reader's messages */
    fails(tpath("none.gguf"), out, tq2, TLPU_PTQ_NONE, TLPU_ERR_IO,
          "none.gguf: offset 0: cannot open: No such file or directory", 0);
    fails(g_dir, out, tq2, TLPU_PTQ_NONE, TLPU_ERR_IO, ": offset 0: not a regular file", 0);
    size_t n;
    uint8_t *bytes = read_path(f16, &n);
    write_raw(tpath("cut.gguf"), bytes, 5000);
    fails(tpath("cut.gguf"), out, tq2, TLPU_PTQ_NONE, TLPU_ERR_FORMAT,
          "cut.gguf: offset 4999: key 16 'tokenizer.ggml.tokens': truncated", 0);
    free(bytes);
    /* the same file twice */
    fails(f16, f16, tq2, TLPU_PTQ_NONE, TLPU_ERR_INVALID_ARG, "is both the input and the output",
          0);
    const char *copy = tpath("copy.gguf"), *hard = tpath("hard.gguf");
    small_opts o = {.arch = "bitnet", .wtype = TLPU_GGUF_TYPE_F32, .ne0 = 256};
    write_small(copy, &o);
    ck_assert_int_eq(link(copy, hard), 0);
    size_t n0, n1;
    uint8_t *b0 = read_path(copy, &n0);
    fails(copy, hard, tq2, TLPU_PTQ_NONE, TLPU_ERR_INVALID_ARG, "are the same file", 0);
    uint8_t *b1 = read_path(copy, &n1);
    ck_assert_uint_eq(n0, n1);
    ck_assert_mem_eq(b0, b1, n0);
    free(b0);
    free(b1);
    unlink(hard);
    /* an output that cannot be written */
    fails(f16, tpath("no/dir/out.gguf"), tq2, TLPU_PTQ_NONE, TLPU_ERR_IO,
          "out.gguf: cannot write there: ", 0);
    fails(f16, g_dir, tq2, TLPU_PTQ_NONE, TLPU_ERR_IO, ": is a directory", 0);
    if (access("/dev/full", W_OK) == 0)
        fails(f16, "/dev/full", tq2, TLPU_PTQ_NONE, TLPU_ERR_IO,
              "/dev/full: write failed: No space left on device", 1);
    /* not a BitNet model */
    o.arch = "llama";
    write_small(tpath("llama.gguf"), &o);
    fails(tpath("llama.gguf"), out, tq2, TLPU_PTQ_NONE, TLPU_ERR_UNSUPPORTED,
          "llama.gguf: architecture 'llama' is not a BitNet one (bitnet, bitnet-b1.58, "
          "bitnet-25)",
          0);
    o.arch = NULL;
    write_small(tpath("noarch.gguf"), &o);
    fails(tpath("noarch.gguf"), out, tq2, TLPU_PTQ_NONE, TLPU_ERR_UNSUPPORTED,
          "noarch.gguf: no general.architecture", 0);
    fails(dpath("models-b158/vocab-llama-bpe.gguf"), out, tq2, TLPU_PTQ_NONE,
          TLPU_ERR_INVALID_ARG, "no tensor to quantize: none of the 0 tensors", 0);
    /* nothing to quantize */
    fails(dpath("models/tiny-bitnet-tq1_0.gguf"), out, tq2, TLPU_PTQ_NONE, TLPU_ERR_INVALID_ARG,
          "no tensor to quantize: none of the 24 tensors is an F32, F16 or BF16 BitLinear "
          "weight",
          0);
    /* rows the format cannot hold, named */
    o = (small_opts){.arch = "bitnet", .wtype = TLPU_GGUF_TYPE_F16, .ne0 = 128};
    write_small(tpath("r128.gguf"), &o);
    fails(tpath("r128.gguf"), out, TLPU_GGUF_TYPE_TQ1_0, TLPU_PTQ_ABSMEAN, TLPU_ERR_SHAPE,
          "tensor 'blk.0.attn_q.weight': tq1_0 rows need a multiple of 256 elements, ne[0] is "
          "128",
          0);
    tlpu_quantize_summary s;
    ck_assert_int_eq(quantize(tpath("r128.gguf"), out, TLPU_GGUF_TYPE_I2_S, TLPU_PTQ_ABSMEAN,
                              NULL, &s, err),
                     TLPU_OK); /* 128 is fine for I2_S */
    unlink(out);
    o.ne0 = 192;
    write_small(tpath("r192.gguf"), &o);
    fails(tpath("r192.gguf"), out, TLPU_GGUF_TYPE_I2_S, TLPU_PTQ_NONE, TLPU_ERR_SHAPE,
          "tensor 'blk.0.attn_q.weight': i2_s rows need a multiple of 128 elements, ne[0] is 192",
          0);
    /* NaN in a weight, both modes, named */
    o = (small_opts){.arch = "bitnet", .wtype = TLPU_GGUF_TYPE_BF16, .ne0 = 256, .nan_at = 1};
    write_small(tpath("nan.gguf"), &o);
    fails(tpath("nan.gguf"), out, tq2, TLPU_PTQ_NONE, TLPU_ERR_NONFINITE,
          "tensor 'blk.0.ffn_up.weight': its values include NaN or Inf", 0);
    fails(tpath("nan.gguf"), out, TLPU_GGUF_TYPE_I2_S, TLPU_PTQ_ABSMEAN, TLPU_ERR_NONFINITE,
          "tensor 'blk.0.ffn_up.weight': its values include NaN or Inf", 0);
    /* a model split in several files */
    o = (small_opts){.arch = "bitnet", .wtype = TLPU_GGUF_TYPE_F32, .ne0 = 256, .split_count = 3};
    write_small(tpath("split.gguf"), &o);
    fails(tpath("split.gguf"), out, tq2, TLPU_PTQ_NONE, TLPU_ERR_UNSUPPORTED,
          "a model split in 3 files (split.count)", 0);
    /* a failure leaves an existing output as it was */
    write_raw(out, "keep", 4);
    fails(tpath("r192.gguf"), out, TLPU_GGUF_TYPE_I2_S, TLPU_PTQ_NONE, TLPU_ERR_SHAPE,
          "i2_s rows need", 0);
    size_t nk;
    uint8_t *k = read_path(out, &nk);
    ck_assert_uint_eq(nk, 4);
    ck_assert_mem_eq(k, "keep", 4);
    free(k);
}
END_TEST

START_TEST(names_and_file_types)
{
    static const char *const yes[] = {"blk.0.attn_q.weight", "blk.12.attn_k.weight",
                                      "blk.3.attn_v.weight", "blk.29.attn_output.weight",
                                      "blk.0.ffn_gate.weight", "blk.0.ffn_up.weight",
                                      "blk.7.ffn_down.weight"};
    static const char *const no[] = {"token_embd.weight", "output.weight", "blk.0.attn_norm.weight",
                                     "blk.0.attn_sub_norm.weight", "blk.0.ffn_sub_norm.weight",
                                     "blk.0.attn_q.scale", "blk..attn_q.weight",
                                     "blk.x.attn_q.weight", "blk.0.attn_q.weight.x",
                                     "blk.0.attn_qkv.weight", "xblk.0.attn_q.weight", "", NULL};
    for (int i = 0; i < COUNT(yes); i++)
        ck_assert_msg(tlpu_quantize_is_bitlinear(yes[i]), "%s", yes[i]);
    for (int i = 0; i < COUNT(no); i++)
        ck_assert_msg(!tlpu_quantize_is_bitlinear(no[i]), "%s", no[i] ? no[i] : "NULL");
    uint32_t t;
    ck_assert_int_eq(tlpu_quantize_type_parse("tq2_0", &t), TLPU_OK);
    ck_assert_uint_eq(t, 35);
    ck_assert_int_eq(tlpu_quantize_type_parse("tq1_0", &t), TLPU_OK);
    ck_assert_uint_eq(t, 34);
    ck_assert_int_eq(tlpu_quantize_type_parse("i2_s", &t), TLPU_OK);
    ck_assert_uint_eq(t, 36);
    ck_assert_int_eq(tlpu_quantize_type_parse("f16", &t), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_quantize_type_parse(NULL, &t), TLPU_ERR_INVALID_ARG);
    tlpu_ptq p;
    ck_assert_int_eq(tlpu_ptq_parse("absmean", &p), TLPU_OK);
    ck_assert_int_eq(p, TLPU_PTQ_ABSMEAN);
    ck_assert_int_eq(tlpu_ptq_parse("none", &p), TLPU_OK);
    ck_assert_int_eq(p, TLPU_PTQ_NONE);
    ck_assert_int_eq(tlpu_ptq_parse("AbsMean", &p), TLPU_ERR_INVALID_ARG);
    ck_assert_str_eq(tlpu_ptq_name(TLPU_PTQ_NONE), "none");
    ck_assert_ptr_null(tlpu_ptq_name((tlpu_ptq)5));
    /* the file types are the ones the shared files carry */
    static const struct {
        const char *file;
        uint32_t type;
    } files[] = {{"models/tiny-bitnet-tq2_0.gguf", TLPU_GGUF_TYPE_TQ2_0},
                 {"models/tiny-bitnet-tq1_0.gguf", TLPU_GGUF_TYPE_TQ1_0},
                 {"models-b158/tiny-b158-i2_s.gguf", TLPU_GGUF_TYPE_I2_S}};
    for (int i = 0; i < COUNT(files); i++) {
        tlpu_gguf *g = open_path(dpath(files[i].file));
        uint32_t ft;
        ck_assert_int_eq(tlpu_gguf_get_u32(g, "general.file_type", &ft), TLPU_OK);
        ck_assert_uint_eq(tlpu_quantize_file_type(files[i].type), ft);
        tlpu_gguf_close(g);
    }
    ck_assert_uint_eq(tlpu_quantize_file_type(TLPU_GGUF_TYPE_F16), 0);
    /* the copied-tensor line */
    tlpu_quantize_tensor c = {.name = "output_norm.weight", .n_dims = 1, .ne = {256, 1, 1, 1},
                              .from_type = TLPU_GGUF_TYPE_F32, .to_type = TLPU_GGUF_TYPE_F32,
                              .action = TLPU_QUANTIZE_COPIED};
    char line[256];
    tlpu_quantize_format_tensor(&c, line, sizeof line);
    ck_assert_str_eq(line, "output_norm.weight           256            f32              copied");
    c.n_dims = 0;
    tlpu_quantize_format_tensor(&c, line, sizeof line);
    ck_assert_ptr_nonnull(strstr(line, " scalar "));
}
END_TEST

static TCase *tcase(Suite *s, const char *name, int fixture)
{
    TCase *tc = tcase_create(name);
    tcase_set_timeout(tc, 300);
    if (fixture)
        tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
    suite_add_tcase(s, tc);
    return tc;
}

int main(void)
{
    Suite *s = suite_create("quantize");
    TCase *tc = tcase(s, "writer", 1);
    tcase_add_loop_test(tc, writer_every_type_round_trip, 0, COUNT(k_aligns));
    tcase_add_loop_test(tc, writer_copies_shared_files_byte_for_byte, 0, COUNT(k_shared));
    tcase_add_test(tc, writer_set_replace_remove_order);
    tcase_add_test(tc, writer_errors);
    tcase_add_test(tc, writer_unknown_type_not_copied);
    tcase_add_test(tc, writer_atomic_failed_write_keeps_old_file);
    tcase_add_test(tc, writer_targets);
    tc = tcase(s, "reference", 1);
    tcase_add_loop_test(tc, tq_same_bytes_as_llama_quantize, 0, COUNT(k_tq));
    tcase_add_test(tc, i2s_same_codes_as_bitnet_cpp);
    tcase_add_loop_test(tc, absmean_trits_scales_and_errors, 0, COUNT(k_types));
    tc = tcase(s, "rules", 1);
    tcase_add_test(tc, metadata_rules);
    tcase_add_loop_test(tc, input_types_lossless, 0, COUNT(k_in_types));
    tcase_add_test(tc, already_ternary_copied);
    tcase_add_test(tc, quantize_errors);
    tcase_add_test(tc, names_and_file_types);
    return test_run_suite(s);
}
