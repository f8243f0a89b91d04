/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check_npy - NumPy .npy reading and writing (tlpu/npy.h).
 *
 *  - the exact bytes np.save writes, spelled out here from the format in
 *    numpy/lib/format.py (no NumPy on the build machines): the writer must
 *    produce them and the reader must read them, plus the variants other
 *    writers and NumPy versions produce (2.0/3.0 headers, 16-byte padding,
 *    Fortran order, big-endian, Python 2 'L' suffixes);
 *  - round trips of every dtype through a file, shapes 0-d to 8-d,
 *    zero-length dimensions, 1x1 and large-ish 2-D;
 *  - the header grammar: what is accepted, and every rejection with its
 *    status and a message naming the problem;
 *  - hostile inputs: every truncation of valid files, bad preambles, sizes
 *    that overflow or exceed the file, trailing data, and a few thousand
 *    seeded random mutations and token-soup headers (run under ASan by
 *    `scripts/test.sh --sanitize`);
 *  - argument and I/O errors: no output touched, no half-written file left.
 *
 * The expected header bytes are built by helpers written here, not by
 * tlpu_npy_header_bytes(), so the tests do not share code with npy.c.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_util.h"
#include "tlpu/npy.h"
#include "tlpu/rng.h"

/* ---- helpers ------------------------------------------------------------ */

#define ERRLEN 512

/*
 * A .npy file from its parts: magic, version major.0, header length field
 * (2 bytes for 1.x, 4 bytes otherwise) = strlen(dict) + spaces + 1, the
 * dict, `spaces` spaces, '\n', then `nbytes` of data. Returns its size.
 */
static size_t npy_bytes(uint8_t *out, size_t cap, unsigned major, const char *dict,
                        size_t spaces, const void *data, size_t nbytes)
{
    size_t pre = major == 1 ? 10 : 12, dl = strlen(dict);
    size_t hlen = dl + spaces + 1;
    size_t total = pre + hlen + nbytes;
    ck_assert_msg(total <= cap, "npy_bytes: %zu > %zu", total, cap);
    memcpy(out, "\x93NUMPY", 6);
    out[6] = (uint8_t)major;
    out[7] = 0;
    for (size_t i = 0; i < pre - 8; i++)
        out[8 + i] = (uint8_t)(hlen >> (8 * i));
    memcpy(out + pre, dict, dl);
    memset(out + pre + dl, ' ', spaces);
    out[pre + dl + spaces] = '\n';
    if (nbytes)
        memcpy(out + pre + hlen, data, nbytes);
    return total;
}

/* The same, with the spaces chosen so that the data starts at a multiple of 64. */
static size_t npy_aligned(uint8_t *out, size_t cap, unsigned major, const char *dict,
                          const void *data, size_t nbytes)
{
    size_t pre = major == 1 ? 10 : 12, used = pre + strlen(dict) + 1;
    return npy_bytes(out, cap, major, dict, (64 - used % 64) % 64, data, nbytes);
}

static void assert_bytes(const uint8_t *got, const uint8_t *want, size_t n, const char *what)
{
    size_t i = 0;
    while (i < n && got[i] == want[i])
        i++;
    ck_assert_msg(i == n, "%s: byte %zu is 0x%02x, expected 0x%02x", what, i,
                  i < n ? got[i] : 0, i < n ? want[i] : 0);
}

/* A heap copy of exactly n bytes, so that ASan sees any read past the end. */
static uint8_t *exact_copy(const uint8_t *p, size_t n)
{
    uint8_t *c = malloc(n ? n : 1);
    ck_assert_ptr_nonnull(c);
    if (n)
        memcpy(c, p, n);
    return c;
}

static tlpu_status parse_exact(const uint8_t *p, size_t n, tlpu_npy *arr, char *err)
{
    uint8_t *c = exact_copy(p, n);
    tlpu_status st = tlpu_npy_parse(c, n, arr, err, ERRLEN);
    free(c);
    return st;
}

static void fill_random(tlpu_rng *r, uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)tlpu_rng_next(r);
}

/* ---- a scratch directory per test ---------------------------------------- */

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
    snprintf(g_dir, sizeof g_dir, "%s/tlpu-npy-XXXXXX", t && *t ? t : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(g_dir));
}

static void dir_teardown(void) { rm_rf(g_dir); }

static const char *in_dir(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", g_dir, name);
    return buf;
}

/* Entries of a directory other than . and ..; *tmp set when one is a temporary. */
static int dir_count(const char *dir, int *tmp)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    *tmp = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        n++;
        if (strstr(e->d_name, ".tmp."))
            *tmp = 1;
    }
    closedir(d);
    return n;
}

static void write_raw(const char *path, const uint8_t *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(p, 1, n, f), n);
    ck_assert_int_eq(fclose(f), 0);
}

