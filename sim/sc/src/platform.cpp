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
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

extern "C" {
#include "tlpu/fw.h"
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
    double link_s = 0, fw_s = 0, dram_s = 0, core_s = 0;
    uint64_t wire = 0, dram_bytes = 0, packets = 0;
};

// The core's CSR port: steps the core up to the access's time first. While
// the core is idle (not BUSY, and no CSR written since that was seen) nothing
// in it changes - every counter counts only while a program runs - so those
// cycles are skipped, not simulated. Stepping a running core, it looks at
// STATUS every kChunk cycles to notice the program's end.
struct Core : sc_module {
    tlpu_sim *sim;
    tlm_utils::simple_target_socket<Core> csr;
    sc_time period;
    int64_t cycle0;   // the core's cycle at SystemC time 0 (shifted by skipped idle cycles)
    bool idle = true; // after reset, before any START
    uint64_t skipped = 0;
    static constexpr int64_t kChunk = 1024;

    Core(sc_module_name n, tlpu_sim *s, sc_time p)
        : sc_module(n), sim(s), csr("csr"), period(p), cycle0((int64_t)tlpu_sim_cycle(s))
    {
        csr.register_b_transport(this, &Core::access);
    }

    void catch_up(const sc_time &t)
    {
        const int64_t ticks = (int64_t)std::floor(t / period + 1e-9);
        const int64_t now = (int64_t)tlpu_sim_cycle(sim), target = cycle0 + ticks;
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
            cycle0 = at - ticks;
        }
    }

    void access(tlm::tlm_generic_payload &p, sc_time &delay)
    {
        catch_up(sc_time_stamp() + delay);
        uint32_t addr = (uint32_t)p.get_address(), v = 0;
        tlpu_status st;
        if (p.is_read()) {
            st = tlpu_sim_csr_read(sim, addr, &v);
            std::memcpy(p.get_data_ptr(), &v, 4);
            if (addr == TLPU_CSR_STATUS && st == TLPU_OK)
                idle = !(v & 1);
        } else {
            std::memcpy(&v, p.get_data_ptr(), 4);
            st = tlpu_sim_csr_write(sim, addr, v);
            idle = false; // it may have started a program
        }
        delay += period; // one core cycle
        bool ok = st == TLPU_OK && !tlpu_sim_fault(sim);
        p.set_response_status(ok ? tlm::TLM_OK_RESPONSE : tlm::TLM_GENERIC_ERROR_RESPONSE);
    }
};

// The device DRAM as the firmware's DMA sees it: its timing, the core's DRAM as storage.
struct Dram : sc_module {
    tlm_utils::simple_target_socket<Dram> mem;
    tlpu_sim *sim;
    tlpu_sc_dram cfg;
    Acct *acct;

    Dram(sc_module_name n, tlpu_sim *s, const tlpu_sc_dram &c, Acct *a)
        : sc_module(n), mem("mem"), sim(s), cfg(c), acct(a)
    {
        mem.register_b_transport(this, &Dram::access);
    }

    void access(tlm::tlm_generic_payload &p, sc_time &delay)
    {
        const unsigned n = p.get_data_length();
        tlpu_status st = p.is_read() ? tlpu_sim_mem_read(sim, p.get_address(), p.get_data_ptr(), n)
                                     : tlpu_sim_mem_write(sim, p.get_address(),
                                                          p.get_data_ptr(), n);
        const sc_time t = sc_time(tlpu_sc_dram_time(&cfg, n), SC_SEC);
        delay += t; // the firmware's port puts it in the DRAM bucket
        acct->dram_bytes += n;
        p.set_response_status(st == TLPU_OK ? tlm::TLM_OK_RESPONSE
                                            : tlm::TLM_ADDRESS_ERROR_RESPONSE);
    }
};

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
                            &f->acct->dram_s)
                   ? 0
                   : -1;
    }
    static int p_mem_read(void *ctx, uint64_t a, void *d, uint32_t n)
    {
        Firmware *f = self(ctx);
        return f->transport(f->mem_i, tlm::TLM_READ_COMMAND, a, d, n, &f->acct->dram_s) ? 0
                                                                                      : -1;
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
    tlpu_sim *sim = nullptr;
    Acct acct;
    Core *core = nullptr;
    Dram *dram = nullptr;
    Firmware *fw = nullptr;
    double t0 = 0;
};

