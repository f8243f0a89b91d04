// SPDX-License-Identifier: Apache-2.0
//
// platform.cpp - the board as a SystemC/TLM-2.0 virtual platform (tlpu/sc.h).
//
//   host --packet--> [link] --> Firmware (SC_THREAD, tlpu_fw_handle)
//                                  |-- csr  (TLM) --> Core: the Verilated core (tlpu_sim)
//                                  `-- mem  (TLM) --> Dram: timing, backed by the core's DRAM
//
// Loosely timed with temporal decoupling: the firmware thread keeps a
// tlm_quantumkeeper; its port calls annotate delays (a CSR access one core
// cycle, a DMA access the DRAM's latency plus bytes over bandwidth, a WAIT
// poll the poll interval) and sync when the quantum is used up. The core is
// stepped, cycle by cycle, up to the time of each CSR access, so it runs
// exactly as in the plain harness: same cycles, same counters.
//
// An LPU system (chips >= 1) replaces the board's DRAM by each chip's SRAM:
//
//   host --packet--> [link] --> Firmware (chip 0) -- csr --> Core 0
//                                  `-- mem --> Router --> chip c's SRAM (c2c hops for c > 0)
//   MC_RUN: Chip threads 0..N-1 run their op streams: SEND / RECV over the
//   chip-to-chip links (FIFO per directed link), RUNCORE on their core.
#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <new>
#include <vector>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

extern "C" {
#include "tlpu/fw.h"
#include "tlpu/fcore.h"
}
#include "tlpu/sc.h"

using namespace sc_core;

// libsystemc's own main() refers to sc_main; tlpu never uses that main.
int sc_main(int, char **)
{
    return 1;
}

namespace {

thread_local char g_err[256];
bool g_alive;      // a platform exists (SystemC has one kernel per process)
bool g_used_once;  // a kernel was used before: the next platform needs a fresh one

tlpu_status fail(tlpu_status st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
tlpu_status fail(tlpu_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_err, sizeof g_err, fmt, ap);
    va_end(ap);
    return st;
}

struct Acct {
    double link_s = 0, fw_s = 0, dram_s = 0, core_s = 0, c2c_s = 0;
    uint64_t wire = 0, dram_bytes = 0, packets = 0, c2c_bytes = 0;
    uint64_t mc_runs = 0, mc_ps = 0;
};

sc_time ps(uint64_t v)
{
    return sc_time((double)v, SC_PS);
}

// A memory's bytes - the board's DRAM, or an LPU chip's SRAM when its core
// is Verilated - behind a TLM-2.0 target socket for the core's memory port:
// every beat the Verilated core reads or writes is one transaction, counted
// for the memory's energy. The port's timing is the cycle-level harness's,
// with the latency and width derived from this memory's configuration
// (tlpu_sc_create); each transaction's delay is annotated with its beat's
// transfer time.
struct Store : sc_module {
    tlm_utils::simple_target_socket<Store> port;
    uint8_t *bytes;
    uint64_t size;
    double bytes_per_s;
    Acct *acct;
    uint64_t port_bytes = 0;

    Store(sc_module_name n, uint8_t *b, uint64_t sz, double bw, Acct *a)
        : sc_module(n), port("port"), bytes(b), size(sz), bytes_per_s(bw), acct(a)
    {
        port.register_b_transport(this, &Store::access);
    }

    bool in(uint64_t a, uint64_t n) const { return n <= size && a <= size - n; }

    void access(tlm::tlm_generic_payload &p, sc_time &delay)
    {
        const uint64_t a = p.get_address();
        const unsigned n = p.get_data_length();
        if (!in(a, n)) {
            p.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
            return;
        }
        if (p.is_read())
            std::memcpy(p.get_data_ptr(), bytes + a, n);
        else
            std::memcpy(bytes + a, p.get_data_ptr(), n);
        port_bytes += n;
        acct->dram_bytes += n; // the memory's energy: every byte the port moved
        delay += sc_time((double)n / bytes_per_s, SC_SEC);
        p.set_response_status(tlm::TLM_OK_RESPONSE);
    }
};

// The Verilated core's memory port into a Store: the harness's DRAM model
// calls these for every beat (tlpu_sim_mem_if); they are TLM transactions
// on the core's initiator socket. Made before the core (the harness needs
// the calls when it is created), pointed at its socket once that exists.
struct Core;
struct PortBridge {
    tlm_utils::simple_initiator_socket<Core> *sock = nullptr;
    Store *store = nullptr;