static uint8_t *read_raw(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc((size_t)len + 1);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(fread(p, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return p;
}

/* ---- dtypes -------------------------------------------------------------- */

START_TEST(dtype_names_and_sizes)
{
    static const char *names[] = {"int8",    "uint8",   "int16",   "int32",
                                  "int64",   "float16", "float32", "float64"};
    static const size_t sizes[] = {1, 1, 2, 4, 8, 2, 4, 8};
    for (int d = 0; d < TLPU_NPY_DTYPE_COUNT; d++) {
        ck_assert_str_eq(tlpu_npy_dtype_name((tlpu_npy_dtype)d), names[d]);
        ck_assert_uint_eq(tlpu_npy_dtype_size((tlpu_npy_dtype)d), sizes[d]);
    }
    ck_assert_ptr_null(tlpu_npy_dtype_name((tlpu_npy_dtype)TLPU_NPY_DTYPE_COUNT));
    ck_assert_ptr_null(tlpu_npy_dtype_name((tlpu_npy_dtype)-1));
    ck_assert_uint_eq(tlpu_npy_dtype_size((tlpu_npy_dtype)TLPU_NPY_DTYPE_COUNT), 0);
    ck_assert_uint_eq(tlpu_npy_dtype_size((tlpu_npy_dtype)-1), 0);
}
END_TEST

/* ---- the bytes NumPy writes ------------------------------------------------ */

/*
 * np.save(f, np.arange(6, dtype=np.int8).reshape(2, 3)): header length 118
 * ('v\0'), the 59-byte dict, 58 spaces (20 of growth reserve + 38 of
 * padding; 58 of padding before NumPy 1.24), '\n', data at byte 128.
 */
static const char k_dict_2x3_i1[] = "{'descr': '|i1', 'fortran_order': False, 'shape': (2, 3), }";

START_TEST(numpy_int8_2x3_exact)
{
    static const int8_t v[6] = {0, 1, 2, 3, 4, 5};
    uint8_t want[256];
    size_t n = npy_bytes(want, sizeof want, 1, k_dict_2x3_i1, 58, v, 6);
    ck_assert_uint_eq(n, 134);
    ck_assert_uint_eq(strlen(k_dict_2x3_i1), 59);
    ck_assert_int_eq(want[8], 'v');
    ck_assert_int_eq(want[9], 0);
    ck_assert_int_eq(want[127], '\n');

    /* the fixture file holds the same bytes */
    size_t fn;
    unsigned char *fix = test_read_file("npy/arange_2x3_i1.npy", &fn);
    ck_assert_uint_eq(fn, n);
    assert_bytes(fix, want, n, "fixture");
    free(fix);

    /* the writer produces them */
    char path[600], err[ERRLEN];
    in_dir(path, sizeof path, "a.npy");
    const size_t shape[2] = {2, 3};
    ck_assert_int_eq(tlpu_npy_write(path, TLPU_NPY_I8, 2, shape, v, err, sizeof err), TLPU_OK);
    ck_assert_str_eq(err, "");
    size_t gn;
    uint8_t *got = read_raw(path, &gn);
    ck_assert_uint_eq(gn, n);
    assert_bytes(got, want, n, "written");
    free(got);
    uint8_t head[256];
    ck_assert_uint_eq(tlpu_npy_header_bytes(TLPU_NPY_I8, 2, shape, NULL, 0), 128);
    ck_assert_uint_eq(tlpu_npy_header_bytes(TLPU_NPY_I8, 2, shape, head, 127), 0);
    ck_assert_uint_eq(tlpu_npy_header_bytes(TLPU_NPY_I8, 2, shape, head, sizeof head), 128);
    assert_bytes(head, want, 128, "header_bytes");

    /* the reader reads them, from memory and from the fixture */
    tlpu_npy a;
    ck_assert_int_eq(parse_exact(want, n, &a, err), TLPU_OK);
    ck_assert_int_eq(a.dtype, TLPU_NPY_I8);
    ck_assert_uint_eq(a.ndim, 2);
    ck_assert_uint_eq(a.shape[0], 2);
    ck_assert_uint_eq(a.shape[1], 3);
    for (int k = 2; k < TLPU_NPY_MAX_NDIM; k++)
        ck_assert_uint_eq(a.shape[k], 0);
    ck_assert_uint_eq(a.elem_size, 1);
    ck_assert_uint_eq(a.count, 6);
    ck_assert_uint_eq(a.nbytes, 6);
    assert_bytes(a.data, (const uint8_t *)v, 6, "parsed");
    tlpu_npy_free(&a);
    ck_assert_ptr_null(a.data);
    tlpu_npy_free(&a); /* twice is fine */
    tlpu_npy_free(NULL);

    ck_assert_int_eq(tlpu_npy_read(TLPU_TEST_DATA_DIR "/npy/arange_2x3_i1.npy", &a, err,
                                   sizeof err),
                     TLPU_OK);
    ck_assert_uint_eq(a.count, 6);
    assert_bytes(a.data, (const uint8_t *)v, 6, "read");
    tlpu_npy_free(&a);

    tlpu_npy_header h;
    ck_assert_int_eq(tlpu_npy_parse_header(want, 128, &h, err, sizeof err), TLPU_OK);
    ck_assert_uint_eq(h.version, 1);
    ck_assert_uint_eq(h.data_offset, 128);
    ck_assert_uint_eq(h.nbytes, 6);
    ck_assert_int_eq(h.fortran_order, 0);
    ck_assert_int_eq(h.big_endian, 0);
}
END_TEST

/*
 * More arrays as np.save writes them (NumPy >= 1.24; spaces = growth reserve
 * 21 - len(str(shape[0])) for ndim > 0, plus padding to 128 bytes).
 * Every header tlpu writes is 128 bytes: with at most 8 dimensions and at
 * most PTRDIFF_MAX bytes the dict never reaches 118 bytes with its reserve.
 */
static const struct numpy_case {
    tlpu_npy_dtype dtype;
    unsigned ndim;
    size_t shape[3];
    const char *dict;
    size_t spaces; /* growth + padding */
    size_t nbytes;
    uint8_t data[24]; /* little-endian */
} k_numpy[] = {
    /* np.array([1.0, -2.0, 0.5], dtype=np.float32): 57-byte dict, 20 + 40 spaces */
    {TLPU_NPY_F32, 1, {3}, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", 60,
     12, {0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0, 0, 0, 0, 0x3f}},
    /* np.int32(-7) (0-d: no growth reserve): 55-byte dict, 62 spaces */
    {TLPU_NPY_I32, 0, {0}, "{'descr': '<i4', 'fortran_order': False, 'shape': (), }", 62, 4,
     {0xf9, 0xff, 0xff, 0xff}},
    /* np.zeros((0, 5), np.int32) */
    {TLPU_NPY_I32, 2, {0, 5}, "{'descr': '<i4', 'fortran_order': False, 'shape': (0, 5), }",
     58, 0, {0}},
    /* np.array([[-1]], np.int64) */
    {TLPU_NPY_I64, 2, {1, 1}, "{'descr': '<i8', 'fortran_order': False, 'shape': (1, 1), }",
     58, 8, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
    /* np.array([200, 7], np.uint8) */
    {TLPU_NPY_U8, 1, {2}, "{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }", 60, 2,
     {200, 7}},
    /* np.array([1.0, -0.0], np.float16) */
    {TLPU_NPY_F16, 1, {2}, "{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }", 60,
     4, {0x00, 0x3c, 0x00, 0x80}},
    /* np.array([[258], [-2]], np.int16) */
    {TLPU_NPY_I16, 2, {2, 1}, "{'descr': '<i2', 'fortran_order': False, 'shape': (2, 1), }",
     58, 4, {0x02, 0x01, 0xfe, 0xff}},
    /* np.array([1.5, 2.0], np.float64).reshape(1, 1, 2) */
    {TLPU_NPY_F64,
     3,
     {1, 1, 2},
     "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 2), }",
     55,
     16,
     {0, 0, 0, 0, 0, 0, 0xf8, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0x40}},
    /* np.zeros((1000, 0), np.int8): 4-digit first axis, 17 + 38 spaces */
    {TLPU_NPY_I8, 2, {1000, 0},
     "{'descr': '|i1', 'fortran_order': False, 'shape': (1000, 0), }", 55, 0, {0}},
};

START_TEST(numpy_cases_exact)
{
    const struct numpy_case *c = &k_numpy[_i];
    uint8_t want[256];
    size_t n = npy_bytes(want, sizeof want, 1, c->dict, c->spaces, c->data, c->nbytes);
    ck_assert_uint_eq(n, 128 + c->nbytes);

    char path[600], err[ERRLEN];
    in_dir(path, sizeof path, "c.npy");
    ck_assert_int_eq(tlpu_npy_write(path, c->dtype, c->ndim, c->shape, c->data, err, sizeof err),
                     TLPU_OK);
    size_t gn;
    uint8_t *got = read_raw(path, &gn);
    ck_assert_uint_eq(gn, n);
    assert_bytes(got, want, n, c->dict);
    free(got);

    tlpu_npy a;
    ck_assert_int_eq(parse_exact(want, n, &a, err), TLPU_OK);
    ck_assert_int_eq(a.dtype, c->dtype);
    ck_assert_uint_eq(a.ndim, c->ndim);
    for (unsigned k = 0; k < c->ndim; k++)
        ck_assert_uint_eq(a.shape[k], c->shape[k]);
    ck_assert_uint_eq(a.nbytes, c->nbytes);
    ck_assert_ptr_nonnull(a.data);
    if (c->nbytes)
        assert_bytes(a.data, c->data, c->nbytes, c->dict); /* host is little-endian here */
    tlpu_npy_free(&a);
}
END_TEST

/* Values of the parsed arrays checked as numbers, so these hold on any host. */
START_TEST(numpy_values)
{
    char err[ERRLEN];
    tlpu_npy a;
    uint8_t buf[256];

    /* float32 [1, -2, 0.5] */
    size_t n = npy_bytes(buf, sizeof buf, 1, k_numpy[0].dict, 60, k_numpy[0].data, 12);
    ck_assert_int_eq(parse_exact(buf, n, &a, err), TLPU_OK);
    const float *f = a.data;
    ck_assert(f[0] == 1.0f && f[1] == -2.0f && f[2] == 0.5f);
    tlpu_npy_free(&a);

    /* int32 scalar -7 */
    n = npy_bytes(buf, sizeof buf, 1, k_numpy[1].dict, 62, k_numpy[1].data, 4);
    ck_assert_int_eq(parse_exact(buf, n, &a, err), TLPU_OK);
    ck_assert_uint_eq(a.ndim, 0);
    ck_assert_uint_eq(a.count, 1);
    ck_assert_int_eq(*(const int32_t *)a.data, -7);
    tlpu_npy_free(&a);

    /* int16 [[258], [-2]] */
    n = npy_bytes(buf, sizeof buf, 1, k_numpy[6].dict, 58, k_numpy[6].data, 4);
    ck_assert_int_eq(parse_exact(buf, n, &a, err), TLPU_OK);
    ck_assert_int_eq(((const int16_t *)a.data)[0], 258);
    ck_assert_int_eq(((const int16_t *)a.data)[1], -2);
    tlpu_npy_free(&a);

    /* float64 [1.5, 2.0] */
    n = npy_bytes(buf, sizeof buf, 1, k_numpy[7].dict, 55, k_numpy[7].data, 16);
    ck_assert_int_eq(parse_exact(buf, n, &a, err), TLPU_OK);
    ck_assert(((const double *)a.data)[0] == 1.5 && ((const double *)a.data)[1] == 2.0);
    tlpu_npy_free(&a);
}
END_TEST

/* Headers other writers and NumPy versions produce. */
START_TEST(numpy_versions_and_padding)
{
    static const int8_t v[6] = {0, 1, 2, 3, 4, 5};
    char err[ERRLEN];
    tlpu_npy a;
    tlpu_npy_header h;
    uint8_t buf[256];

    /* format 2.0 and 3.0 (np.lib.format.write_array(..., version=(2, 0))):
     * 12-byte preamble, header length 116 in 4 bytes, 20 + 36 spaces */
    for (unsigned major = 2; major <= 3; major++) {
        size_t n = npy_bytes(buf, sizeof buf, major, k_dict_2x3_i1, 56, v, 6);
        ck_assert_uint_eq(n, 134);
        ck_assert_int_eq(buf[8], 116);
        ck_assert_int_eq(buf[9] | buf[10] | buf[11], 0);
        ck_assert_int_eq(tlpu_npy_parse_header(buf, n, &h, err, sizeof err), TLPU_OK);
        ck_assert_uint_eq(h.version, major);
        ck_assert_uint_eq(h.data_offset, 128);
        ck_assert_int_eq(parse_exact(buf, n, &a, err), TLPU_OK);
        ck_assert_uint_eq(a.count, 6);
        assert_bytes(a.data, (const uint8_t *)v, 6, "v2/v3");
        tlpu_npy_free(&a);
    }

    /* old NumPy padded to 16 bytes: data at byte 80, header length 70 */
    static const float f3[3] = {1, 2, 3};
    size_t n = npy_bytes(buf, sizeof buf, 1,
                         "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", 12, f3, 12);
    ck_assert_uint_eq(n, 80 + 12);
    ck_assert_int_eq(parse_exact(buf, n, &a, err), TLPU_OK);
    ck_assert(((const float *)a.data)[2] == 3.0f);
    tlpu_npy_free(&a);

    /* minimal header, no padding at all */
    n = npy_bytes(buf, sizeof buf, 1, "{'descr':'|i1','fortran_order':False,'shape':(6,)}", 0, v,
                  6);
    ck_assert_int_eq(parse_exact(buf, n, &a, err), TLPU_OK);
    ck_assert_uint_eq(a.shape[0], 6);
    tlpu_npy_free(&a);

    /* Python 2 NumPy wrote longs: (2L, 3L); read by NumPy in 1.0/2.0 files only */
    int64_t l6[6] = {-3, -2, -1, 0, 1, 2};
    const char *py2 = "{'descr': '<i8', 'fortran_order': False, 'shape': (2L, 3L), }";
    n = npy_aligned(buf, sizeof buf, 1, py2, l6, sizeof l6);
    ck_assert_int_eq(parse_exact(buf, n, &a, err), TLPU_OK);
    ck_assert_uint_eq(a.shape[1], 3);
    ck_assert_int_eq(((const int64_t *)a.data)[0], -3);
    tlpu_npy_free(&a);
    n = npy_aligned(buf, sizeof buf, 3, py2, l6, sizeof l6);
    ck_assert_int_eq(parse_exact(buf, n, &a, err), TLPU_ERR_FORMAT);
}
END_TEST

/*
 * np.asfortranarray(np.arange(6, dtype=np.int16).reshape(2, 3) * ...):
 * the growth reserve follows the last axis; data in column order.
 * Read back in C order: a[i][j] = 10*i + j.
 */
START_TEST(numpy_fortran_order)
{
    char err[ERRLEN];
    tlpu_npy a;
    uint8_t buf[512];
    /* column-major 2x3: a00 a10 a01 a11 a02 a12 */
    static const int16_t fdata[6] = {0, 10, 1, 11, 2, 12};
    size_t n = npy_bytes(buf, sizeof buf, 1,
                         "{'descr': '<i2', 'fortran_order': True, 'shape': (2, 3), }", 59, fdata,
                         sizeof fdata);
    ck_assert_uint_eq(n, 128 + 12);
    tlpu_npy_header h;
    ck_assert_int_eq(tlpu_npy_parse_header(buf, n, &h, err, sizeof err), TLPU_OK);
    ck_assert_int_eq(h.fortran_order, 1);
    ck_assert_int_eq(parse_exact(buf, n, &a, err), TLPU_OK);
    static const int16_t cdata[6] = {0, 1, 2, 10, 11, 12};
    assert_bytes(a.data, (const uint8_t *)cdata, sizeof cdata, "fortran 2x3");
    tlpu_npy_free(&a);

    /* 3-D 2x3x4, big-endian int32, Fortran order: element (i,j,k) = 100i+10j+k
     * stored at i + 2j + 6k, most significant byte first */
    uint8_t be[24 * 4];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 4; k++) {
                int32_t val = 100 * i + 10 * j + k - 50;
                uint32_t u = (uint32_t)val;
                uint8_t *p = be + 4 * (i + 2 * j + 6 * k);
                p[0] = (uint8_t)(u >> 24);
                p[1] = (uint8_t)(u >> 16);
                p[2] = (uint8_t)(u >> 8);
                p[3] = (uint8_t)u;
            }
    n = npy_aligned(buf, sizeof buf, 1,
                    "{'descr': '>i4', 'fortran_order': True, 'shape': (2, 3, 4), }", be,
                    sizeof be);
    char path[600];
    write_raw(in_dir(path, sizeof path, "f.npy"), buf, n);
    for (int src = 0; src < 2; src++) {
        if (src == 0)
            ck_assert_int_eq(parse_exact(buf, n, &a, err), TLPU_OK);
        else
            ck_assert_int_eq(tlpu_npy_read(path, &a, err, sizeof err), TLPU_OK);
        ck_assert_uint_eq(a.ndim, 3);
        const int32_t *c = a.data;
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++)
                for (int k = 0; k < 4; k++)
                    ck_assert_int_eq(c[(i * 3 + j) * 4 + k], 100 * i + 10 * j + k - 50);
        tlpu_npy_free(&a);
    }

    /* 1-D and single-element arrays are the same in both orders */
    static const uint8_t u3[3] = {7, 8, 9};
    n = npy_aligned(buf, sizeof buf, 1, "{'descr': '|u1', 'fortran_order': True, 'shape': (3,), }",
                    u3, 3);
    ck_assert_int_eq(parse_exact(buf, n, &a, err), TLPU_OK);
    assert_bytes(a.data, u3, 3, "fortran 1-D");
    tlpu_npy_free(&a);
}
END_TEST

/* np.arange(3, dtype='>i4') and the other big-endian types. */
START_TEST(numpy_big_endian)
{
    char err[ERRLEN];
    tlpu_npy a;
    uint8_t buf[256];
    static const uint8_t i4[12] = {0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xfe};
    size_t n = npy_bytes(buf, sizeof buf, 1,
                         "{'descr': '>i4', 'fortran_order': False, 'shape': (3,), }", 60, i4, 12);
    ck_assert_uint_eq(n, 140);
    ck_assert_int_eq(parse_exact(buf, n, &a, err), TLPU_OK);
    ck_assert_int_eq(a.dtype, TLPU_NPY_I32);
    const int32_t *v = a.data;
    ck_assert(v[0] == 0 && v[1] == 1 && v[2] == -2);
    tlpu_npy_free(&a);

    static const uint8_t i2[4] = {0x01, 0x02, 0xff, 0xfe};
    n = npy_aligned(buf, sizeof buf, 1, "{'descr': '>i2', 'fortran_order': False, 'shape': (2,), }",
                    i2, 4);
    ck_assert_int_eq(parse_exact(buf, n, &a, err), TLPU_OK);
    ck_assert_int_eq(((const int16_t *)a.data)[0], 0x0102);
    ck_assert_int_eq(((const int16_t *)a.data)[1], -2);
    tlpu_npy_free(&a);

    static const uint8_t i8[8] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
    n = npy_aligned(buf, sizeof buf, 1, "{'descr': '>i8', 'fortran_order': False, 'shape': (), }",
                    i8, 8);
    ck_assert_int_eq(parse_exact(buf, n, &a, err), TLPU_OK);
    ck_assert(*(const int64_t *)a.data == 0x0102030405060708ll);
    tlpu_npy_free(&a);

    static const uint8_t f2[2] = {0xc0, 0x00}; /* -2.0 */
    n = npy_aligned(buf, sizeof buf, 1, "{'descr': '>f2', 'fortran_order': False, 'shape': (1,), }",
                    f2, 2);
    ck_assert_int_eq(parse_exact(buf, n, &a, err), TLPU_OK);
    ck_assert_uint_eq(((const uint16_t *)a.data)[0], 0xc000);
    tlpu_npy_free(&a);

    static const uint8_t f4[4] = {0x3f, 0xc0, 0, 0}; /* 1.5 */
    n = npy_aligned(buf, sizeof buf, 1, "{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }",
                    f4, 4);
    ck_assert_int_eq(parse_exact(buf, n, &a, err), TLPU_OK);
    ck_assert(((const float *)a.data)[0] == 1.5f);
    tlpu_npy_free(&a);

    static const uint8_t f8[8] = {0xc0, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18}; /* -pi */
    n = npy_aligned(buf, sizeof buf, 1, "{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }",
                    f8, 8);
    ck_assert_int_eq(parse_exact(buf, n, &a, err), TLPU_OK);
    ck_assert(((const double *)a.data)[0] == -3.141592653589793);
    tlpu_npy_free(&a);

    /* one-byte types in any byte order */
    static const char *one[] = {"|i1", "<i1", ">i1", "|u1", "<u1", ">u1"};
    for (size_t k = 0; k < 6; k++) {
        char dict[128];
        snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (2,), }",
                 one[k]);
        static const uint8_t b2[2] = {0x80, 0x7f};
        n = npy_aligned(buf, sizeof buf, 1, dict, b2, 2);
        ck_assert_int_eq(parse_exact(buf, n, &a, err), TLPU_OK);
        ck_assert_int_eq(a.dtype, k < 3 ? TLPU_NPY_I8 : TLPU_NPY_U8);
        assert_bytes(a.data, b2, 2, one[k]);
        tlpu_npy_free(&a);
    }
}
END_TEST

