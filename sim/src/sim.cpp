// SPDX-License-Identifier: Apache-2.0
// sim.cpp - the Verilator harness behind tlpu/sim.h: one VerilatedContext and
// one Verilated tlpu_core per handle, clocked together with the DRAM model
// (dram.c). C++ only because Verilator's models are C++.
#include "tlpu/sim.h"

#include <cstdio>
#include <cstring>
#include <memory>
#include <new>
#include <string>

#include <verilated.h>
#include <verilated_fst_c.h>

#include "Vtlpu_core_default.h"
#include "Vtlpu_core_large.h"
#include "Vtlpu_core_small.h"
#include "dram.h"

namespace {

thread_local std::string g_last_error;

// The harness's view of a core: every variant has the same ports.
struct Core {
    virtual ~Core() = default;
    virtual void set_csr(bool valid, bool write, uint32_t addr, uint32_t wdata) = 0;
    virtual uint32_t csr_rdata() const = 0;
    virtual bool irq() const = 0;
    virtual void set_rst(bool rst_n) = 0;
    virtual void drive_mem(const tlpu_dram_out &o) = 0;
    virtual void sample_mem(tlpu_dram_in &in) const = 0;
    virtual void half(bool clk) = 0;  // set clk, eval
    virtual void settle() = 0;        // eval, clock unchanged
    virtual void trace_open(const char *path) = 0;
    virtual void dump(uint64_t t) = 0;
    virtual void finish() = 0;
    VerilatedContext ctx;
};

template <class V>
struct CoreT final : Core {
    std::unique_ptr<V> m;
    std::unique_ptr<VerilatedFstC> tfp;
    static constexpr int kWords = int(sizeof(V::mem_rdata_i) / sizeof(uint32_t));

    CoreT() {
        ctx.fatalOnError(false);  // assertion failures become faults, not exit()
        ctx.traceEverOn(true);
        m.reset(new V(&ctx, "core"));
    }
    ~CoreT() override {
        if (tfp) tfp->close();
        // Verilator 5.006 erases a model's scopes through the thread's current
        // context, which is the last model created: make it this model's, or
        // destroying models out of creation order locks a freed mutex
        Verilated::threadContextp(&ctx);
        m.reset();
    }
    void set_csr(bool valid, bool write, uint32_t addr, uint32_t wdata) override {
        m->csr_valid_i = valid;
        m->csr_write_i = write;
        m->csr_addr_i = addr & 0xFFF;
        m->csr_wdata_i = wdata;
    }
    uint32_t csr_rdata() const override { return m->csr_rdata_o; }
    bool irq() const override { return m->irq_o; }
    void set_rst(bool rst_n) override { m->rst_ni = rst_n; }
    void drive_mem(const tlpu_dram_out &o) override {
        m->mem_rreq_ready_i = o.rreq_ready;
        m->mem_rdata_valid_i = o.rdata_valid;
        m->mem_wreq_ready_i = o.wreq_ready;
        m->mem_wdata_ready_i = o.wdata_ready;
        for (int w = 0; w < kWords; w++) {
            uint32_t v;
            std::memcpy(&v, o.rdata + 4 * w, 4);
            m->mem_rdata_i[w] = v;
        }
    }
    void sample_mem(tlpu_dram_in &in) const override {
        in.rreq_valid = m->mem_rreq_valid_o;
        in.rreq_addr = m->mem_rreq_addr_o;
        in.rreq_beats = m->mem_rreq_beats_o;
        in.rdata_ready = m->mem_rdata_ready_o;
        in.wreq_valid = m->mem_wreq_valid_o;
        in.wreq_addr = m->mem_wreq_addr_o;
        in.wreq_beats = m->mem_wreq_beats_o;
        in.wdata_valid = m->mem_wdata_valid_o;
        for (int w = 0; w < kWords; w++) {
            uint32_t v = m->mem_wdata_o[w];
            std::memcpy(in.wdata + 4 * w, &v, 4);
        }
    }
    void half(bool clk) override {
        m->clk_i = clk;
        m->eval();
    }
    void settle() override { m->eval(); }
    void trace_open(const char *path) override {
        tfp.reset(new VerilatedFstC);
        m->trace(tfp.get(), 99);
        tfp->open(path);
    }
    void dump(uint64_t t) override {
        if (tfp) tfp->dump(t);
    }
    void finish() override { m->final(); }
};

struct Variant {
    const char *name;
    Core *(*make)();
};
const Variant kVariants[] = {
    {"default", [] { return static_cast<Core *>(new CoreT<Vtlpu_core_default>); }},
    {"small", [] { return static_cast<Core *>(new CoreT<Vtlpu_core_small>); }},
    {"large", [] { return static_cast<Core *>(new CoreT<Vtlpu_core_large>); }},
};
const char *const kVariantNames[] = {"default", "small", "large", nullptr};

}  // namespace