    static int xfer(void *ctx, tlm::tlm_command cmd, uint64_t a, void *d, uint32_t n)
    {
        PortBridge *b = static_cast<PortBridge *>(ctx);
        tlm::tlm_generic_payload p;
        p.set_command(cmd);
        p.set_address(a);
        p.set_data_ptr(static_cast<unsigned char *>(d));
        p.set_data_length(n);
        p.set_streaming_width(n);
        p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
        sc_time delay = SC_ZERO_TIME; // the cycle-level port keeps the time
        (*b->sock)->b_transport(p, delay);
        return p.is_response_ok() ? 0 : -1;
    }
    static int read(void *ctx, uint64_t a, void *d, uint32_t n)
    {
        return xfer(ctx, tlm::TLM_READ_COMMAND, a, d, n);
    }
    static int write(void *ctx, uint64_t a, const void *d, uint32_t n)
    {
        return xfer(ctx, tlm::TLM_WRITE_COMMAND, a, const_cast<void *>(d), n);
    }
};

// A core: the Verilated RTL (tlpu_sim) or the functional model (tlpu_fcore).
//
// Its CSR port steps a Verilated core up to the access's time first. While
// the core is idle (not BUSY, and no CSR written since that was seen) nothing
// in it changes - every counter counts only while a program runs - so those
// cycles are skipped, not simulated. Stepping a running core, it looks at
// STATUS every kChunk cycles to notice the program's end.
// The functional model runs a whole program when START is written; the port
// then shows STATUS BUSY until the program's CYCLES have passed.
struct Core : sc_module {
    tlpu_sim *sim = nullptr;
    tlpu_fcore *model = nullptr;
    tlm_utils::simple_target_socket<Core> csr;
    sc_time period;
    int64_t cycle0 = 0; // the core's cycle at SystemC time 0 (shifted by skipped idle cycles)
    bool idle = true;   // after reset, before any START
    uint64_t skipped = 0;
    sc_time busy_until = SC_ZERO_TIME; // the model's running program ends then
    static constexpr int64_t kChunk = 1024;
    // the CSR socket of a chip other than chip 0: no firmware drives it
    tlm_utils::simple_initiator_socket<Core> *tie = nullptr;
    // a Verilated core's memory port (to its Store), and the Store itself for
    // back-door access (the firmware's DMA, the chip-to-chip links)
    tlm_utils::simple_initiator_socket<Core> *mem_i = nullptr;
    Store *store = nullptr;
    Acct *acct = nullptr; // the functional core's memory traffic (its programs' counters)

    Core(sc_module_name n, tlpu_sim *s, tlpu_fcore *m, sc_time p, bool tied)
        : sc_module(n), sim(s), model(m), csr("csr"), period(p)
    {
        if (sim)
            mem_i = new tlm_utils::simple_initiator_socket<Core>("mem_i");
        if (sim)
            cycle0 = (int64_t)tlpu_sim_cycle(sim);
        csr.register_b_transport(this, &Core::access);
        if (tied) {
            tie = new tlm_utils::simple_initiator_socket<Core>("tie");
            tie->bind(csr);
        }
    }

    int64_t ticks(const sc_time &t) const { return (int64_t)std::floor(t / period + 1e-9); }

    void catch_up(const sc_time &t)
    {
        if (!sim)
            return;
        const int64_t tk = ticks(t);
        const int64_t now = (int64_t)tlpu_sim_cycle(sim), target = cycle0 + tk;
        if (target <= now)
            return;
        int64_t at = now;
        while (!idle && at < target) {
            /* step in chunks, the last cycle of each reading STATUS (a read
             * changes nothing in the core): once the program has ended, the
             * rest of the stretch is idle and skipped */
            const int64_t chunk = target - at < kChunk ? target - at : kChunk;
            if (chunk > 1)
                tlpu_sim_step(sim, (uint64_t)(chunk - 1));
            uint32_t v = 1;
            if (tlpu_sim_csr_read(sim, TLPU_CSR_STATUS, &v) == TLPU_OK)
                idle = !(v & 1);
            at = (int64_t)tlpu_sim_cycle(sim);
        }
        if (at < target) {
            skipped += (uint64_t)(target - at);
            cycle0 = at - tk;
        }
    }

    // after a program ran outside the CSR port (MC_RUN): the core is idle at time now
    void resync()
    {
        idle = true;
        if (sim)
            cycle0 = (int64_t)tlpu_sim_cycle(sim) - ticks(sc_time_stamp());
    }

    tlpu_status csr_rd(uint32_t a, uint32_t *v)
    {
        return sim ? tlpu_sim_csr_read(sim, a, v) : tlpu_fcore_csr_read(model, a, v);
    }
    tlpu_status csr_wr(uint32_t a, uint32_t v)
    {
        return sim ? tlpu_sim_csr_write(sim, a, v) : tlpu_fcore_csr_write(model, a, v);
    }
    tlpu_status mem_rd(uint64_t a, void *d, size_t n)
    {
        if (store) {
            if (!store->in(a, n))
                return TLPU_ERR_RANGE;
            std::memcpy(d, store->bytes + a, n);
            return TLPU_OK;
        }
        return sim ? tlpu_sim_mem_read(sim, a, d, n) : tlpu_fcore_mem_read(model, a, d, n);
    }
    tlpu_status mem_wr(uint64_t a, const void *d, size_t n)
    {
        if (store) {
            if (!store->in(a, n))
                return TLPU_ERR_RANGE;
            std::memcpy(store->bytes + a, d, n);
            return TLPU_OK;
        }
        return sim ? tlpu_sim_mem_write(sim, a, d, n) : tlpu_fcore_mem_write(model, a, d, n);
    }
    const char *fault() const
    {
        const char *m = nullptr;
        if (sim)
            return tlpu_sim_fault(sim);
        tlpu_fcore_fault(model, &m);
        return m;
    }
    uint64_t counter(unsigned i)
    {
        uint32_t lo = 0, hi = 0;
        csr_rd(TLPU_CSR_COUNTER_BASE + 8u * i, &lo);
        csr_rd(TLPU_CSR_COUNTER_BASE + 8u * i + 4u, &hi);
        return ((uint64_t)hi << 32) | lo;
    }
    uint64_t cycles_counter() { return counter(TLPU_CNTI_CYCLES); }
    uint64_t mem_counter()
    {
        return counter(TLPU_CNTI_DRAM_RD_BYTES) + counter(TLPU_CNTI_DRAM_WR_BYTES);
    }
    tlpu_status counters(uint64_t out[TLPU_NUM_COUNTERS])
    {
        return sim ? tlpu_sim_counters(sim, out) : tlpu_fcore_counters(model, out);
    }