/* ---- round trips ---------------------------------------------------------- */

static const struct {
    unsigned ndim;
    size_t shape[TLPU_NPY_MAX_NDIM];
} k_shapes[] = {
    {0, {0}},         {1, {0}},       {1, {1}},          {1, {7}},
    {2, {1, 1}},      {2, {3, 0}},    {2, {0, 3}},       {3, {2, 3, 4}},
    {2, {64, 257}},   {2, {300, 250}}, {8, {2, 1, 3, 1, 2, 1, 1, 2}}, {8, {1, 1, 1, 1, 1, 1, 1, 1}},
};

START_TEST(round_trip_every_dtype)
{
    tlpu_rng r = tlpu_rng_seed(0x4e5059u);
    char path[600], err[ERRLEN];
    in_dir(path, sizeof path, "rt.npy");
    for (int d = 0; d < TLPU_NPY_DTYPE_COUNT; d++)
        for (size_t s = 0; s < sizeof k_shapes / sizeof k_shapes[0]; s++) {
            const tlpu_npy_dtype dt = (tlpu_npy_dtype)d;
            const unsigned nd = k_shapes[s].ndim;
            const size_t *sh = k_shapes[s].shape;
            size_t count = 1;
            for (unsigned k = 0; k < nd; k++)
                count *= sh[k];
            size_t nbytes = count * tlpu_npy_dtype_size(dt);
            uint8_t *data = malloc(nbytes ? nbytes : 1);
            ck_assert_ptr_nonnull(data);
            fill_random(&r, data, nbytes);

            tlpu_status st = tlpu_npy_write(path, dt, nd, sh, count ? data : NULL, err, sizeof err);
            ck_assert_msg(st == TLPU_OK, "%s shape %zu: %s", tlpu_npy_dtype_name(dt), s, err);

            size_t fn;
            uint8_t *file = read_raw(path, &fn);
            ck_assert_uint_eq(fn, 128 + nbytes);
            ck_assert_int_eq(file[127], '\n');
            ck_assert_uint_eq(file[8] | file[9] << 8, 118);

            tlpu_npy a, b;
            st = tlpu_npy_read(path, &a, err, sizeof err);
            ck_assert_msg(st == TLPU_OK, "%s shape %zu: %s", tlpu_npy_dtype_name(dt), s, err);
            ck_assert_int_eq(parse_exact(file, fn, &b, err), TLPU_OK);
            ck_assert_int_eq(a.dtype, dt);
            ck_assert_uint_eq(a.ndim, nd);
            for (unsigned k = 0; k < TLPU_NPY_MAX_NDIM; k++)
                ck_assert_uint_eq(a.shape[k], k < nd ? sh[k] : 0);
            ck_assert_uint_eq(a.count, count);
            ck_assert_uint_eq(a.nbytes, nbytes);
            ck_assert_uint_eq(a.elem_size, tlpu_npy_dtype_size(dt));
            ck_assert_ptr_nonnull(a.data);
            assert_bytes(a.data, data, nbytes, "read");
            ck_assert_uint_eq(b.nbytes, nbytes);
            assert_bytes(b.data, data, nbytes, "parsed");
            tlpu_npy_free(&a);
            tlpu_npy_free(&b);
            free(file);
            free(data);
        }
    int tmp;
    ck_assert_int_eq(dir_count(g_dir, &tmp), 1);
    ck_assert_int_eq(tmp, 0);
}
END_TEST

