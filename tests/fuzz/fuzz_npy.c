/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_npy - libFuzzer target for the .npy parser (tlpu/npy.h): any bytes
 * give an array or a named error, never a crash or an out-of-bounds read. */
#include <stdint.h>
#include <stdlib.h>

#include "tlpu/npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tlpu_npy a;
    char err[256];
    if (tlpu_npy_parse(data, size, &a, err, sizeof err) == TLPU_OK) {
        if (!a.data || a.nbytes != a.count * a.elem_size)
            abort();
        tlpu_npy_free(&a);
    } else if (!err[0]) {
        abort(); /* every error names its problem */
    }
    return 0;
}