extern "C" const char *tlpu_sc_last_error(void)
{
    return g_err;
}

static bool finite_pos(double v)
{
    return std::isfinite(v) && v > 0;
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
    if (!finite_pos(c->dram.bytes_per_s) || !(c->dram.latency_s >= 0) ||
        !std::isfinite(c->dram.latency_s) || !(c->dram.pj_per_bit >= 0))
        return fail(TLPU_ERR_INVALID_ARG, "sc: the DRAM needs a positive bandwidth and a "
                                          "latency and energy >= 0");
    if (!finite_pos(c->clock_hz) || !finite_pos(c->poll_s) || !finite_pos(c->quantum_s) ||
        !(c->fw_s >= 0) || !std::isfinite(c->fw_s))
        return fail(TLPU_ERR_INVALID_ARG, "sc: clock, poll interval and quantum must be > 0, "
                                          "firmware time >= 0");
    if (g_alive)
        return fail(TLPU_ERR_BUSY, "sc: one sc: platform per process at a time (SystemC has "
                                   "one kernel); close the other first");
    tlpu_sc *s = new (std::nothrow) tlpu_sc;
    if (!s)
        return fail(TLPU_ERR_NOMEM, "out of memory");
    s->cfg = *c;
    // the core's own DRAM port: the DRAM's latency and bandwidth in core cycles
    tlpu_sim_config sc = c->sim;
    double lat = std::ceil(c->dram.latency_s * c->clock_hz - 1e-9);
    sc.dram_latency = (uint32_t)(lat < 1 ? 1 : lat > 1000000 ? 1000000 : lat);
    double w = std::floor(c->dram.bytes_per_s / c->clock_hz + 1e-9);
    sc.dram_width = (uint32_t)(w < 1 ? 1 : w > 16 ? 16 : w);
    tlpu_status st = tlpu_sim_create(&sc, &s->sim);
    if (st != TLPU_OK) {
        fail(st, "sc: %s", tlpu_sim_last_error());
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
    s->core = new Core("core", s->sim, period);
    s->dram = new Dram("dram", s->sim, c->dram, &s->acct);
    s->fw = new Firmware("firmware", *c, &s->acct);
    s->fw->csr_i.bind(s->core->csr);
    s->fw->mem_i.bind(s->dram->mem);
    tlpu_fw_port port = {s->fw,
                         Firmware::p_csr_read,
                         Firmware::p_csr_write,
                         Firmware::p_mem_write,
                         Firmware::p_mem_read,
                         Firmware::p_now_us,
                         Firmware::p_idle,
                         nullptr,
                         c->sim.dram_bytes,
                         sc.dram_latency};
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
    tlpu_sim_destroy(s->sim);
    delete s;
    g_alive = false;
}

extern "C" tlpu_sim *tlpu_sc_core(tlpu_sc *s)
{
    return s ? s->sim : nullptr;
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
    t->link_s = a.link_s;
    t->fw_s = a.fw_s;
    t->dram_s = a.dram_s;
    t->core_s = a.core_s;
    t->total_s = sc_time_stamp().to_seconds() - s->t0;
    t->link_wire_bytes = a.wire;
    t->dram_bytes = a.dram_bytes;
    t->packets = a.packets;
    t->link_j = (double)a.wire * 8.0 * s->cfg.link.pj_per_bit * 1e-12;
    t->dram_j = (double)a.dram_bytes * 8.0 * s->cfg.dram.pj_per_bit * 1e-12;
}