    // Runs a whole program now (the caller lets its time pass): *cycles gets
    // its CYCLES, *err and *pc the core's error code and ERR_PC.
    tlpu_status run(uint64_t pa, uint32_t len, uint64_t *cycles, uint32_t *err, uint32_t *pc)
    {
        tlpu_status st = sim ? tlpu_sim_run(sim, pa, len, UINT64_MAX / 2, cycles)
                             : tlpu_fcore_run(model, pa, len, UINT64_MAX / 2, cycles);
        *err = 0, *pc = 0;
        if (sim)
            *err = tlpu_sim_hw_error(sim, pc);
        else
            tlpu_fcore_hw_error(model, err, pc);
        return st == TLPU_ERR_DEVICE && *err ? TLPU_OK : st;
    }

    void access(tlm::tlm_generic_payload &p, sc_time &delay)
    {
        const sc_time t = sc_time_stamp() + delay;
        catch_up(t);
        uint32_t addr = (uint32_t)p.get_address(), v = 0;
        tlpu_status st;
        if (p.is_read()) {
            st = csr_rd(addr, &v);
            if (addr == TLPU_CSR_STATUS && st == TLPU_OK) {
                if (model && t < busy_until)
                    v = (v | 1u) & ~2u; /* still running */
                idle = !(v & 1);
            }
            std::memcpy(p.get_data_ptr(), &v, 4);
        } else {
            std::memcpy(&v, p.get_data_ptr(), 4);
            const bool start = addr == TLPU_CSR_CTRL && (v & 1u);
            const uint64_t c0 = model && start ? cycles_counter() : 0;
            const uint64_t m0 = model && start ? mem_counter() : 0;
            st = csr_wr(addr, v);
            if (model && start && acct)
                acct->dram_bytes += mem_counter() - m0;
            if (model && addr == TLPU_CSR_CTRL && (v & 2u))
                busy_until = t; /* a soft reset ends the program */
            if (model && start && st == TLPU_OK) {
                const uint64_t c1 = cycles_counter();
                if (c1 > c0)
                    busy_until = t + period * (double)(c1 - c0);
            }
            idle = false; // it may have started a program
        }
        delay += period; // one core cycle
        bool ok = st == TLPU_OK && !fault();
        p.set_response_status(ok ? tlm::TLM_OK_RESPONSE : tlm::TLM_GENERIC_ERROR_RESPONSE);
    }
};

// The device memory as the firmware's DMA sees it: the board's DRAM, or an
// LPU system's chips' SRAM behind a router (chip c's window at c << shift;
// chip c > 0 is reached over the chip-to-chip links, store and forward, hop
// by hop). Timing from the memory's formula (and the links'); the cores'
// memories as storage.
struct Memory : sc_module {
    tlm_utils::simple_target_socket<Memory> mem;
    std::vector<Core *> cores;
    tlpu_sc_dram cfg;
    const tlpu_mc_system *sys; // NULL: the board
    uint32_t shift;
    Acct *acct;

    Memory(sc_module_name n, std::vector<Core *> c, const tlpu_sc_dram &m,
           const tlpu_mc_system *s, uint32_t sh, Acct *a)
        : sc_module(n), mem("mem"), cores(std::move(c)), cfg(m), sys(s), shift(sh), acct(a)
    {
        mem.register_b_transport(this, &Memory::access);
    }

    void access(tlm::tlm_generic_payload &p, sc_time &delay)
    {
        const unsigned n = p.get_data_length();
        const uint64_t addr = p.get_address();
        const uint64_t chip = sys ? addr >> shift : 0;
        if (chip >= cores.size()) {
            p.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
            return;
        }
        const uint64_t local = addr - (chip << shift);
        Core *c = cores[chip];
        tlpu_status st = p.is_read() ? c->mem_rd(local, p.get_data_ptr(), n)
                                     : c->mem_wr(local, p.get_data_ptr(), n);
        const sc_time t(tlpu_sc_dram_time(&cfg, n), SC_SEC);
        delay += t;
        acct->dram_s += t.to_seconds();
        acct->dram_bytes += n;
        if (chip) { /* the hops there (a write) or back (a read) */
            const uint32_t h = tlpu_mc_hops(sys, 0, (uint32_t)chip);
            const sc_time hop = ps(tlpu_c2c_time_ps(&sys->c2c, n)) * (double)h;
            delay += hop;
            acct->c2c_s += hop.to_seconds();
            acct->c2c_bytes += (uint64_t)h * n;
        }
        p.set_response_status(st == TLPU_OK ? tlm::TLM_OK_RESPONSE
                                            : tlm::TLM_ADDRESS_ERROR_RESPONSE);
    }
};

// ---- an LPU system's static schedules (MC_RUN) --------------------------------------

struct Op {
    uint8_t kind;
    uint16_t peer;
    uint32_t len;
    uint64_t src, dst;
};

struct Xfer {
    uint64_t dst;
    std::vector<uint8_t> data;
    sc_time arrive;
};

struct System;

// One chip's sequencer: runs its op stream when MC_RUN starts it.
struct Chip : sc_module {
    System *sys;
    uint32_t idx;
    SC_HAS_PROCESS(Chip);
    Chip(sc_module_name n, System *s, uint32_t i) : sc_module(n), sys(s), idx(i)
    {
        SC_THREAD(run);
    }
    void run();
};

struct System {
    tlpu_mc_system mc;
    std::vector<Core *> cores;
    std::vector<Chip *> chips;
    uint64_t mem_bytes, period_ps;
    Acct *acct;
    std::vector<sc_time> link_free;          // per directed link from * N + to
    std::vector<std::deque<Xfer>> inbox;     // per (to * N + from)
    std::vector<sc_event *> inbox_ev;        // per chip
    std::vector<std::vector<Op>> streams;    // this run's
    sc_event start_ev, done_ev;
    uint32_t active = 0, finished = 0;
    struct Result {
        uint64_t cycles;
        uint32_t err, pc;
        bool ran;
    };
    std::vector<Result> res;
    char why[160] = "";

