/* SPDX-License-Identifier: Apache-2.0 */
/* dram.c - device-DRAM model with latency, bandwidth, random stalls and
 * protocol checks (see dram.h). */
#include "dram.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fault(tlpu_dram *d, uint64_t cycle, const char *fmt, ...)
{
    if (d->fault[0])
        return; /* keep the first one */
    int n = snprintf(d->fault, sizeof d->fault, "cycle %llu: ", (unsigned long long)cycle);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->fault + n, sizeof d->fault - (size_t)n, fmt, ap);
    va_end(ap);
}

int tlpu_dram_init(tlpu_dram *d, uint64_t bytes, uint32_t beat, uint32_t width,
                   uint32_t latency, uint32_t max_burst, uint32_t max_outstanding,
                   double stall_prob, uint64_t seed)
{
    memset(d, 0, sizeof *d);
    if (bytes) {
        d->mem = calloc(1, (size_t)bytes);
        if (!d->mem)
            return -1;
    }
    d->bytes = bytes;
    d->beat = beat;
    d->interval = (beat + width - 1) / width;
    d->latency = latency;
    d->max_burst = max_burst;
    d->max_outstanding = max_outstanding < TLPU_DRAM_QUEUE ? max_outstanding : TLPU_DRAM_QUEUE;
    d->stall_prob = stall_prob;
    d->rng = tlpu_rng_seed(seed);
    return 0;
}

void tlpu_dram_free(tlpu_dram *d)
{
    free(d->mem);
    d->mem = NULL;
}

bool tlpu_dram_idle(const tlpu_dram *d)
{
    return d->rq_count == 0 && d->wq_count == 0;
}

static bool stalled(tlpu_dram *d)
{
    return d->stall_prob > 0.0 && tlpu_rng_uniform(&d->rng) < d->stall_prob;
}

const tlpu_dram_out *tlpu_dram_drive(tlpu_dram *d, uint64_t cycle)
{
    tlpu_dram_out *o = &d->out;
    /* a valid the memory raised stays up until taken (the same rule it checks) */
    bool keep_rvalid = d->have_prev && d->prev_out.rdata_valid && !d->prev.rdata_ready;

    o->rreq_ready = d->rq_count < d->max_outstanding && !stalled(d);
    o->wreq_ready = d->wq_count < d->max_outstanding && !stalled(d);
    o->rdata_valid = false;
    if (d->rq_count) {
        const tlpu_dram_req *r = &d->rq[d->rq_head];
        uint64_t t = r->first_cycle > d->rd_next ? r->first_cycle : d->rd_next;
        if (keep_rvalid) {
            o->rdata_valid = true; /* the same beat, the same bytes */
        } else if (cycle >= t && !stalled(d)) {
            o->rdata_valid = true;
            uint64_t a = r->addr + (uint64_t)r->done * d->beat; /* checked when accepted */
            if (!d->mem) {
                if (d->ext_read(d->ext, a, o->rdata, d->beat) != 0)
                    fault(d, cycle, "the memory failed a %u-byte read at 0x%llx", d->beat,
                          (unsigned long long)a);
            } else
                memcpy(o->rdata, d->mem + a, d->beat);
        }
    }
    o->wdata_ready = d->wq_count && cycle >= d->wr_next && !stalled(d);
    return o;
}

static void check_req(tlpu_dram *d, uint64_t cycle, const char *ch, uint64_t addr,
                      uint32_t beats)
{
    if (beats == 0 || beats > d->max_burst)
        fault(d, cycle, "%s request of %u beats (1..%u allowed)", ch, beats, d->max_burst);
    else if (addr % d->beat)
        fault(d, cycle, "%s request address 0x%llx is not %u-byte aligned", ch,
              (unsigned long long)addr, d->beat);
    else if (addr >= d->bytes || (uint64_t)beats * d->beat > d->bytes - addr)
        fault(d, cycle, "%s request [0x%llx, +%u beats) is outside the %llu-byte memory", ch,
              (unsigned long long)addr, beats, (unsigned long long)d->bytes);
}

void tlpu_dram_observe(tlpu_dram *d, uint64_t cycle, const tlpu_dram_in *in)
{
    const tlpu_dram_out *o = &d->out;
    /* the core's side of the handshakes: valid held, payload stable */
    if (d->have_prev) {
        const tlpu_dram_in *p = &d->prev;
        if (p->rreq_valid && !d->prev_out.rreq_ready &&
            (!in->rreq_valid || in->rreq_addr != p->rreq_addr || in->rreq_beats != p->rreq_beats))
            fault(d, cycle, "read request withdrawn or changed before it was accepted");
        if (p->wreq_valid && !d->prev_out.wreq_ready &&
            (!in->wreq_valid || in->wreq_addr != p->wreq_addr || in->wreq_beats != p->wreq_beats))
            fault(d, cycle, "write request withdrawn or changed before it was accepted");
        if (p->wdata_valid && !d->prev_out.wdata_ready &&
            (!in->wdata_valid || memcmp(in->wdata, p->wdata, d->beat) != 0))
            fault(d, cycle, "write data withdrawn or changed before it was accepted");
    }

    if (in->rreq_valid && o->rreq_ready) {
        check_req(d, cycle, "read", in->rreq_addr, in->rreq_beats);
        if (!d->fault[0]) {
            tlpu_dram_req *r = &d->rq[(d->rq_head + d->rq_count) % TLPU_DRAM_QUEUE];
            r->addr = in->rreq_addr;
            r->beats = in->rreq_beats;
            r->done = 0;
            r->first_cycle = cycle + d->latency;
            d->rq_count++;
        }
    }
    if (o->rdata_valid && in->rdata_ready) {
        tlpu_dram_req *r = &d->rq[d->rq_head];
        d->rd_beats++;
        d->rd_next = cycle + d->interval;
        if (++r->done == r->beats) {
            d->rq_head = (d->rq_head + 1) % TLPU_DRAM_QUEUE;
            d->rq_count--;
        }
    }
    if (in->wreq_valid && o->wreq_ready) {
        check_req(d, cycle, "write", in->wreq_addr, in->wreq_beats);
        if (!d->fault[0]) {
            tlpu_dram_req *w = &d->wq[(d->wq_head + d->wq_count) % TLPU_DRAM_QUEUE];
            w->addr = in->wreq_addr;
            w->beats = in->wreq_beats;
            w->done = 0;
            d->wq_count++;
        }
    }
    if (in->wdata_valid && o->wdata_ready) {
        tlpu_dram_req *w = &d->wq[d->wq_head];
        const uint64_t a = w->addr + (uint64_t)w->done * d->beat;
        if (!d->mem) {
            if (d->ext_write(d->ext, a, in->wdata, d->beat) != 0)
                fault(d, cycle, "the memory failed a %u-byte write at 0x%llx", d->beat,
                      (unsigned long long)a);
        } else
            memcpy(d->mem + a, in->wdata, d->beat);
        d->wr_beats++;
        d->wr_next = cycle + d->interval;
        if (++w->done == w->beats) {
            d->wq_head = (d->wq_head + 1) % TLPU_DRAM_QUEUE;
            d->wq_count--;
        }
    }
    d->prev = *in;
    d->prev_out = *o;
    d->have_prev = true;
}