/* Writing over a file replaces it whole. */
START_TEST(write_replaces)
{
    char path[600], err[ERRLEN];
    in_dir(path, sizeof path, "w.npy");
    int32_t big[1000];
    for (int i = 0; i < 1000; i++)
        big[i] = i;
    size_t sh = 1000;
    ck_assert_int_eq(tlpu_npy_write(path, TLPU_NPY_I32, 1, &sh, big, err, sizeof err), TLPU_OK);
    int8_t small = -5;
    ck_assert_int_eq(tlpu_npy_write(path, TLPU_NPY_I8, 0, NULL, &small, err, sizeof err),
                     TLPU_OK);
    struct stat sb;
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_int_eq(sb.st_size, 129);
    tlpu_npy a;
    ck_assert_int_eq(tlpu_npy_read(path, &a, err, sizeof err), TLPU_OK);
    ck_assert_int_eq(*(int8_t *)a.data, -5);
    tlpu_npy_free(&a);
    int tmp;
    ck_assert_int_eq(dir_count(g_dir, &tmp), 1);
    ck_assert_int_eq(tmp, 0);
}
END_TEST

/* ---- the header grammar ------------------------------------------------- */

static const struct accept_case {
    const char *dict;
    tlpu_npy_dtype dtype;
    int fortran;
    unsigned ndim;
    size_t shape[TLPU_NPY_MAX_NDIM];
} k_accept[] = {
    {"{'shape': (2, 3), 'fortran_order': False, 'descr': '|i1'}", TLPU_NPY_I8, 0, 2, {2, 3}},
    {"{'fortran_order': False, 'descr': '<i4', 'shape': (2, 3), }", TLPU_NPY_I32, 0, 2, {2, 3}},
    {"{\"descr\": \"<i1\", \"fortran_order\": False, \"shape\": (2,3)}", TLPU_NPY_I8, 0, 2,
     {2, 3}},
    {"{'descr': \"<i2\", \"fortran_order\": False, 'shape': (3,)}", TLPU_NPY_I16, 0, 1, {3}},
    {"{'descr':'|u1','fortran_order':False,'shape':(4,),}", TLPU_NPY_U8, 0, 1, {4}},
    {"  {  'descr'  :  '<f8'  ,  'fortran_order'  :  True  ,  'shape'  :  (  2  ,  2  ,  )  ,  }",
     TLPU_NPY_F64, 1, 2, {2, 2}},
    {"{'descr': '>i1', 'fortran_order': False, 'shape': (), }", TLPU_NPY_I8, 0, 0, {0}},
    {"{'descr': '<f2', 'fortran_order': False, 'shape': (0,), }", TLPU_NPY_F16, 0, 1, {0}},
    {"{'descr': '<i4', 'fortran_order': True, 'shape': (1, 1, 1, 1, 1, 1, 1, 1), }",
     TLPU_NPY_I32, 1, 8, {1, 1, 1, 1, 1, 1, 1, 1}},
    {"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 3, 1, 1, 2, 1, 4,), }",
     TLPU_NPY_F32, 0, 8, {1, 2, 3, 1, 1, 2, 1, 4}},
    {"{'descr': '|i1', 'fortran_order': False, 'shape': (0, 4611686018427387903), }",
     TLPU_NPY_I8, 0, 2, {0, 4611686018427387903u}},
    {"{'descr': '|i1', 'fortran_order': False, 'shape': (10,)}     ", TLPU_NPY_I8, 0, 1, {10}},
};

START_TEST(grammar_accepts)
{
    const struct accept_case *c = &k_accept[_i];
    size_t count = 1;
    for (unsigned k = 0; k < c->ndim; k++)
        count *= c->shape[k];
    size_t nbytes = count * tlpu_npy_dtype_size(c->dtype);
    uint8_t data[512] = {0};
    ck_assert_uint_le(nbytes, sizeof data);
    uint8_t buf[1024];
    size_t n = npy_aligned(buf, sizeof buf, 1, c->dict, data, nbytes);
    char err[ERRLEN];
    tlpu_npy_header h;
    ck_assert_msg(tlpu_npy_parse_header(buf, n, &h, err, sizeof err) == TLPU_OK, "%s: %s",
                  c->dict, err);
    ck_assert_int_eq(h.dtype, c->dtype);
    ck_assert_int_eq(h.fortran_order, c->fortran);
    ck_assert_uint_eq(h.ndim, c->ndim);
    for (unsigned k = 0; k < TLPU_NPY_MAX_NDIM; k++)
        ck_assert_uint_eq(h.shape[k], c->shape[k]);
    ck_assert_uint_eq(h.count, count);
    ck_assert_uint_eq(h.nbytes, nbytes);
    ck_assert_uint_eq(h.data_offset + nbytes, n);
    tlpu_npy a;
    ck_assert_int_eq(parse_exact(buf, n, &a, err), TLPU_OK);
    ck_assert_uint_eq(a.count, count);
    tlpu_npy_free(&a);
}
END_TEST

/* Dicts NumPy would not write (or could not read): FORMAT, message containing `needle`. */
static const struct reject_case {
    const char *dict;
    const char *needle;
} k_reject[] = {
    {"", "expected '{'"},
    {"[]", "expected '{'"},
    {"{'descr': '<i4', 'fortran_order': False, 'shape': (3,), ", "expected a quoted key"},
    {"{'descr': '<i4', 'fortran_order': False, 'shape': (3,)", "expected ',' or '}'"},
    {"{'descr': '<i4', 'fortran_order': False, 'shape': (3,", "expected a dimension"},
    {"{'descr': '<i4', 'fortran_order': False, 'shape': (3", "expected ',' or ')'"},
    {"{'descr': '<i4', 'fortran_order': False}", "no 'shape' key"},
    {"{'descr': '<i4', 'shape': (3,)}", "no 'fortran_order' key"},
    {"{'fortran_order': False, 'shape': (3,)}", "no 'descr' key"},
    {"{}", "no 'descr' key"},
    {"{'descr': '<i4', 'fortran_order': False, 'shape': (3,), 'extra': 1}", "unknown key"},
    {"{'Descr': '<i4', 'fortran_order': False, 'shape': (3,)}", "unknown key"},
    {"{'descr ': '<i4', 'fortran_order': False, 'shape': (3,)}", "unknown key"},
    {"{'descr': '<i4', 'descr': '<i4', 'fortran_order': False, 'shape': (3,)}", "repeated key"},
    {"{'descr': '<i4', 'fortran_order': False, 'shape': (3,), 'shape': (3,)}", "repeated key"},
    {"{'descr': '<i4', 'fortran_order': False, 'shape': [3]}", "not a tuple"},
    {"{'descr': '<i4', 'fortran_order': False, 'shape': 3}", "not a tuple"},
    {"{'descr': '<i4', 'fortran_order': False, 'shape': (3)}", "not a tuple"},
    {"{'descr': '<i4', 'fortran_order': False, 'shape': ((3,),)}", "expected a dimension"},
    {"{'descr': '<i4', 'fortran_order': False, 'shape': (3.0,)}", "not a decimal integer"},
    {"{'descr': '<i4', 'fortran_order': False, 'shape': (3e2,)}", "not a decimal integer"},
    {"{'descr': '<i4', 'fortran_order': False, 'shape': (0x3,)}", "not a decimal integer"},
    {"{'descr': '<i4', 'fortran_order': False, 'shape': (1_0,)}", "not a decimal integer"},
    {"{'descr': '<i4', 'fortran_order': False, 'shape': (3j,)}", "not a decimal integer"},
    {"{'descr': '<i4', 'fortran_order': False, 'shape': (3LL,)}", "not a decimal integer"},
    {"{'descr': '<i4', 'fortran_order': False, 'shape': (03,)}", "leading zero"},
    {"{'descr': '<i4', 'fortran_order': False, 'shape': (00,)}", "leading zero"},
    {"{'descr': '<i4', 'fortran_order': False, 'shape': (-3,)}", "negative dimension"},
    {"{'descr': '<i4', 'fortran_order': False, 'shape': (2, -1)}", "negative dimension"},
    {"{'descr': '<i4', 'fortran_order': False, 'shape': (+3,)}", "expected a dimension"},
    {"{'descr': '<i4', 'fortran_order': False, 'shape': (,)}", "expected a dimension"},
    {"{'descr': '<i4', 'fortran_order': False, 'shape': (3,,)}", "expected a dimension"},
    {"{'descr': '<i4', 'fortran_order': False, 'shape': (3 4)}", "expected ',' or ')'"},
    {"{'descr': '<i4', 'fortran_order': False, 'shape': (True,)}", "expected a dimension"},
    {"{'descr': '<i4', 'fortran_order': False, 'shape': ('3',)}", "expected a dimension"},
    {"{'descr': '<i4', 'fortran_order': false, 'shape': (3,)}", "not True or False"},
    {"{'descr': '<i4', 'fortran_order': 0, 'shape': (3,)}", "not True or False"},
    {"{'descr': '<i4', 'fortran_order': 'False', 'shape': (3,)}", "not True or False"},
    {"{'descr': '<i4', 'fortran_order': Falsey, 'shape': (3,)}", "not True or False"},
    {"{'descr': '<i4', 'fortran_order': None, 'shape': (3,)}", "not True or False"},
    {"{'descr': 4, 'fortran_order': False, 'shape': (3,)}", "not a string"},
    {"{'descr': True, 'fortran_order': False, 'shape': (3,)}", "not a string"},
    {"{'descr': b'<i4', 'fortran_order': False, 'shape': (3,)}", "not a string"},
    {"{'descr': '<i4, 'fortran_order': False, 'shape': (3,)}", "expected ',' or '}'"},
    {"{'descr': \"<i4', 'fortran_order': False, 'shape': (3,)}", "unterminated string"},
    {"{descr: '<i4', 'fortran_order': False, 'shape': (3,)}", "expected a quoted key"},
    {"{u'descr': '<i4', 'fortran_order': False, 'shape': (3,)}", "expected a quoted key"},
    {"{'descr' '<i4', 'fortran_order': False, 'shape': (3,)}", "expected ':'"},
    {"{'descr'= '<i4', 'fortran_order': False, 'shape': (3,)}", "expected ':'"},
    {"{'descr': '<i4' 'fortran_order': False, 'shape': (3,)}", "expected ',' or '}'"},
    {"{,}", "expected a quoted key"},
    {"{'descr': '<i4',, 'fortran_order': False, 'shape': (3,)}", "expected a quoted key"},
    {"{'descr':\t'<i4', 'fortran_order': False, 'shape': (3,)}", "header byte 9"},
    {"{'descr': '<i4',\n'fortran_order': False, 'shape': (3,)}", "expected a quoted key"},
    {"{'descr': '<i4', 'fortran_order': False, 'shape': (3,)}\r", "after the dict"},
    {"{'descr': '<i4', 'fortran_order': False, 'shape': (3,)} x", "after the dict"},
    {"{'descr': '<i4', 'fortran_order': False, 'shape': (3,)}{}", "after the dict"},
    {"{'descr': '<i4', 'fortran_order': False, 'shape': (3,)}\xc3\xa9", "\\xc3\\xa9"},
    {"\xa0{'descr': '<i4', 'fortran_order': False, 'shape': (3,)}", "\\xa0"},
    {"{'de\x01scr': '<i4', 'fortran_order': False, 'shape': (3,)}", "control character"},
    {"{'descr': '<i\\\t4', 'fortran_order': False, 'shape': (3,)}", "bad escape"},
    {"{'descr': '<i4', 'fortran_order': False, 'shape': (3,)}}", "after the dict"},
    {"{'descr': [('a', '<i4'), 'fortran_order': False, 'shape': (3,)}", "unexpected character"},
    {"{'descr': [('a', '<i4'], 'fortran_order': False, 'shape': (3,)}", "unbalanced"},
    {"{'descr': [('a', {}], 'fortran_order': False, 'shape': (3,)}", "unexpected character"},
    {"{'descr': [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]], "
     "'fortran_order': False, 'shape': (3,)}",
     "nested too deeply"},
};