    System(const tlpu_mc_system &m, std::vector<Core *> c, uint64_t bytes, Acct *a)
        : mc(m), cores(std::move(c)), mem_bytes(bytes),
          period_ps(tlpu_mc_period_ps(m.clock_hz)), acct(a)
    {
        const size_t n = mc.chips;
        link_free.assign(n * n, SC_ZERO_TIME);
        inbox.resize(n * n);
        for (uint32_t i = 0; i < n; i++) {
            char nm[32];
            snprintf(nm, sizeof nm, "inbox%u", i);
            inbox_ev.push_back(new sc_event(nm));
            snprintf(nm, sizeof nm, "chip%u", i);
            chips.push_back(new Chip(nm, this, i));
        }
    }

    bool in_mem(uint64_t a, uint64_t n) const { return n <= mem_bytes && a <= mem_bytes - n; }

    uint32_t bad(uint32_t st, const char *fmt, ...) __attribute__((format(printf, 3, 4)))
    {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, sizeof why, fmt, ap);
        va_end(ap);
        return st;
    }

    // reads and checks every chip's stream; nothing runs unless all are valid
    uint32_t load(uint64_t table, uint32_t n)
    {
        streams.assign(n, {});
        for (uint32_t c = 0; c < n; c++) {
            uint8_t e[TLPU_MC_ENTRY_BYTES];
            if (cores[0]->mem_rd(table + TLPU_MC_ENTRY_BYTES * c, e, sizeof e) != TLPU_OK)
                return bad(TLPU_PST_RANGE, "table entry %u", c);
            const uint64_t sa = tlpu_get_u64(e);
            const uint32_t nops = tlpu_get_u32(e + 8);
            if (tlpu_get_u32(e + 12) != 0)
                return bad(TLPU_PST_BAD_ARG, "chip %u: reserved table field not zero", c);
            if (nops > TLPU_MC_MAX_OPS)
                return bad(TLPU_PST_BAD_ARG, "chip %u: %u ops (at most %u)", c, nops,
                           TLPU_MC_MAX_OPS);
            if (sa % 16)
                return bad(TLPU_PST_ALIGN, "chip %u: stream address not 16-byte aligned", c);
            if (!in_mem(sa, (uint64_t)nops * TLPU_MC_OP_BYTES))
                return bad(TLPU_PST_RANGE, "chip %u: stream outside its memory", c);
            std::vector<uint8_t> raw((size_t)nops * TLPU_MC_OP_BYTES);
            if (nops && cores[c]->mem_rd(sa, raw.data(), raw.size()) != TLPU_OK)
                return bad(TLPU_PST_RANGE, "chip %u: stream outside its memory", c);
            for (uint32_t i = 0; i < nops; i++) {
                const uint8_t *o = raw.data() + (size_t)i * TLPU_MC_OP_BYTES;
                Op op{o[0], tlpu_get_u16(o + 2), tlpu_get_u32(o + 4), tlpu_get_u64(o + 8),
                      tlpu_get_u64(o + 16)};
                if (o[1] || tlpu_get_u64(o + 24))
                    return bad(TLPU_PST_BAD_ARG, "chip %u op %u: reserved field not zero", c, i);
                uint32_t st = check(c, n, i, op);
                if (st != TLPU_PST_OK)
                    return st;
                streams[c].push_back(op);
            }
        }
        return match(n);
    }

    uint32_t check(uint32_t c, uint32_t n, uint32_t i, const Op &op)
    {
        switch (op.kind) {
        case TLPU_MC_SEND:
        case TLPU_MC_RECV:
            if (op.peer >= n || op.peer == c || tlpu_mc_hops(&mc, c, op.peer) != 1)
                return bad(TLPU_PST_BAD_ARG, "chip %u op %u: chip %u is not a neighbour", c, i,
                           op.peer);
            if (op.len == 0 || op.len > 0x80000000u)
                return bad(TLPU_PST_BAD_ARG, "chip %u op %u: length %u", c, i, op.len);
            if (op.kind == TLPU_MC_SEND && (!in_mem(op.src, op.len) || !in_mem(op.dst, op.len)))
                return bad(TLPU_PST_RANGE, "chip %u op %u: SEND outside memory", c, i);
            if (op.kind == TLPU_MC_RECV && (op.src || op.dst))
                return bad(TLPU_PST_BAD_ARG, "chip %u op %u: RECV with addresses", c, i);
            return TLPU_PST_OK;
        case TLPU_MC_RUNCORE:
            if (op.peer || op.dst)
                return bad(TLPU_PST_BAD_ARG, "chip %u op %u: RUNCORE with a peer", c, i);
            if (op.len == 0)
                return bad(TLPU_PST_BAD_ARG, "chip %u op %u: empty program", c, i);
            if (op.src % 16)
                return bad(TLPU_PST_ALIGN, "chip %u op %u: program not aligned", c, i);
            if (op.src > 0xFFFFFFFFu || !in_mem(op.src, 16ull * op.len))
                return bad(TLPU_PST_RANGE, "chip %u op %u: program outside memory", c, i);
            return TLPU_PST_OK;
        default:
            return bad(TLPU_PST_BAD_ARG, "chip %u op %u: unknown kind %u", c, i, op.kind);
        }
    }

