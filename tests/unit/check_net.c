/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check_net - network descriptions (tlpu/net.h): the built-in shapes of
 * ../shared/field-notes.md §3, user JSON files, and every bad file's error.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"
#include "tlpu/net.h"

START_TEST(test_builtins)
{
    static const struct {
        const char *name;
        uint32_t layers, qo, kv, ffn, hidden;
    } want[] = {{"bitnet-0.7b", 24, 1536, 1536, 4096, 1536},
                {"bitnet-1.3b", 24, 2048, 2048, 5460, 2048},
                {"bitnet-3b", 26, 3200, 3200, 8640, 3200},
                {"bitnet-2b4t", 30, 2560, 640, 6912, 2560},
                {"llama3-8b-1.58", 32, 4096, 1024, 14336, 4096}};
    int n = 0;
    for (const char *const *p = tlpu_net_builtin_names(); *p; p++)
        n++;
    ck_assert_int_eq(n, 5);
    for (int i = 0; i < 5; i++) {
        tlpu_net net;
        ck_assert_int_eq(tlpu_net_builtin(want[i].name, &net), TLPU_OK);
        ck_assert_uint_eq(net.layers, want[i].layers);
        ck_assert_uint_eq(net.nlinear, 7);
        const char *names[7] = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                                "down_proj"};
        uint32_t in[7] = {want[i].hidden, want[i].hidden, want[i].hidden, want[i].qo,
                          want[i].hidden, want[i].hidden, want[i].ffn};
        uint32_t out[7] = {want[i].qo, want[i].kv, want[i].kv, want[i].hidden,
                           want[i].ffn, want[i].ffn, want[i].hidden};
        uint64_t per = 0;
        for (int j = 0; j < 7; j++) {
            ck_assert_str_eq(net.linear[j].name, names[j]);
            ck_assert_uint_eq(net.linear[j].in, in[j]);
            ck_assert_uint_eq(net.linear[j].out, out[j]);
            per += (uint64_t)in[j] * out[j];
        }
        ck_assert_uint_eq(tlpu_net_linear_params(&net), per * want[i].layers);
    }
    /* 2B4T: 30 x (2 x 2560^2 + 2 x 640 x 2560 + 3 x 6912 x 2560) = 2.08 G ternary weights */
    tlpu_net b;
    ck_assert_int_eq(tlpu_net_builtin("bitnet-2b4t", &b), TLPU_OK);
    ck_assert_uint_eq(tlpu_net_linear_params(&b), 2084044800ull);
    ck_assert_int_eq(tlpu_net_builtin("gpt-5", &b), TLPU_ERR_INVALID_ARG);
    char err[256];
    ck_assert_int_eq(tlpu_net_open("gpt5", &b, err, sizeof err), TLPU_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(err, "bitnet-2b4t"));
}
END_TEST

static const char *write_tmp(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/tlpu-net-%d.json", (int)getpid());
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return path;
}

START_TEST(test_user_files)
{
    tlpu_net n;
    char err[256];
    const char *p = write_tmp("{\"name\": \"tiny\", \"layers\": 2, \"hidden\": 64, \"vocab\": 100,"
                              " \"tied_embeddings\": true, \"linears\": ["
                              "{\"name\": \"qkv\", \"in\": 64, \"out\": 192},"
                              "{\"name\": \"mlp\", \"in\": 64, \"out\": 256, \"repeat\": 2}]}");
    ck_assert_int_eq(tlpu_net_load(p, &n, err, sizeof err), TLPU_OK);
    ck_assert_str_eq(n.name, "tiny");
    ck_assert_uint_eq(n.nlinear, 2);
    ck_assert_uint_eq(n.linear[1].repeat, 2);
    ck_assert_uint_eq(tlpu_net_linear_params(&n), 2ull * (64 * 192 + 2 * 64 * 256));
    ck_assert_uint_eq(tlpu_net_other_params(&n), 100ull * 64 + 64ull * 5);
    ck_assert_int_eq(tlpu_net_open(p, &n, err, sizeof err), TLPU_OK);

    static const struct {
        const char *text, *msg;
        tlpu_status st;
    } bad[] = {
        {"{\"name\": \"x\", \"layers\": 2, \"linears\": [", "not valid JSON", TLPU_ERR_FORMAT},
        {"[1, 2]", "top level must be an object", TLPU_ERR_FORMAT},
        {"{\"layers\": 2, \"linears\": [{\"name\": \"a\", \"in\": 1, \"out\": 1}]}", "\"name\"",
         TLPU_ERR_FORMAT},
        {"{\"name\": \"x\", \"linears\": [{\"name\": \"a\", \"in\": 1, \"out\": 1}]}",
         "missing \"layers\"", TLPU_ERR_FORMAT},
        {"{\"name\": \"x\", \"layers\": 0, \"linears\": [{\"name\": \"a\", \"in\": 1, \"out\": 1}]}",
         "\"layers\" is 0", TLPU_ERR_RANGE},
        {"{\"name\": \"x\", \"layers\": \"2\", \"linears\": []}", "must be an integer",
         TLPU_ERR_FORMAT},
        {"{\"name\": \"x\", \"layers\": 2, \"linears\": []}", "\"linears\" must be an array",
         TLPU_ERR_FORMAT},
        {"{\"name\": \"x\", \"layers\": 2, \"linears\": [{\"name\": \"a\", \"in\": -4, \"out\": 1}]}",
         "linears[0]: \"in\" is -4", TLPU_ERR_RANGE},
        {"{\"name\": \"x\", \"layers\": 2, \"linears\": [{\"name\": \"a\", \"out\": 1}]}",
         "linears[0]: missing \"in\"", TLPU_ERR_FORMAT},
        {"{\"name\": \"x\", \"layers\": 2, \"linears\": [{\"name\": \"a\", \"in\": 1, \"out\": 1, "
         "\"bias\": true}]}", "unknown key \"bias\"", TLPU_ERR_FORMAT},
        {"{\"name\": \"x\", \"layers\": 2, \"colour\": 1, \"linears\": []}", "unknown key \"colour\"",
         TLPU_ERR_FORMAT},
        {"{\"name\": \"x\", \"layers\": 2, \"tied_embeddings\": 1, \"linears\": [{\"name\": \"a\", "
         "\"in\": 1, \"out\": 1}]}", "true or false", TLPU_ERR_FORMAT},
        {"{\"name\": \"x\", \"name\": \"y\", \"layers\": 2, \"linears\": []}", "not valid JSON",
         TLPU_ERR_FORMAT}, /* duplicate key */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        p = write_tmp(bad[i].text);
        memset(&n, 0x5A, sizeof n);
        tlpu_net before = n;
        tlpu_status st = tlpu_net_load(p, &n, err, sizeof err);
        ck_assert_msg(st == bad[i].st, "case %zu: status %d, want %d (%s)", i, st, bad[i].st, err);
        ck_assert_msg(strstr(err, bad[i].msg) != NULL, "case %zu: '%s' lacks '%s'", i, err,
                      bad[i].msg);
        ck_assert_msg(strstr(err, p) != NULL, "case %zu: '%s' does not name the file", i, err);
        ck_assert_mem_eq(&n, &before, sizeof n); /* nothing written */
    }
    unlink(p);
    ck_assert_int_eq(tlpu_net_load("/nonexistent/x.json", &n, err, sizeof err), TLPU_ERR_IO);
    ck_assert_ptr_nonnull(strstr(err, "cannot open"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("net");
    TCase *tc = tcase_create("net");
    tcase_add_test(tc, test_builtins);
    tcase_add_test(tc, test_user_files);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