START_TEST(grammar_rejects)
{
    const struct reject_case *c = &k_reject[_i];
    uint8_t buf[1024], data[64] = {0};
    size_t n = npy_aligned(buf, sizeof buf, 1, c->dict, data, 12);
    char err[ERRLEN];
    tlpu_npy a;
    memset(&a, 0x5a, sizeof a);
    tlpu_npy before = a;
    tlpu_status st = parse_exact(buf, n, &a, err);
    ck_assert_msg(st == TLPU_ERR_FORMAT, "%s: %s (%s)", c->dict, tlpu_status_name(st), err);
    ck_assert_msg(strstr(err, c->needle) != NULL, "%s: message '%s' lacks '%s'", c->dict, err,
                  c->needle);
    ck_assert_msg(memcmp(&a, &before, sizeof a) == 0, "output touched");
    tlpu_npy_header h;
    ck_assert_int_eq(tlpu_npy_parse_header(buf, n, &h, err, sizeof err), TLPU_ERR_FORMAT);
}
END_TEST

/* Raw header texts around the final newline and the length field. */
START_TEST(grammar_header_edges)
{
    const char *good = "{'descr': '|i1', 'fortran_order': False, 'shape': (1,), }";
    static const struct {
        const char *text; /* the whole header, final '\n' included or not */
        tlpu_status want;
        const char *needle;
    } cases[] = {
        {"", TLPU_ERR_FORMAT, "newline"},
        {"\n", TLPU_ERR_FORMAT, "expected '{'"},
        {"{'descr': '|i1', 'fortran_order': False, 'shape': (1,), }", TLPU_ERR_FORMAT,
         "newline"},
        {"{'descr': '|i1', 'fortran_order': False, 'shape': (1,), }\n ", TLPU_ERR_FORMAT,
         "newline"},
        {"{'descr': '|i1', 'fortran_order': False, 'shape': (1,), }\n\n", TLPU_ERR_FORMAT,
         "after the dict"},
        {"{'descr': '|i1', 'fortran_order': False, 'shape': (1,), }\0\n", TLPU_ERR_FORMAT,
         "\\x00"},
        {"{'descr': '|i1', 'fortran_order': False, 'shape': (1,), }\n", TLPU_OK, ""},
    };
    (void)good;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const char *t = cases[k].text;
        size_t tl = strlen(t);
        if (k == 5)
            tl = strlen(good) + 2; /* the NUL inside */
        uint8_t buf[256];
        memcpy(buf, "\x93NUMPY\x01\x00", 8);
        buf[8] = (uint8_t)tl;
        buf[9] = 0;
        memcpy(buf + 10, t, tl);
        buf[10 + tl] = 42; /* one int8 */
        char err[ERRLEN];
        tlpu_npy a;
        tlpu_status st = parse_exact(buf, 11 + tl, &a, err);
        ck_assert_msg(st == cases[k].want, "case %zu: %s (%s)", k, tlpu_status_name(st), err);
        ck_assert_msg(strstr(err, cases[k].needle) != NULL, "case %zu: '%s' lacks '%s'", k, err,
                      cases[k].needle);
        if (st == TLPU_OK) {
            ck_assert_int_eq(*(int8_t *)a.data, 42);
            ck_assert_str_eq(err, "");
            tlpu_npy_free(&a);
        }
    }
}
END_TEST

/* Valid headers of types tlpu does not read: UNSUPPORTED, naming the dtype. */
static const struct unsup_case {
    const char *descr; /* the value as written in the dict */
    const char *needle;
} k_unsup[] = {
    {"'<c8'", "'<c8' (complex)"},
    {"'<c16'", "'<c16' (complex)"},
    {"'|O'", "'|O' (Python object)"},
    {"'<U5'", "'<U5' (unicode string)"},
    {"'|S3'", "'|S3' (byte string)"},
    {"'|b1'", "'|b1' (bool)"},
    {"'<u2'", "'<u2' (unsigned integer)"},
    {"'>u4'", "'>u4' (unsigned integer)"},
    {"'<u8'", "'<u8' (unsigned integer)"},
    {"'=i4'", "'=i4' (signed integer)"},
    {"'|i4'", "'|i4' (signed integer)"},
    {"'i4'", "'i4' (signed integer)"},
    {"'<i16'", "'<i16'"},
    {"'<f16'", "'<f16' (floating point)"},
    {"'<M8[ns]'", "'<M8[ns]' (datetime64)"},
    {"'<m8[s]'", "'<m8[s]' (timedelta64)"},
    {"'|V8'", "'|V8' (raw bytes (void))"},
    {"'float32'", "'float32'"},
    {"''", "''"},
    {"'<'", "'<' (unknown type)"},
    {"'\\x3ci4'", "'\\\\x3ci4'"},
    {"'<\xc3\xa9" "4'", "'<\\xc3\\xa94'"},
    {"[('a', '<i4'), ('b', '<f8')]", "structured dtype [('a', '<i4'), ('b', '<f8')]"},
    {"[('x', '<f4', (2, 3)), ('', '|V4')]", "structured"},
    {"('<i4', (2,))", "subarray dtype ('<i4', (2,))"},
};

START_TEST(unsupported_dtypes)
{
    const struct unsup_case *c = &k_unsup[_i];
    char dict[256], err[ERRLEN];
    snprintf(dict, sizeof dict, "{'descr': %s, 'fortran_order': False, 'shape': (2,), }",
             c->descr);
    uint8_t buf[512], data[64] = {0};
    size_t n = npy_aligned(buf, sizeof buf, 3, dict, data, 8);
    tlpu_npy a;
    tlpu_status st = parse_exact(buf, n, &a, err);
    ck_assert_msg(st == TLPU_ERR_UNSUPPORTED, "%s: %s (%s)", c->descr, tlpu_status_name(st), err);
    ck_assert_msg(strstr(err, c->needle) != NULL, "%s: '%s' lacks '%s'", c->descr, err,
                  c->needle);
}
END_TEST

START_TEST(unsupported_ndim_version_header)
{
    char err[ERRLEN];
    tlpu_npy a;
    uint8_t buf[512], data[8] = {0};

    size_t n = npy_aligned(
        buf, sizeof buf, 1,
        "{'descr': '|i1', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1, 1, 1, 1, 1), }", data,
        1);
    ck_assert_int_eq(parse_exact(buf, n, &a, err), TLPU_ERR_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(err, "9 dimensions"));

    /* versions: only 1.0, 2.0, 3.0 */
    static const uint8_t bad[][2] = {{0, 0}, {1, 1}, {2, 1}, {4, 0}, {255, 255}, {0, 1}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        n = npy_aligned(buf, sizeof buf, 2, k_dict_2x3_i1, data, 6);
        buf[6] = bad[k][0];
        buf[7] = bad[k][1];
        ck_assert_int_eq(parse_exact(buf, n, &a, err), TLPU_ERR_UNSUPPORTED);
        char want[64];
        snprintf(want, sizeof want, "version %u.%u", bad[k][0], bad[k][1]);
        ck_assert_msg(strstr(err, want) != NULL, "'%s' lacks '%s'", err, want);
    }

    /* a 70000-byte (valid, padded) 2.0 header is over the limit */
    size_t big = 12 + 70000 + 6;
    uint8_t *p = malloc(big);
    ck_assert_ptr_nonnull(p);
    memcpy(p, "\x93NUMPY\x02\x00", 8);
    p[8] = (uint8_t)70000;
    p[9] = (uint8_t)(70000 >> 8);
    p[10] = (uint8_t)(70000 >> 16);
    p[11] = 0;
    memset(p + 12, ' ', 70000);
    memcpy(p + 12, k_dict_2x3_i1, strlen(k_dict_2x3_i1));
    p[12 + 70000 - 1] = '\n';
    ck_assert_int_eq(tlpu_npy_parse(p, big, &a, err, sizeof err), TLPU_ERR_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(err, "70000"));
    /* at the limit it is fine */
    size_t lim = TLPU_NPY_MAX_HEADER;
    p[8] = (uint8_t)lim;
    p[9] = (uint8_t)(lim >> 8);
    p[10] = (uint8_t)(lim >> 16);
    p[12 + lim - 1] = '\n';
    memcpy(p + 12 + lim, "\0\1\2\3\4\5", 6);
    ck_assert_int_eq(tlpu_npy_parse(p, 12 + lim + 6, &a, err, sizeof err), TLPU_OK);
    tlpu_npy_free(&a);
    free(p);
}
END_TEST