    // every RECV has its SEND (same order, same length), and the streams
    // cannot wait on each other forever: run them without time
    uint32_t match(uint32_t n)
    {
        std::vector<std::deque<uint32_t>> q((size_t)n * n);
        std::vector<size_t> pc(n, 0);
        for (bool progress = true; progress;) {
            progress = false;
            for (uint32_t c = 0; c < n; c++)
                for (; pc[c] < streams[c].size(); pc[c]++) {
                    const Op &op = streams[c][pc[c]];
                    if (op.kind == TLPU_MC_SEND)
                        q[(size_t)op.peer * n + c].push_back(op.len);
                    else if (op.kind == TLPU_MC_RECV) {
                        auto &in = q[(size_t)c * n + op.peer];
                        if (in.empty())
                            break;
                        if (in.front() != op.len)
                            return bad(TLPU_PST_BAD_ARG,
                                       "chip %u op %zu: RECV of %u bytes, chip %u sends %u", c,
                                       pc[c], op.len, op.peer, in.front());
                        in.pop_front();
                    }
                    progress = true;
                }
        }
        for (uint32_t c = 0; c < n; c++)
            if (pc[c] < streams[c].size())
                return bad(TLPU_PST_BAD_ARG, "chip %u op %zu: RECV from chip %u never matched "
                                             "(the streams would wait forever)",
                           c, pc[c], streams[c][pc[c]].peer);
        for (size_t i = 0; i < q.size(); i++)
            if (!q[i].empty())
                return bad(TLPU_PST_BAD_ARG, "chip %zu sends to chip %zu more than it receives",
                           i % n, i / n);
        return TLPU_PST_OK;
    }

    // runs a checked schedule: called from the firmware's thread (it waits)
    uint32_t run(uint32_t n, uint8_t *out)
    {
        res.assign(n, Result{0, 0, 0, false});
        for (uint32_t c = 0; c < n; c++)
            for (const Op &op : streams[c])
                if (op.kind == TLPU_MC_RUNCORE && !res[c].ran) {
                    res[c].ran = true;
                    cores[c]->csr_wr(TLPU_CSR_CTRL, 4u); // COUNTERS_RESET
                }
        const sc_time t0 = sc_time_stamp();
        active = n;
        finished = 0;
        start_ev.notify(SC_ZERO_TIME);
        wait(done_ev);
        const uint64_t el = (uint64_t)std::llround((sc_time_stamp() - t0).to_seconds() * 1e12);
        acct->mc_runs++;
        acct->mc_ps += el;
        acct->core_s += (sc_time_stamp() - t0).to_seconds();
        uint64_t sum[TLPU_NUM_COUNTERS] = {0};
        bool err = false;
        tlpu_put_u32(out, n);
        tlpu_put_u32(out + 4, 0);
        for (uint32_t c = 0; c < n; c++) {
            if (res[c].ran) {
                uint64_t k[TLPU_NUM_COUNTERS];
                if (cores[c]->counters(k) == TLPU_OK) {
                    for (unsigned i = 0; i < TLPU_NUM_COUNTERS; i++)
                        sum[i] += k[i];
                    // a functional core's own memory traffic (its SRAM's energy; a
                    // Verilated core's beats went through its Store)
                    if (!cores[c]->store)
                        acct->dram_bytes +=
                            k[TLPU_CNTI_DRAM_RD_BYTES] + k[TLPU_CNTI_DRAM_WR_BYTES];
                }
                cores[c]->resync();
            }
            err |= res[c].err != 0;
            tlpu_put_u64(out + 8 + 16 * c, res[c].cycles);
            tlpu_put_u32(out + 16 + 16 * c, res[c].err);
            tlpu_put_u32(out + 20 + 16 * c, res[c].pc);
        }
        for (unsigned i = 0; i < TLPU_NUM_COUNTERS; i++)
            tlpu_put_u64(out + 8 + 16 * n + 8 * i, sum[i]);
        return err ? TLPU_PST_DEVICE : TLPU_PST_OK;
    }
};

void Chip::run()
{
    System &S = *sys;
    const uint32_t N = S.mc.chips;
    for (;;) {
        wait(S.start_ev);
        if (idx >= S.active)
            continue;
        for (const Op &op : S.streams[idx]) {
            if (op.kind == TLPU_MC_SEND) {
                Xfer x{op.dst, std::vector<uint8_t>(op.len), SC_ZERO_TIME};
                S.cores[idx]->mem_rd(op.src, x.data.data(), op.len);
                sc_time &free = S.link_free[(size_t)idx * N + op.peer];
                const sc_time start = std::max(sc_time_stamp(), free);
                x.arrive = start + ps(tlpu_c2c_time_ps(&S.mc.c2c, op.len));
                free = x.arrive;
                S.acct->c2c_bytes += op.len;
                S.inbox[(size_t)op.peer * N + idx].push_back(std::move(x));
                S.inbox_ev[op.peer]->notify(SC_ZERO_TIME);
            } else if (op.kind == TLPU_MC_RECV) {
                auto &q = S.inbox[(size_t)idx * N + op.peer];
                while (q.empty())
                    wait(*S.inbox_ev[idx]);
                Xfer &x = q.front();
                if (x.arrive > sc_time_stamp())
                    wait(x.arrive - sc_time_stamp());
                S.cores[idx]->mem_wr(x.dst, x.data.data(), x.data.size());
                q.pop_front();
            } else { // RUNCORE
                uint64_t cy = 0;
                uint32_t err = 0, pc = 0;
                S.cores[idx]->run(op.src, op.len, &cy, &err, &pc);
                System::Result &r = S.res[idx];
                r.cycles += cy;
                if (err && !r.err)
                    r.err = err, r.pc = pc;
                wait(ps(cy * S.period_ps));
            }
        }
        if (++S.finished == S.active)
            S.done_ev.notify(SC_ZERO_TIME);
    }
}

