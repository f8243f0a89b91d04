/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu/simulate.h - one estimated BitLinear of a report run on a device
 * through the driver (tlpu sim, and sweeps with a device engine): random
 * data, the estimate's schedule, the outputs checked against the C
 * reference, the cycles and data-independent counters against the
 * estimate's, and the measured lane activity put in place of the estimated
 * one (tlpu_estimate_totals then prices it).
 */
#ifndef TLPU_SIMULATE_H
#define TLPU_SIMULATE_H

#include <stddef.h>
#include <stdint.h>

#include "tlpu/report.h"
#include "tlpu/tiler.h"
#include "tlpu/tlpu.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Runs report layer L (its m, k, n and fmt) on dev (opened from uri, which
 * only names it in L->device) with plan's schedule (NULL: the driver's
 * full search, for LPU systems), on weights with zero_frac zeros and int8
 * activations drawn from seed. Fills L->simulated, sim_exact, sim_cycles,
 * sim_counters_agree, the lane counters and, on a device that models the
 * board's time (sc:), the board and resident-weight times. Differences from
 * the estimate are reported in L, not as errors; errors are the device's
 * (err names the layer and the driver's message) or the reference's. */
tlpu_status tlpu_simulate_layer(tlpu_dev *dev, const char *uri, tlpu_report_layer *L,
                                const tlpu_tiling *plan, double zero_frac, uint64_t seed,
                                char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* TLPU_SIMULATE_H */