/* Sizes: OVERFLOW when a dimension or the byte count passes PTRDIFF_MAX;
 * a huge but representable claim is FORMAT (truncated), never an allocation. */
static const struct size_case {
    const char *descr;
    const char *shape;
    tlpu_status want;
    const char *needle;
} k_sizes[] = {
    {"|i1", "(18446744073709551616,)", TLPU_ERR_OVERFLOW, "dimension 0 (18446744073709551616)"},
    {"|i1", "(18446744073709551615,)", TLPU_ERR_OVERFLOW, "dimension 0"},
    {"|i1", "(99999999999999999999999999999999999999999999999999,)", TLPU_ERR_OVERFLOW,
     "dimension 0"},
    {"|i1", "(9223372036854775808,)", TLPU_ERR_OVERFLOW, "dimension 0"},
    {"<i2", "(4611686018427387904,)", TLPU_ERR_OVERFLOW, "dimension 0"},
    {"|i1", "(4294967296, 4294967296)", TLPU_ERR_OVERFLOW, "dimension 1 (4294967296)"},
    {"<i4", "(2147483648, 2147483648)", TLPU_ERR_OVERFLOW, "dimension 1"},
    {"|i1", "(0, 4294967296, 4294967296)", TLPU_ERR_OVERFLOW, "dimension 2"},
    {"<f8", "(3, 5, 7, 11, 13, 17, 19, 99999999999999)", TLPU_ERR_OVERFLOW, "dimension 7"},
    {"|i1", "(9223372036854775807,)", TLPU_ERR_FORMAT,
     "9223372036854775807 data bytes at offset 128"},
    {"|i1", "(1152921504606846976,)", TLPU_ERR_FORMAT,
     "header says 1152921504606846976 int8 = 1152921504606846976 data bytes"},
    {"<i4", "(1073741824, 1073741824)", TLPU_ERR_FORMAT, "1073741824x1073741824 int32"},
    {"|i1", "(0, 4294967296, 0)", TLPU_ERR_FORMAT, "0x4294967296x0 int8 = 0 data bytes"},
};

START_TEST(size_limits)
{
    const struct size_case *c = &k_sizes[_i];
    char dict[256], err[ERRLEN];
    snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
             c->descr, c->shape);
    uint8_t buf[512], data[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    size_t n = npy_aligned(buf, sizeof buf, 1, dict, data, 8);
    ck_assert_uint_eq(n, 128 + 8);
    tlpu_npy a;
    tlpu_status st = parse_exact(buf, n, &a, err);
    ck_assert_msg(st == c->want, "%s: %s (%s)", c->shape, tlpu_status_name(st), err);
    ck_assert_msg(strstr(err, c->needle) != NULL, "%s: '%s' lacks '%s'", c->shape, err,
                  c->needle);
    /* and through a file: the same answer, before any large allocation */
    char path[600];
    write_raw(in_dir(path, sizeof path, "s.npy"), buf, n);
    ck_assert_int_eq(tlpu_npy_read(path, &a, err, sizeof err), c->want);
}
END_TEST

/* The message the brief asks for, through a file. */
START_TEST(truncated_message)
{
    char path[600], err[ERRLEN], want[1024];
    in_dir(path, sizeof path, "x.npy");
    uint8_t buf[512], data[100] = {0};
    size_t n = npy_bytes(buf, sizeof buf, 1,
                         "{'descr': '|i1', 'fortran_order': False, 'shape': (64, 2560), }", 54,
                         data, 100);
    ck_assert_uint_eq(n, 228);
    write_raw(path, buf, n);
    tlpu_npy a;
    ck_assert_int_eq(tlpu_npy_read(path, &a, err, sizeof err), TLPU_ERR_FORMAT);
    snprintf(want, sizeof want,
             "%s: truncated: header says 64x2560 int8 = 163840 data bytes at offset 128 "
             "(163968 in all), file has 228 bytes",
             path);
    ck_assert_str_eq(err, want);

    /* trailing data */
    uint8_t *more = malloc(128 + 163840 + 3);
    ck_assert_ptr_nonnull(more);
    memcpy(more, buf, 128);
    memset(more + 128, 1, 163843);
    write_raw(path, more, 128 + 163843);
    ck_assert_int_eq(tlpu_npy_read(path, &a, err, sizeof err), TLPU_ERR_FORMAT);
    snprintf(want, sizeof want,
             "%s: trailing data: header says 64x2560 int8 = 163840 data bytes at offset 128 "
             "(163968 in all), file has 163971 bytes",
             path);
    ck_assert_str_eq(err, want);
    ck_assert_int_eq(tlpu_npy_parse(more, 128 + 163841, &a, err, sizeof err), TLPU_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(err, "trailing data"));
    /* exact: fine */
    ck_assert_int_eq(tlpu_npy_parse(more, 128 + 163840, &a, err, sizeof err), TLPU_OK);
    ck_assert_uint_eq(a.count, 163840);
    tlpu_npy_free(&a);
    free(more);
}
END_TEST

/* ---- hostile inputs ------------------------------------------------------- */

/* Valid files to attack: several versions, dtypes, orders. */
static size_t base_file(int which, uint8_t *buf, size_t cap)
{
    static const uint8_t d[48] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12,
                                  13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
                                  25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36,
                                  37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48};
    switch (which) {
    case 0:
        return npy_bytes(buf, cap, 1, k_dict_2x3_i1, 58, d, 6);
    case 1:
        return npy_bytes(buf, cap, 2, k_dict_2x3_i1, 56, d, 6);
    case 2:
        return npy_aligned(buf, cap, 3,
                           "{'descr': '>i2', 'fortran_order': True, 'shape': (2, 3, 4), }", d, 48);
    case 3:
        return npy_aligned(buf, cap, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (), }",
                           d, 8);
    default:
        return npy_aligned(buf, cap, 1,
                           "{\"shape\":(3L,2L,),\"descr\":\"<f4\",\"fortran_order\":False}", d, 24);
    }
}
#define N_BASE 5

/* Every proper prefix of a valid file is FORMAT; the header alone parses. */
START_TEST(every_truncation)
{
    char err[ERRLEN];
    for (int w = 0; w < N_BASE; w++) {
        uint8_t buf[512];
        size_t n = base_file(w, buf, sizeof buf);
        tlpu_npy_header h;
        ck_assert_int_eq(tlpu_npy_parse_header(buf, n, &h, err, sizeof err), TLPU_OK);
        tlpu_npy a;
        ck_assert_int_eq(parse_exact(buf, n, &a, err), TLPU_OK);
        tlpu_npy_free(&a);
        for (size_t len = 0; len < n; len++) {
            tlpu_status st = parse_exact(buf, len, &a, err);
            if (st != TLPU_ERR_FORMAT)
                ck_abort_msg("file %d cut at %zu: %s (%s)", w, len, tlpu_status_name(st), err);
            if (strstr(err, "truncated") == NULL && strstr(err, "empty") == NULL)
                ck_abort_msg("file %d cut at %zu: '%s'", w, len, err);
            uint8_t *c = exact_copy(buf, len);
            st = tlpu_npy_parse_header(c, len, &h, err, sizeof err);
            free(c);
            tlpu_npy_header full;
            tlpu_npy_parse_header(buf, n, &full, NULL, 0);
            if ((st == TLPU_OK) != (len >= full.data_offset))
                ck_abort_msg("file %d header cut at %zu: %s", w, len, tlpu_status_name(st));
        }
        /* a few cuts through the file reader too */
        char path[600];
        in_dir(path, sizeof path, "t.npy");
        const size_t cuts[] = {0, 5, 9, 11, 64, n - 1};
        for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
            write_raw(path, buf, cuts[k]);
            ck_assert_int_eq(tlpu_npy_read(path, &a, err, sizeof err), TLPU_ERR_FORMAT);
            ck_assert_ptr_nonnull(strstr(err, path));
        }
    }
}
END_TEST

START_TEST(bad_preambles)
{
    char err[ERRLEN];
    tlpu_npy a;
    uint8_t buf[512];
    size_t n = base_file(0, buf, sizeof buf);
    /* each magic byte wrong */
    for (int k = 0; k < 6; k++) {
        uint8_t *c = exact_copy(buf, n);
        c[k] ^= 0x20;
        ck_assert_int_eq(tlpu_npy_parse(c, n, &a, err, sizeof err), TLPU_ERR_FORMAT);
        ck_assert_ptr_nonnull(strstr(err, "not a .npy file"));
        free(c);
    }
    ck_assert_int_eq(parse_exact((const uint8_t *)"PK\3\4", 4, &a, err), TLPU_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(err, "starts with \"PK\\x03\\x04\""));
    ck_assert_int_eq(parse_exact(buf, 0, &a, err), TLPU_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(err, "empty"));

    /* header length past the end: 1.0 with 0xffff, 2.0 with 0xffffffff, and one too many */
    uint8_t *c = exact_copy(buf, n);
    c[8] = c[9] = 0xff;
    ck_assert_int_eq(tlpu_npy_parse(c, n, &a, err, sizeof err), TLPU_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(err, "header length is 65535 bytes but the file has 124"));
    c[8] = 119; /* 118 + 1: the data's first byte would be the last header byte */
    c[9] = 0;
    ck_assert_int_eq(tlpu_npy_parse(c, n, &a, err, sizeof err), TLPU_ERR_FORMAT);
    c[8] = 0; /* header length 0 */
    ck_assert_int_eq(tlpu_npy_parse(c, n, &a, err, sizeof err), TLPU_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(err, "newline"));
    free(c);
    n = base_file(1, buf, sizeof buf);
    c = exact_copy(buf, n);
    c[8] = c[9] = c[10] = c[11] = 0xff;
    ck_assert_int_eq(tlpu_npy_parse(c, n, &a, err, sizeof err), TLPU_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(err, "4294967295"));
    c[8] = 116;
    c[9] = c[10] = 0;
    c[11] = 1; /* 2^24 + 116 */
    ck_assert_int_eq(tlpu_npy_parse(c, n, &a, err, sizeof err), TLPU_ERR_FORMAT);
    free(c);
}
END_TEST