// The firmware: the board's command processor in an SC_THREAD behind the link.
struct Firmware : sc_module {
    tlm_utils::simple_initiator_socket<Firmware> csr_i, mem_i;
    tlm_utils::tlm_quantumkeeper qk;
    sc_event req_ev;
    tlpu_fw fw;
    tlpu_sc_config cfg;
    Acct *acct;
    const uint8_t *req = nullptr;
    size_t req_len = 0, reply_len = 0, reply_cap = 0;
    uint8_t *reply = nullptr;
    bool pending = false, done = false;
    System *sys = nullptr; // an LPU system's chips (MC_RUN)

    SC_HAS_PROCESS(Firmware);
    Firmware(sc_module_name n, const tlpu_sc_config &c, Acct *a)
        : sc_module(n), csr_i("csr_i"), mem_i("mem_i"), cfg(c), acct(a)
    {
        tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_time(c.quantum_s, SC_SEC));
        qk.reset();
        SC_THREAD(run);
    }

    // one TLM access with the keeper's local time; its delay goes to *bucket
    bool transport(tlm_utils::simple_initiator_socket<Firmware> &s, tlm::tlm_command cmd,
                   uint64_t addr, void *data, unsigned n, double *bucket)
    {
        tlm::tlm_generic_payload p;
        p.set_command(cmd);
        p.set_address(addr);
        p.set_data_ptr(static_cast<unsigned char *>(data));
        p.set_data_length(n);
        p.set_streaming_width(n);
        p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
        sc_time d = qk.get_local_time(), before = d;
        s->b_transport(p, d);
        if (bucket)
            *bucket += (d - before).to_seconds();
        qk.set(d);
        if (qk.need_sync())
            qk.sync();
        return p.is_response_ok();
    }

    static Firmware *self(void *ctx) { return static_cast<Firmware *>(ctx); }
    static int p_csr_read(void *ctx, uint32_t a, uint32_t *v)
    {
        Firmware *f = self(ctx);
        return f->transport(f->csr_i, tlm::TLM_READ_COMMAND, a, v, 4, &f->acct->core_s) ? 0 : -1;
    }
    static int p_csr_write(void *ctx, uint32_t a, uint32_t v)
    {
        Firmware *f = self(ctx);
        return f->transport(f->csr_i, tlm::TLM_WRITE_COMMAND, a, &v, 4, &f->acct->core_s) ? 0
                                                                                         : -1;
    }
    static int p_mem_write(void *ctx, uint64_t a, const void *s, uint32_t n)
    {
        Firmware *f = self(ctx);
        return f->transport(f->mem_i, tlm::TLM_WRITE_COMMAND, a, const_cast<void *>(s), n,
                            nullptr)
                   ? 0
                   : -1;
    }
    static int p_mem_read(void *ctx, uint64_t a, void *d, uint32_t n)
    {
        Firmware *f = self(ctx);
        return f->transport(f->mem_i, tlm::TLM_READ_COMMAND, a, d, n, nullptr) ? 0 : -1;
    }
    static uint32_t p_mc_run(void *ctx, uint64_t table, uint32_t n, uint8_t *out)
    {
        Firmware *f = self(ctx);
        uint32_t st = f->sys->load(table, n);
        if (st != TLPU_PST_OK) {
            snprintf(g_err, sizeof g_err, "MC_RUN: %s", f->sys->why);
            return st;
        }
        f->qk.sync(); // the kernel's time catches up with the firmware's
        return f->sys->run(n, out);
    }
    static uint64_t p_now_us(void *ctx)
    {
        return (uint64_t)(self(ctx)->qk.get_current_time().to_seconds() * 1e6);
    }
    static void p_idle(void *ctx)
    {
        Firmware *f = self(ctx);
        sc_time t(f->cfg.poll_s, SC_SEC);
        f->qk.inc(t);
        f->acct->core_s += t.to_seconds(); // waiting for the core
        if (f->qk.need_sync())
            f->qk.sync();
    }

    void run()
    {
        for (;;) {
            while (!pending)
                wait(req_ev);
            pending = false;
            const tlpu_sc_link &l = cfg.link;
            sc_time t = sc_time(tlpu_sc_link_time(&l, req_len), SC_SEC);
            wait(t); // the request crosses the link
            acct->link_s += t.to_seconds();
            acct->wire += tlpu_sc_link_wire_bytes(&l, req_len);
            qk.reset();
            sc_time fwt(cfg.fw_s, SC_SEC);
            qk.inc(fwt);
            acct->fw_s += fwt.to_seconds();
            reply_len = tlpu_fw_handle(&fw, req, req_len, reply, reply_cap);
            qk.sync();
            t = sc_time(tlpu_sc_link_time(&l, reply_len), SC_SEC);
            wait(t); // the reply crosses back
            acct->link_s += t.to_seconds();
            acct->wire += tlpu_sc_link_wire_bytes(&l, reply_len);
            acct->packets++;
            done = true;
        }
    }
};

} // namespace

struct tlpu_sc {
    tlpu_sc_config cfg;
    std::vector<tlpu_sim *> sims;
    std::vector<tlpu_fcore *> models;
    std::vector<Core *> cores;
    tlpu_mc_system mc{};
    System *sys = nullptr;
    Acct acct;
    Memory *mem = nullptr;
    Firmware *fw = nullptr;
    double t0 = 0;
    std::vector<PortBridge *> bridges; // Verilated cores' memory ports
    std::vector<uint8_t *> mems;       // and their memories' bytes
};