struct tlpu_sim {
    std::unique_ptr<Core> core;
    tlpu_dram dram{};
    tlpu_sim_info info{};
    uint64_t cycle = 0;
    uint64_t trace_t = 0;  // waveform time: two steps per cycle, never reset
    bool tracing = false;
    std::string fault;

    ~tlpu_sim() {
        if (core) core->finish();
        tlpu_dram_free(&dram);
    }

    // One clock cycle with the given CSR request; returns csr_rdata as sampled
    // before the edge.
    uint32_t tick(bool valid, bool write, uint32_t addr, uint32_t wdata) {
        core->set_csr(valid, write, addr, wdata);
        core->drive_mem(*tlpu_dram_drive(&dram, cycle));
        core->half(false);
        if (tracing) core->dump(++trace_t);
        uint32_t rdata = core->csr_rdata();
        tlpu_dram_in in;
        core->sample_mem(in);
        tlpu_dram_observe(&dram, cycle, &in);
        core->half(true);
        if (tracing) core->dump(++trace_t);
        cycle++;
        check_faults();
        return rdata;
    }
    // CSR read data without a clock edge (the CSR mux is combinational);
    // only for registers whose read has no side effect.
    uint32_t peek(uint32_t addr) {
        core->set_csr(false, false, addr, 0);
        core->settle();
        return core->csr_rdata();
    }
    void check_faults() {
        if (!fault.empty()) return;
        if (dram.fault[0]) fault = std::string("memory port: ") + dram.fault;
        else if (core->ctx.gotError())
            fault = "RTL assertion failed at cycle " + std::to_string(cycle) +
                    " (see the simulator's stderr)";
    }
};