/* Interesting bytes for mutations. */
static const char k_interesting[] = "{}()[],:' \"0123456789-LTF\n\t\\\x00\x7f\x80\xff";

/* The invariants of any successful parse. */
static void check_ok(const tlpu_npy *a, size_t len, const uint8_t *buf)
{
    size_t count = 1;
    for (unsigned k = 0; k < a->ndim; k++)
        count *= a->shape[k];
    tlpu_npy_header h;
    if (a->ndim > TLPU_NPY_MAX_NDIM || count != a->count ||
        a->elem_size != tlpu_npy_dtype_size(a->dtype) || a->nbytes != count * a->elem_size ||
        a->data == NULL || tlpu_npy_parse_header(buf, len, &h, NULL, 0) != TLPU_OK ||
        h.data_offset + h.nbytes != len)
        ck_abort_msg("inconsistent array after a successful parse");
}

/* One parse of hostile bytes: allowed outcomes only, message set, no leak. */
static int fuzz_one(const uint8_t *p, size_t n)
{
    char err[80];
    uint8_t *c = exact_copy(p, n);
    tlpu_npy a;
    memset(err, 'x', sizeof err);
    tlpu_status st = tlpu_npy_parse(c, n, &a, err, sizeof err);
    if (memchr(err, '\0', sizeof err) == NULL)
        ck_abort_msg("message not terminated");
    if (st == TLPU_OK) {
        check_ok(&a, n, c);
        tlpu_npy_free(&a);
    } else if (st != TLPU_ERR_FORMAT && st != TLPU_ERR_UNSUPPORTED && st != TLPU_ERR_OVERFLOW) {
        ck_abort_msg("status %s (%s)", tlpu_status_name(st), err);
    } else if (err[0] == '\0') {
        ck_abort_msg("error %s without a message", tlpu_status_name(st));
    }
    tlpu_npy_header h;
    tlpu_status sh = tlpu_npy_parse_header(c, n, &h, NULL, 0);
    if (st == TLPU_OK && sh != TLPU_OK)
        ck_abort_msg("parse OK but parse_header %s", tlpu_status_name(sh));
    free(c);
    return st == TLPU_OK;
}

START_TEST(random_mutations)
{
    tlpu_rng r = tlpu_rng_seed(0x6d757461746532ull);
    int ok = 0, runs = 0;
    for (int w = 0; w < N_BASE; w++) {
        uint8_t base[512];
        size_t bn = base_file(w, base, sizeof base);
        for (int it = 0; it < 1000; it++, runs++) {
            uint8_t m[600];
            size_t n = bn;
            memcpy(m, base, bn);
            int edits = 1 + (int)tlpu_rng_below(&r, 4);
            for (int e = 0; e < edits; e++) {
                size_t pos = n ? (size_t)tlpu_rng_below(&r, n) : 0;
                /* mostly inside the preamble and header, where the parser works */
                if (tlpu_rng_below(&r, 4) != 0 && n > 0)
                    pos = (size_t)tlpu_rng_below(&r, n < 140 ? n : 140);
                switch (tlpu_rng_below(&r, 7)) {
                case 0: /* random byte */
                    if (n)
                        m[pos] = (uint8_t)tlpu_rng_next(&r);
                    break;
                case 1: /* interesting byte */
                    if (n)
                        m[pos] = (uint8_t)k_interesting[tlpu_rng_below(&r, sizeof k_interesting - 1)];
                    break;
                case 2: /* flip a bit */
                    if (n)
                        m[pos] ^= (uint8_t)(1u << tlpu_rng_below(&r, 8));
                    break;
                case 3: /* insert a byte */
                    if (n < sizeof m - 1) {
                        memmove(m + pos + 1, m + pos, n - pos);
                        m[pos] = (uint8_t)k_interesting[tlpu_rng_below(&r, sizeof k_interesting - 1)];
                        n++;
                    }
                    break;
                case 4: /* delete a byte */
                    if (n) {
                        memmove(m + pos, m + pos + 1, n - pos - 1);
                        n--;
                    }
                    break;
                case 5: /* cut or extend */
                    if (tlpu_rng_below(&r, 2) && n)
                        n = (size_t)tlpu_rng_below(&r, n);
                    else
                        while (n < sizeof m && tlpu_rng_below(&r, 8))
                            m[n++] = (uint8_t)tlpu_rng_next(&r);
                    break;
                default: /* random header length */
                    if (n > 9) {
                        m[8] = (uint8_t)tlpu_rng_next(&r);
                        m[9] = (uint8_t)tlpu_rng_below(&r, 2);
                    }
                    break;
                }
            }
            ok += fuzz_one(m, n);
        }
    }
    /* plain random bytes, with and without the magic */
    for (int it = 0; it < 500; it++, runs++) {
        uint8_t m[300];
        size_t n = (size_t)tlpu_rng_below(&r, sizeof m);
        fill_random(&r, m, n);
        if (it & 1 && n >= 8)
            memcpy(m, "\x93NUMPY\x01\x00", 8);
        ok += fuzz_one(m, n);
    }
    ck_assert_int_eq(runs, N_BASE * 1000 + 500);
    ck_assert_int_gt(ok, 0); /* some mutations (e.g. in the data) stay valid */
}
END_TEST

/* Headers made of grammar tokens in random order: exercises every parser path. */
START_TEST(token_soup)
{
    static const char *tok[] = {
        "{",        "}",        "(",       ")",        "[",       "]",     ",",         ":",
        " ",        "  ",       "'descr'", "'shape'",  "'fortran_order'", "\"descr\"",
        "'<i4'",    "'|i1'",    "'>f8'",   "'<c8'",    "True",    "False", "0",         "1",
        "3",        "12",       "L",       "-",        "'",       "\"",    "\\",        "\x80",
        "\t",       "18446744073709551616", "9223372036854775807", "4294967296", "'a'", "x",
    };
    const size_t ntok = sizeof tok / sizeof tok[0];
    tlpu_rng r = tlpu_rng_seed(0x736f7570ull);
    int ok = 0;
    for (int it = 0; it < 3000; it++) {
        char dict[400];
        size_t dl = 0;
        if (it % 3 == 0) {
            /* a plausible dict with random small dims, so that some parse */
            unsigned nd = (unsigned)tlpu_rng_below(&r, 10);
            static const char *ds[] = {"'|i1'", "'<i2'", "'>i4'", "'<f8'", "'<c8'"};
            dl = (size_t)snprintf(dict, sizeof dict, "{'shape': (");
            for (unsigned k = 0; k < nd; k++)
                dl += (size_t)snprintf(dict + dl, sizeof dict - dl, "%u, ",
                                       (unsigned)tlpu_rng_below(&r, 4));
            dl += (size_t)snprintf(dict + dl, sizeof dict - dl,
                                   "), 'descr': %s, 'fortran_order': %s}",
                                   ds[tlpu_rng_below(&r, 5)],
                                   tlpu_rng_below(&r, 2) ? "True" : "False");
            /* and sometimes damage it with one token */
            if (tlpu_rng_below(&r, 2)) {
                size_t pos = (size_t)tlpu_rng_below(&r, dl);
                const char *t = tok[tlpu_rng_below(&r, ntok)];
                size_t tl = strlen(t);
                if (dl + tl < sizeof dict) {
                    memmove(dict + pos + tl, dict + pos, dl - pos);
                    memcpy(dict + pos, t, tl);
                    dl += tl;
                }
            }
        } else {
            int ntoks = 1 + (int)tlpu_rng_below(&r, 30);
            for (int k = 0; k < ntoks; k++) {
                const char *t = tok[tlpu_rng_below(&r, ntok)];
                size_t tl = strlen(t);
                if (dl + tl >= sizeof dict)
                    break;
                memcpy(dict + dl, t, tl);
                dl += tl;
            }
        }
        dict[dl] = '\0';
        uint8_t buf[1200], data[600];
        fill_random(&r, data, sizeof data);
        /* data length: try the length the header would need, when it parses */
        size_t n = npy_aligned(buf, sizeof buf, 1 + (unsigned)tlpu_rng_below(&r, 3), dict, data, 0);
        tlpu_npy_header h;
        size_t extra = (size_t)tlpu_rng_below(&r, 64);
        if (tlpu_npy_parse_header(buf, n, &h, NULL, 0) == TLPU_OK && h.nbytes <= 512)
            extra = h.nbytes;
        memcpy(buf + n, data, extra);
        ok += fuzz_one(buf, n + extra);
    }
    ck_assert_int_gt(ok, 100);
}
END_TEST

/* ---- argument and I/O errors ---------------------------------------------- */