extern "C" const char *tlpu_sc_last_error(void)
{
    return g_err;
}

static bool finite_pos(double v)
{
    return std::isfinite(v) && v > 0;
}

static tlpu_status check_mem(const tlpu_sc_dram &m, const char *what)
{
    if (!finite_pos(m.bytes_per_s) || !(m.latency_s >= 0) || !std::isfinite(m.latency_s) ||
        !(m.pj_per_bit >= 0) || !std::isfinite(m.pj_per_bit))
        return fail(TLPU_ERR_INVALID_ARG, "sc: the %s needs a positive bandwidth and a "
                                          "latency and energy >= 0", what);
    return TLPU_OK;
}

extern "C" tlpu_status tlpu_sc_create(const tlpu_sc_config *c, tlpu_sc **out)
{
    if (!c || !out)
        return fail(TLPU_ERR_INVALID_ARG, "tlpu_sc_create: NULL argument");
    if (!finite_pos(c->link.bits_per_s) || c->link.packet_bytes == 0 ||
        !(c->link.latency_s >= 0) || !std::isfinite(c->link.latency_s) ||
        !(c->link.pj_per_bit >= 0))
        return fail(TLPU_ERR_INVALID_ARG, "sc: the link needs a positive bandwidth and packet "
                                          "size and a latency and energy >= 0");
    const bool lpu = c->chips > 0;
    const tlpu_sc_dram &memcfg = lpu ? c->sram : c->dram;
    tlpu_status st = check_mem(memcfg, lpu ? "SRAM" : "DRAM");
    if (st != TLPU_OK)
        return st;
    if (!finite_pos(c->clock_hz) || !finite_pos(c->poll_s) || !finite_pos(c->quantum_s) ||
        !(c->fw_s >= 0) || !std::isfinite(c->fw_s))
        return fail(TLPU_ERR_INVALID_ARG, "sc: clock, poll interval and quantum must be > 0, "
                                          "firmware time >= 0");
    tlpu_mc_system mc{};
    if (lpu) {
        mc.chips = c->chips;
        mc.topology = c->topology;
        mc.c2c = c->c2c;
        mc.clock_hz = c->clock_hz;
        char why[128];
        if (tlpu_mc_system_check(&mc, why, sizeof why) != TLPU_OK)
            return fail(TLPU_ERR_INVALID_ARG, "sc: %s", why);
    }
    if (g_alive)
        return fail(TLPU_ERR_BUSY, "sc: one sc: platform per process at a time (SystemC has "
                                   "one kernel); close the other first");
    tlpu_sc *s = new (std::nothrow) tlpu_sc;
    if (!s)
        return fail(TLPU_ERR_NOMEM, "out of memory");
    s->cfg = *c;
    s->mc = mc;
    // the cores' own memory port: the memory's latency and bandwidth in core cycles
    tlpu_sim_config sc = c->sim;
    double lat = std::ceil(memcfg.latency_s * c->clock_hz - 1e-9);
    sc.dram_latency = (uint32_t)(lat < 1 ? 1 : lat > 1000000 ? 1000000 : lat);
    double w = std::floor(memcfg.bytes_per_s / c->clock_hz + 1e-9);
    sc.dram_width = (uint32_t)(w < 1 ? 1 : w > 16 ? 16 : w);
    const uint32_t ncores = lpu ? c->chips : 1;
    const bool rtl = !lpu || c->rtl_cores;
    for (uint32_t i = 0; i < ncores && st == TLPU_OK; i++) {
        if (rtl) {
            /* its memory lives in a Store the platform owns, reached through TLM */
            PortBridge *br = new (std::nothrow) PortBridge;
            uint8_t *bytes = static_cast<uint8_t *>(calloc(1, (size_t)sc.dram_bytes));
            if (br)
                s->bridges.push_back(br);
            if (bytes)
                s->mems.push_back(bytes);
            if (!br || !bytes) {
                st = fail(TLPU_ERR_NOMEM, "sc: cannot allocate %llu bytes of memory",
                          (unsigned long long)sc.dram_bytes);
                break;
            }
            tlpu_sim_mem_if mif = {br, PortBridge::read, PortBridge::write};
            sc.mem_if = &mif;
            tlpu_sim *sim = nullptr;
            st = tlpu_sim_create(&sc, &sim);
            sc.mem_if = nullptr;
            if (st != TLPU_OK)
                fail(st, "sc: %s", tlpu_sim_last_error());
            else
                s->sims.push_back(sim);
        } else {
            tlpu_fcore_config mcfg;
            tlpu_fcore_config_init(&mcfg);
            st = tlpu_fcore_config_variant(&mcfg, sc.variant ? sc.variant : "default");
            mcfg.dram_bytes = sc.dram_bytes;
            mcfg.mem_latency = sc.dram_latency;
            tlpu_fcore *m = nullptr;
            if (st == TLPU_OK && (st = tlpu_fcore_create(&mcfg, &m)) == TLPU_OK)
                s->models.push_back(m);
            else
                fail(st, "sc: chip %u: the functional core cannot be made (%s)", i,
                     tlpu_strerror(st));
        }
    }
    if (st != TLPU_OK) {
        for (tlpu_sim *x : s->sims)
            tlpu_sim_destroy(x);
        for (tlpu_fcore *x : s->models)
            tlpu_fcore_destroy(x);
        for (PortBridge *b : s->bridges)
            delete b;
        for (uint8_t *b : s->mems)
            free(b);
        delete s;
        return st;
    }
    setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
    if (g_used_once) { // a fresh kernel: the last one has finished its elaboration
        sc_curr_simcontext = new sc_simcontext();
        sc_default_global_context = sc_curr_simcontext;
    }
    g_used_once = true;
    g_alive = true;
    sc_time period(1.0 / c->clock_hz, SC_SEC);
    for (uint32_t i = 0; i < ncores; i++) {
        char nm[32];
        snprintf(nm, sizeof nm, "core%u", i);
        Core *core = new Core(nm, rtl ? s->sims[i] : nullptr, rtl ? nullptr : s->models[i],
                              period, i > 0);
        core->acct = &s->acct;
        if (rtl) {
            snprintf(nm, sizeof nm, "%s%u", lpu ? "sram" : "dram", i);
            core->store = new Store(nm, s->mems[i], sc.dram_bytes, memcfg.bytes_per_s, &s->acct);
            core->mem_i->bind(core->store->port);
            s->bridges[i]->sock = core->mem_i;
            s->bridges[i]->store = core->store;
        }
        s->cores.push_back(core);
    }
    const uint32_t shift = 32; // chip c's memory at c * 4 GiB
    s->mem = new Memory("dma", s->cores, memcfg, lpu ? &s->mc : nullptr, shift, &s->acct);
    s->fw = new Firmware("firmware", *c, &s->acct);
    if (lpu)
        s->fw->sys = s->sys = new System(s->mc, s->cores, sc.dram_bytes, &s->acct);
    s->fw->csr_i.bind(s->cores[0]->csr);

    s->fw->mem_i.bind(s->mem->mem);
    tlpu_fw_port port = {s->fw,
                         Firmware::p_csr_read,
                         Firmware::p_csr_write,
                         Firmware::p_mem_write,
                         Firmware::p_mem_read,
                         Firmware::p_now_us,
                         Firmware::p_idle,
                         nullptr,
                         c->sim.dram_bytes,
                         sc.dram_latency,
                         lpu ? c->chips : 1,
                         lpu ? shift : 0,
                         lpu ? Firmware::p_mc_run : nullptr};
    sc_start(SC_ZERO_TIME); // elaboration; the firmware thread waits for requests
    // the firmware boots: it reads the core's CSRs (outside the thread: no time)
    if (tlpu_fw_init(&s->fw->fw, &port) != 0) {
        tlpu_sc_destroy(s);
        return fail(TLPU_ERR_DEVICE, "sc: the firmware found no tlpu core");
    }
    s->acct = Acct(); // the boot's CSR reads took no simulated time
    s->t0 = sc_time_stamp().to_seconds();
    *out = s;
    return TLPU_OK;
}