extern "C" {

void tlpu_sim_config_init(tlpu_sim_config *cfg) {
    if (!cfg) return;
    *cfg = tlpu_sim_config{};
    cfg->variant = "default";
    cfg->dram_bytes = 64ull << 20;
    cfg->dram_latency = 16;
    cfg->dram_width = TLPU_DEFAULT_BEAT_BYTES;
    cfg->dram_outstanding = 64;
    cfg->stall_prob = 0.0;
    cfg->seed = 1;
    cfg->trace_path = nullptr;
}

const char *const *tlpu_sim_variants(void) { return kVariantNames; }

const char *tlpu_sim_last_error(void) { return g_last_error.c_str(); }

static tlpu_status arg_error(const std::string &msg) {
    g_last_error = msg;
    return TLPU_ERR_INVALID_ARG;
}

tlpu_status tlpu_sim_create(const tlpu_sim_config *cfg, tlpu_sim **out) {
    g_last_error.clear();
    if (!cfg || !out) return arg_error("tlpu_sim_create: NULL argument");
    *out = nullptr;
    const Variant *v = nullptr;
    for (const Variant &cand : kVariants)
        if (cfg->variant && std::strcmp(cfg->variant, cand.name) == 0) v = &cand;
    if (!v)
        return arg_error(std::string("unknown core variant '") +
                         (cfg->variant ? cfg->variant : "(null)") +
                         "' (built: default, small, large)");
    const uint32_t beat = TLPU_DEFAULT_BEAT_BYTES;
    if (cfg->dram_bytes < 4096 || cfg->dram_bytes > (4ull << 30) || cfg->dram_bytes % beat)
        return arg_error("dram_bytes must be a multiple of 16 between 4 KiB and 4 GiB");
    if (cfg->dram_latency < 1 || cfg->dram_latency > 1000000)
        return arg_error("dram_latency must be 1 .. 1000000 cycles");
    if (cfg->dram_width < 1 || cfg->dram_width > beat)
        return arg_error("dram_width must be 1 .. 16 bytes per cycle");
    if (cfg->dram_outstanding < 1 || cfg->dram_outstanding > TLPU_DRAM_QUEUE)
        return arg_error("dram_outstanding must be 1 .. 64");
    if (!(cfg->stall_prob >= 0.0 && cfg->stall_prob <= 0.95))
        return arg_error("stall_prob must be in [0, 0.95]");
    if (cfg->trace_path) {
        FILE *f = std::fopen(cfg->trace_path, "wb");
        if (!f) return arg_error(std::string("cannot write the trace file '") + cfg->trace_path + "'");
        std::fclose(f);
    }

    tlpu_sim *s = new (std::nothrow) tlpu_sim;
    if (!s) return TLPU_ERR_NOMEM;
    s->core.reset(v->make());
    const bool ext = cfg->mem_if && cfg->mem_if->read && cfg->mem_if->write;
    if (cfg->mem_if && !ext) {
        delete s;
        return arg_error("mem_if needs both a read and a write call");
    }
    if (tlpu_dram_init(&s->dram, ext ? 0 : cfg->dram_bytes, beat, cfg->dram_width,
                       cfg->dram_latency, TLPU_DEFAULT_BURST_BEATS, cfg->dram_outstanding,
                       cfg->stall_prob, cfg->seed) != 0) {
        delete s;
        g_last_error = "cannot allocate the DRAM model";
        return TLPU_ERR_NOMEM;
    }
    if (ext) {
        s->dram.bytes = cfg->dram_bytes;
        s->dram.ext = cfg->mem_if->ctx;
        s->dram.ext_read = cfg->mem_if->read;
        s->dram.ext_write = cfg->mem_if->write;
    }
    if (cfg->trace_path) {
        s->core->trace_open(cfg->trace_path);
        s->tracing = true;
    }
    // reset: a few cycles with rst_ni low, the DRAM model idle
    s->core->set_rst(false);
    s->core->set_csr(false, false, 0, 0);
    for (int i = 0; i < 4; i++) {
        s->core->half(false);
        s->core->half(true);
    }
    s->core->set_rst(true);
    s->core->half(false);

    tlpu_sim_info &in = s->info;
    in.id = s->peek(TLPU_CSR_ID);
    in.version = s->peek(TLPU_CSR_VERSION);
    in.rows = s->peek(TLPU_CSR_ROWS);
    in.cols = s->peek(TLPU_CSR_COLS);
    in.beat_bytes = s->peek(TLPU_CSR_BEAT_BYTES);
    in.wbuf_chunks = s->peek(TLPU_CSR_WBUF_CHUNKS);
    in.abuf_words = s->peek(TLPU_CSR_ABUF_WORDS);
    in.obuf_words = s->peek(TLPU_CSR_OBUF_WORDS);
    in.imem_depth = s->peek(TLPU_CSR_IMEM_DEPTH);
    in.formats = s->peek(TLPU_CSR_FORMATS);
    in.burst_beats = s->peek(TLPU_CSR_BURST_BEATS);
    in.queue_depth = s->peek(TLPU_CSR_QUEUE_DEPTH);
    s->dram.max_burst = in.burst_beats;
    if (in.id != TLPU_ID_MAGIC || in.beat_bytes != beat) {
        delete s;
        g_last_error = "the Verilated core does not identify as tlpu";
        return TLPU_ERR_DEVICE;
    }
    // as firmware does at boot: DRAM accesses past the memory are errors
    s->tick(true, true, TLPU_CSR_MEM_TOP, uint32_t(cfg->dram_bytes - 1));
    s->cycle = 0;
    *out = s;
    return TLPU_OK;
}

void tlpu_sim_destroy(tlpu_sim *sim) { delete sim; }

tlpu_status tlpu_sim_get_info(const tlpu_sim *sim, tlpu_sim_info *info) {
    if (!sim || !info) return TLPU_ERR_INVALID_ARG;
    *info = sim->info;
    return TLPU_OK;
}

static bool range_ok(const tlpu_sim *sim, uint64_t addr, size_t n) {
    return addr <= sim->dram.bytes && n <= sim->dram.bytes - addr;
}

tlpu_status tlpu_sim_mem_write(tlpu_sim *sim, uint64_t addr, const void *data, size_t n) {
    if (!sim || (!data && n)) return TLPU_ERR_INVALID_ARG;
    if (!range_ok(sim, addr, n)) return TLPU_ERR_RANGE;
    if (!n) return TLPU_OK;
    if (!sim->dram.mem) {  // the storage is outside: in pieces its calls can take
        const auto *p = static_cast<const uint8_t *>(data);
        for (size_t off = 0; off < n; off += 1u << 30) {
            const size_t k = n - off < (1u << 30) ? n - off : (1u << 30);
            if (sim->dram.ext_write(sim->dram.ext, addr + off, p + off, (uint32_t)k))
                return TLPU_ERR_DEVICE;
        }
        return TLPU_OK;
    }
    std::memcpy(sim->dram.mem + addr, data, n);
    return TLPU_OK;
}

tlpu_status tlpu_sim_mem_read(tlpu_sim *sim, uint64_t addr, void *data, size_t n) {
    if (!sim || (!data && n)) return TLPU_ERR_INVALID_ARG;
    if (!range_ok(sim, addr, n)) return TLPU_ERR_RANGE;
    if (!n) return TLPU_OK;
    if (!sim->dram.mem) {
        auto *p = static_cast<uint8_t *>(data);
        for (size_t off = 0; off < n; off += 1u << 30) {
            const size_t k = n - off < (1u << 30) ? n - off : (1u << 30);
            if (sim->dram.ext_read(sim->dram.ext, addr + off, p + off, (uint32_t)k))
                return TLPU_ERR_DEVICE;
        }
        return TLPU_OK;
    }
    std::memcpy(data, sim->dram.mem + addr, n);
    return TLPU_OK;
}

static bool csr_addr_ok(uint32_t addr) { return addr < 0x1000 && addr % 4 == 0; }

tlpu_status tlpu_sim_csr_write(tlpu_sim *sim, uint32_t addr, uint32_t value) {
    if (!sim) return TLPU_ERR_INVALID_ARG;
    if (!csr_addr_ok(addr)) return TLPU_ERR_RANGE;
    sim->tick(true, true, addr, value);
    return TLPU_OK;
}

tlpu_status tlpu_sim_csr_read(tlpu_sim *sim, uint32_t addr, uint32_t *value) {
    if (!sim || !value) return TLPU_ERR_INVALID_ARG;
    if (!csr_addr_ok(addr)) return TLPU_ERR_RANGE;
    *value = sim->tick(true, false, addr, 0);
    return TLPU_OK;
}

tlpu_status tlpu_sim_step(tlpu_sim *sim, uint64_t n) {
    if (!sim) return TLPU_ERR_INVALID_ARG;
    for (uint64_t i = 0; i < n; i++) sim->tick(false, false, 0, 0);
    return TLPU_OK;
}

tlpu_status tlpu_sim_start(tlpu_sim *sim, uint64_t prog_addr, uint32_t prog_len) {
    if (!sim) return TLPU_ERR_INVALID_ARG;
    if (prog_addr > 0xFFFFFFFFull) return TLPU_ERR_RANGE;
    sim->tick(true, true, TLPU_CSR_PROG_ADDR, uint32_t(prog_addr));
    sim->tick(true, true, TLPU_CSR_PROG_LEN, prog_len);
    sim->tick(true, true, TLPU_CSR_CTRL, 1u);
    return TLPU_OK;
}

tlpu_status tlpu_sim_wait(tlpu_sim *sim, uint64_t max_cycles, uint64_t *cycles) {
    if (!sim) return TLPU_ERR_INVALID_ARG;
    uint64_t n = 0;
    // STATUS has no read side effect: watch it without using the CSR port
    uint32_t st = sim->peek(TLPU_CSR_STATUS);
    while (!(st & 2u) && n < max_cycles && sim->fault.empty()) {
        sim->tick(false, false, TLPU_CSR_STATUS, 0);
        n++;
        st = sim->peek(TLPU_CSR_STATUS);
    }
    if (cycles) *cycles = n;
    if (!sim->fault.empty()) return TLPU_ERR_DEVICE;
    if (!(st & 2u)) return TLPU_ERR_TIMEOUT;
    if ((st >> 8) & 0xFFu) return TLPU_ERR_DEVICE;
    return TLPU_OK;
}

tlpu_status tlpu_sim_run(tlpu_sim *sim, uint64_t prog_addr, uint32_t prog_len,
                         uint64_t max_cycles, uint64_t *cycles) {
    tlpu_status st = tlpu_sim_start(sim, prog_addr, prog_len);
    if (st != TLPU_OK) return st;
    return tlpu_sim_wait(sim, max_cycles, cycles);
}

uint32_t tlpu_sim_hw_error(const tlpu_sim *sim, uint32_t *err_pc) {
    if (!sim) return 0;
    tlpu_sim *s = const_cast<tlpu_sim *>(sim);
    if (err_pc) *err_pc = s->peek(TLPU_CSR_ERR_PC);
    return (s->peek(TLPU_CSR_STATUS) >> 8) & 0xFFu;
}

tlpu_status tlpu_sim_counters(tlpu_sim *sim, uint64_t out[TLPU_NUM_COUNTERS]) {
    if (!sim || !out) return TLPU_ERR_INVALID_ARG;
    for (unsigned i = 0; i < TLPU_NUM_COUNTERS; i++) {
        uint32_t lo = sim->tick(true, false, TLPU_CSR_COUNTER_BASE + 8 * i, 0);
        uint32_t hi = sim->tick(true, false, TLPU_CSR_COUNTER_BASE + 8 * i + 4, 0);
        out[i] = (uint64_t(hi) << 32) | lo;
    }
    return TLPU_OK;
}

uint64_t tlpu_sim_cycle(const tlpu_sim *sim) { return sim ? sim->cycle : 0; }

int tlpu_sim_irq(const tlpu_sim *sim) { return sim && sim->core->irq() ? 1 : 0; }

const char *tlpu_sim_fault(const tlpu_sim *sim) {
    return (sim && !sim->fault.empty()) ? sim->fault.c_str() : nullptr;
}

void tlpu_sim_dram_beats(const tlpu_sim *sim, uint64_t *rd, uint64_t *wr) {
    if (rd) *rd = sim ? sim->dram.rd_beats : 0;
    if (wr) *wr = sim ? sim->dram.wr_beats : 0;
}

}  // extern "C"