START_TEST(argument_errors)
{
    char err[ERRLEN], path[600];
    uint8_t buf[256];
    size_t n = base_file(0, buf, sizeof buf);
    tlpu_npy a;
    tlpu_npy_header h;
    memset(&a, 0x5a, sizeof a);
    tlpu_npy before = a;

    ck_assert_int_eq(tlpu_npy_parse(NULL, n, &a, err, sizeof err), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_npy_parse(buf, n, NULL, err, sizeof err), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_npy_parse_header(NULL, n, &h, err, sizeof err), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_npy_parse_header(buf, n, NULL, err, sizeof err), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_npy_read(NULL, &a, err, sizeof err), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_npy_read("x.npy", NULL, err, sizeof err), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(memcmp(&a, &before, sizeof a), 0);

    /* errbuf optional, truncated to errlen */
    buf[0] = 'X';
    ck_assert_int_eq(tlpu_npy_parse(buf, n, &a, NULL, 0), TLPU_ERR_FORMAT);
    err[0] = 'q';
    ck_assert_int_eq(tlpu_npy_parse(buf, n, &a, err, 0), TLPU_ERR_FORMAT);
    ck_assert_int_eq(err[0], 'q');
    ck_assert_int_eq(tlpu_npy_parse(buf, n, &a, err, 1), TLPU_ERR_FORMAT);
    ck_assert_int_eq(err[0], '\0');
    memset(err, 'q', sizeof err);
    ck_assert_int_eq(tlpu_npy_parse(buf, n, &a, err, 8), TLPU_ERR_FORMAT);
    ck_assert_uint_eq(strlen(err), 7);
    ck_assert_int_eq(memcmp(&a, &before, sizeof a), 0);

    /* write */
    in_dir(path, sizeof path, "e.npy");
    const size_t sh[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    int8_t one = 1;
    ck_assert_int_eq(tlpu_npy_write(NULL, TLPU_NPY_I8, 1, sh, &one, err, sizeof err),
                     TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_npy_write("", TLPU_NPY_I8, 1, sh, &one, err, sizeof err),
                     TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_npy_write(path, (tlpu_npy_dtype)8, 1, sh, &one, err, sizeof err),
                     TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_npy_write(path, (tlpu_npy_dtype)-1, 1, sh, &one, err, sizeof err),
                     TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_npy_write(path, TLPU_NPY_I8, 1, NULL, &one, err, sizeof err),
                     TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_npy_write(path, TLPU_NPY_I8, 1, sh, NULL, err, sizeof err),
                     TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_npy_write(path, TLPU_NPY_I8, 9, sh, &one, err, sizeof err),
                     TLPU_ERR_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(err, "9 dimensions"));
    const size_t huge[2] = {(size_t)1 << 32, (size_t)1 << 31};
    ck_assert_int_eq(tlpu_npy_write(path, TLPU_NPY_I8, 2, huge, &one, err, sizeof err),
                     TLPU_ERR_OVERFLOW);
    ck_assert_int_eq(tlpu_npy_write(path, TLPU_NPY_I16, 2, huge, &one, err, sizeof err),
                     TLPU_ERR_OVERFLOW);
    const size_t zhuge[3] = {0, (size_t)1 << 32, (size_t)1 << 32};
    ck_assert_int_eq(tlpu_npy_write(path, TLPU_NPY_I8, 3, zhuge, NULL, err, sizeof err),
                     TLPU_ERR_OVERFLOW);
    ck_assert_uint_eq(tlpu_npy_header_bytes(TLPU_NPY_I8, 2, huge, NULL, 0), 0);
    ck_assert_uint_eq(tlpu_npy_header_bytes(TLPU_NPY_I8, 9, sh, NULL, 0), 0);
    ck_assert_uint_eq(tlpu_npy_header_bytes(TLPU_NPY_I8, 1, NULL, NULL, 0), 0);
    ck_assert_uint_eq(tlpu_npy_header_bytes((tlpu_npy_dtype)8, 1, sh, NULL, 0), 0);
    int tmp;
    ck_assert_int_eq(dir_count(g_dir, &tmp), 0);

    /* no elements: data may be NULL; a scalar needs no shape */
    const size_t z[2] = {4, 0};
    ck_assert_int_eq(tlpu_npy_write(path, TLPU_NPY_F32, 2, z, NULL, err, sizeof err),
                     TLPU_OK);
    ck_assert_int_eq(tlpu_npy_read(path, &a, err, sizeof err), TLPU_OK);
    ck_assert_uint_eq(a.count, 0);
    ck_assert_ptr_nonnull(a.data);
    tlpu_npy_free(&a);
    ck_assert_int_eq(tlpu_npy_write(path, TLPU_NPY_I8, 0, NULL, &one, err, sizeof err), TLPU_OK);
}
END_TEST

START_TEST(io_errors)
{
    char err[ERRLEN], path[600], want[700];
    tlpu_npy a;
    const size_t sh = 3;
    const int16_t v[3] = {1, 2, 3};

    /* reading what is not there, or not a file */
    in_dir(path, sizeof path, "missing.npy");
    ck_assert_int_eq(tlpu_npy_read(path, &a, err, sizeof err), TLPU_ERR_IO);
    snprintf(want, sizeof want, "%s: cannot open: ", path);
    ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "'%s'", err);
    ck_assert_int_eq(tlpu_npy_read(g_dir, &a, err, sizeof err), TLPU_ERR_IO);
    ck_assert_ptr_nonnull(strstr(err, "not a regular file"));

    /* writing into a directory that does not exist */
    in_dir(path, sizeof path, "nope/x.npy");
    ck_assert_int_eq(tlpu_npy_write(path, TLPU_NPY_I16, 1, &sh, v, err, sizeof err),
                     TLPU_ERR_IO);
    ck_assert_ptr_nonnull(strstr(err, "cannot create a temporary file"));

    /* the target is a non-empty directory: rename fails, nothing is left behind */
    char sub[700], inner[800];
    in_dir(sub, sizeof sub, "dir.npy");
    ck_assert_int_eq(mkdir(sub, 0777), 0);
    snprintf(inner, sizeof inner, "%s/keep", sub);
    write_raw(inner, (const uint8_t *)"k", 1);
    ck_assert_int_eq(tlpu_npy_write(sub, TLPU_NPY_I16, 1, &sh, v, err, sizeof err),
                     TLPU_ERR_IO);
    ck_assert_ptr_nonnull(strstr(err, "cannot rename"));
    /* a device is written in place, not replaced by a file */
    ck_assert_int_eq(tlpu_npy_write("/dev/null", TLPU_NPY_I16, 1, &sh, v, err, sizeof err),
                     TLPU_OK);
    struct stat dn;
    ck_assert_int_eq(stat("/dev/null", &dn), 0);
    ck_assert(S_ISCHR(dn.st_mode));
    int tmp;
    ck_assert_int_eq(dir_count(g_dir, &tmp), 1);
    ck_assert_int_eq(tmp, 0);
    ck_assert_int_eq(dir_count(sub, &tmp), 1);
}
END_TEST

/* A write that fails part way (file size limit) leaves the old file whole. */
START_TEST(failed_write_leaves_old_file)
{
    char err[ERRLEN], path[600];
    in_dir(path, sizeof path, "old.npy");
    const size_t sh = 3;
    const int16_t v[3] = {1, 2, 3};
    ck_assert_int_eq(tlpu_npy_write(path, TLPU_NPY_I16, 1, &sh, v, err, sizeof err), TLPU_OK);

    struct rlimit old;
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    struct rlimit lim = old;
    lim.rlim_cur = 65536;
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);

    const size_t big = 1u << 20;
    uint8_t *data = calloc(big, 1);
    ck_assert_ptr_nonnull(data);
    tlpu_status st = tlpu_npy_write(path, TLPU_NPY_U8, 1, &big, data, err, sizeof err);

    signal(SIGXFSZ, prev);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
    free(data);

    ck_assert_msg(st == TLPU_ERR_IO, "%s (%s)", tlpu_status_name(st), err);
    ck_assert_ptr_nonnull(strstr(err, "writing 1048704 bytes failed"));
    int tmp;
    ck_assert_int_eq(dir_count(g_dir, &tmp), 1);
    ck_assert_int_eq(tmp, 0);
    tlpu_npy a;
    ck_assert_int_eq(tlpu_npy_read(path, &a, err, sizeof err), TLPU_OK);
    ck_assert_int_eq(a.dtype, TLPU_NPY_I16);
    ck_assert_uint_eq(a.count, 3);
    ck_assert_int_eq(((int16_t *)a.data)[2], 3);
    tlpu_npy_free(&a);
}
END_TEST

/* ---- suite -------------------------------------------------------------------- */

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

static TCase *tcase(Suite *s, const char *name)
{
    TCase *tc = tcase_create(name);
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
    suite_add_tcase(s, tc);
    return tc;
}

int main(void)
{
    Suite *s = suite_create("npy");
    TCase *tc = tcase(s, "numpy_bytes");
    tcase_add_test(tc, dtype_names_and_sizes);
    tcase_add_test(tc, numpy_int8_2x3_exact);
    tcase_add_loop_test(tc, numpy_cases_exact, 0, COUNT(k_numpy));
    tcase_add_test(tc, numpy_values);
    tcase_add_test(tc, numpy_versions_and_padding);
    tcase_add_test(tc, numpy_fortran_order);
    tcase_add_test(tc, numpy_big_endian);

    tc = tcase(s, "round_trip");
    tcase_add_test(tc, round_trip_every_dtype);
    tcase_add_test(tc, write_replaces);

    tc = tcase(s, "grammar");
    tcase_add_loop_test(tc, grammar_accepts, 0, COUNT(k_accept));
    tcase_add_loop_test(tc, grammar_rejects, 0, COUNT(k_reject));
    tcase_add_test(tc, grammar_header_edges);
    tcase_add_loop_test(tc, unsupported_dtypes, 0, COUNT(k_unsup));
    tcase_add_test(tc, unsupported_ndim_version_header);
    tcase_add_loop_test(tc, size_limits, 0, COUNT(k_sizes));
    tcase_add_test(tc, truncated_message);

    tc = tcase(s, "hostile");
    tcase_add_test(tc, every_truncation);
    tcase_add_test(tc, bad_preambles);
    tcase_add_test(tc, random_mutations);
    tcase_add_test(tc, token_soup);

    tc = tcase(s, "errors");
    tcase_add_test(tc, argument_errors);
    tcase_add_test(tc, io_errors);
    tcase_add_test(tc, failed_write_leaves_old_file);
    return test_run_suite(s);
}