extern "C" void tlpu_sc_destroy(tlpu_sc *s)
{
    if (!s)
        return;
    // the modules stay with the finished kernel (SystemC cannot remove them
    // from it); the next platform starts a new kernel
    for (tlpu_sim *x : s->sims)
        tlpu_sim_destroy(x);
    for (tlpu_fcore *x : s->models)
        tlpu_fcore_destroy(x);
    for (PortBridge *b : s->bridges)
        delete b;
    for (uint8_t *b : s->mems)
        free(b);
    delete s;
    g_alive = false;
}

extern "C" tlpu_sim *tlpu_sc_core(tlpu_sc *s)
{
    return s && !s->sims.empty() ? s->sims[0] : nullptr;
}

extern "C" tlpu_status tlpu_sc_transact(tlpu_sc *s, const uint8_t *req, size_t len,
                                        uint8_t *reply, size_t cap, size_t *reply_len)
{
    if (!s || (!req && len) || !reply || !reply_len)
        return fail(TLPU_ERR_INVALID_ARG, "tlpu_sc_transact: NULL argument");
    Firmware *f = s->fw;
    f->req = req;
    f->req_len = len;
    f->reply = reply;
    f->reply_cap = cap;
    f->done = false;
    f->pending = true;
    f->req_ev.notify(SC_ZERO_TIME);
    sc_start(); // until the firmware thread waits for the next request
    if (!f->done)
        return fail(TLPU_ERR_DEVICE, "sc: the platform stopped before the reply");
    *reply_len = f->reply_len;
    return f->reply_len ? TLPU_OK : fail(TLPU_ERR_INVALID_ARG, "sc: reply buffer too small");
}

extern "C" void tlpu_sc_get_times(const tlpu_sc *s, tlpu_sc_times *t)
{
    std::memset(t, 0, sizeof *t);
    if (!s)
        return;
    const Acct &a = s->acct;
    const bool lpu = s->cfg.chips > 0;
    t->link_s = a.link_s;
    t->fw_s = a.fw_s;
    t->dram_s = a.dram_s;
    t->core_s = a.core_s;
    t->c2c_s = a.c2c_s;
    t->total_s = sc_time_stamp().to_seconds() - s->t0;
    t->link_wire_bytes = a.wire;
    t->dram_bytes = a.dram_bytes; // the firmware's DMA and the cores' own traffic
    t->packets = a.packets;
    t->c2c_bytes = a.c2c_bytes;
    t->mc_runs = a.mc_runs;
    t->mc_ps = a.mc_ps;
    t->link_j = (double)a.wire * 8.0 * s->cfg.link.pj_per_bit * 1e-12;
    t->dram_j = (double)t->dram_bytes * 8.0 * (lpu ? s->cfg.sram : s->cfg.dram).pj_per_bit * 1e-12;
    t->c2c_j = (double)a.c2c_bytes * 8.0 * (lpu ? s->cfg.c2c.pj_per_bit : 0) * 1e-12;
}
