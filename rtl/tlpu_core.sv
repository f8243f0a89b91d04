// SPDX-License-Identifier: Apache-2.0
// tlpu_core - the tlpu accelerator: sequencer, DMA, weight/activation/output
// buffers, the ternary adder array, CSRs and performance counters.
// docs/architecture.md describes it; docs/isa.md gives the instructions.
//
// CSR port: a single-cycle register file. When csr_valid_i is high, a write
// (csr_write_i) takes effect at the clock edge; a read returns csr_rdata_o
// combinationally in the same cycle (reading a counter's LO word latches its
// HI word at the edge).
//
// Memory port (device DRAM), valid/ready handshakes on four channels:
//   read request  (mem_rreq_*):  addr (byte, beat aligned), beats (1..BurstBeats)
//   read data     (mem_rdata_*): the requested beats, in request order
//   write request (mem_wreq_*):  addr, beats
//   write data    (mem_wdata_*): the beats of the write requests, in order
// Any channel may stall for any number of cycles; data is never lost or
// duplicated, only the cycle count grows.
module tlpu_core #(
  parameter int unsigned Rows       = 32,    // multiple of 4
  parameter int unsigned Cols       = 80,    // multiple of 20
  parameter int unsigned BeatBytes  = 16,    // 16, 32 or 64
  parameter int unsigned WbufChunks = 128,   // chunks per row per bank
  parameter int unsigned AbufWords  = 8192,  // Cols bytes each
  parameter int unsigned ObufWords  = 2048,  // Rows int32 each
  parameter int unsigned ImemDepth  = 1024,  // instructions
  parameter int unsigned BurstBeats = 16,
  parameter int unsigned QueueDepth = 8,     // instructions per engine queue
  localparam int unsigned BurstW    = $clog2(BurstBeats + 1)
) (
  input  wire                   clk_i,
  input  wire                   rst_ni,

  input  wire                   csr_valid_i,
  input  wire                   csr_write_i,
  input  wire [11:0]            csr_addr_i,
  input  wire [31:0]            csr_wdata_i,
  output wire [31:0]            csr_rdata_o,
  output wire                   irq_o,

  output wire                   mem_rreq_valid_o,
  input  wire                   mem_rreq_ready_i,
  output wire [31:0]            mem_rreq_addr_o,
  output wire [BurstW-1:0]      mem_rreq_beats_o,
  input  wire                   mem_rdata_valid_i,
  output wire                   mem_rdata_ready_o,
  input  wire [8*BeatBytes-1:0] mem_rdata_i,

  output wire                   mem_wreq_valid_o,
  input  wire                   mem_wreq_ready_i,
  output wire [31:0]            mem_wreq_addr_o,
  output wire [BurstW-1:0]      mem_wreq_beats_o,
  output wire                   mem_wdata_valid_o,
  input  wire                   mem_wdata_ready_i,
  output wire [8*BeatBytes-1:0] mem_wdata_o
);
`include "tlpu_spec.vh"
  localparam int unsigned BB     = BeatBytes;
  localparam int unsigned RowW   = (Rows > 1) ? $clog2(Rows) : 1;
  localparam int unsigned WAddrW = $clog2(2 * WbufChunks);
  localparam int unsigned AAddrW = $clog2(AbufWords);
  localparam int unsigned OAddrW = $clog2(ObufWords);
  localparam int unsigned IAddrW = $clog2(ImemDepth);
  localparam int unsigned CntW   = $clog2(Rows * Cols + 1);
  localparam [1:0] DMA_FETCH = 2'd0, DMA_LDW = 2'd1, DMA_LDA = 2'd2, DMA_ST = 2'd3;
  localparam [2:0] S_IDLE = 3'd0, S_FETCH = 3'd1, S_FWAIT = 3'd2, S_RUN = 3'd3,
                   S_SEGWAIT = 3'd4, S_DRAIN = 3'd5;

  // ---- CSR-visible state ------------------------------------------------------------
  reg [31:0] prog_addr_q, prog_len_q, mem_top_q;
  reg        irq_en_q, irq_st_q, done_q;
  reg [7:0]  err_q;
  reg [31:0] err_pc_q;
  reg [63:0] cnt_q [NUM_COUNTERS];
  reg [31:0] cnt_hi_q;

  wire csr_wr = csr_valid_i && csr_write_i;
  wire csr_rd = csr_valid_i && !csr_write_i;
  wire start_cmd  = csr_wr && csr_addr_i == CSR_CTRL && csr_wdata_i[0];
  wire soft_reset = csr_wr && csr_addr_i == CSR_CTRL && csr_wdata_i[1];
  wire cnt_reset  = csr_wr && csr_addr_i == CSR_CTRL && csr_wdata_i[2];

  // ---- sequencer --------------------------------------------------------------------
  reg [2:0]  state_q;
  reg [31:0] seg_base_q, seg_len_q;
  reg [IAddrW:0] pc_q;
  wire busy = (state_q != S_IDLE);

  wire [127:0] insn;
  wire [7:0]   op = insn[7:0];
  function automatic [31:0] fld(input [127:0] i, input integer lsb, input integer width);
    fld = 32'((i >> lsb) & ((128'd1 << width) - 1));
  endfunction

  wire        dma_busy, ex_busy;
  wire        i_fmt    = insn[LDW_FMT_LSB];
  wire [31:0] ldw_nch  = fld(insn, LDW_NCHUNK_LSB, LDW_NCHUNK_WIDTH);
  wire [31:0] ldw_addr = fld(insn, LDW_ADDR_LSB, LDW_ADDR_WIDTH);
  wire [31:0] ldw_woff = fld(insn, LDW_WOFF_LSB, LDW_WOFF_WIDTH);
  wire [31:0] mm_woff  = fld(insn, MM_WOFF_LSB, MM_WOFF_WIDTH);
  wire [31:0] lda_nb   = fld(insn, LDA_NBYTES_LSB, LDA_NBYTES_WIDTH);
  wire [31:0] lda_rows = fld(insn, LDA_ROWS_LSB, LDA_ROWS_WIDTH);
  wire [31:0] lda_dst  = fld(insn, LDA_DST_LSB, LDA_DST_WIDTH);
  wire [31:0] lda_addr = fld(insn, LDA_ADDR_LSB, LDA_ADDR_WIDTH);
  wire [31:0] lda_str  = fld(insn, LDA_STRIDE_LSB, LDA_STRIDE_WIDTH);
  wire [7:0]  lda_dstr = 8'(fld(insn, LDA_DSTRIDE_LSB, LDA_DSTRIDE_WIDTH));
  wire [31:0] mm_nch   = fld(insn, MM_NCHUNK_LSB, MM_NCHUNK_WIDTH);
  wire [31:0] mm_src   = fld(insn, MM_SRC_LSB, MM_SRC_WIDTH);
  wire [31:0] mm_tok   = fld(insn, MM_TOKENS_LSB, MM_TOKENS_WIDTH);
  wire [31:0] mm_ast   = fld(insn, MM_ASTRIDE_LSB, MM_ASTRIDE_WIDTH);
  wire [31:0] mm_dst   = fld(insn, MM_DST_LSB, MM_DST_WIDTH);
  wire [31:0] st_src   = fld(insn, ST_SRC_LSB, ST_SRC_WIDTH);
  wire [31:0] st_rows  = fld(insn, ST_ROWS_LSB, ST_ROWS_WIDTH);
  wire [31:0] st_cnt   = fld(insn, ST_COUNT_LSB, ST_COUNT_WIDTH);
  wire [31:0] st_addr  = fld(insn, ST_ADDR_LSB, ST_ADDR_WIDTH);
  wire [31:0] st_str   = fld(insn, ST_STRIDE_LSB, ST_STRIDE_WIDTH);
  wire [1:0]  sync_m   = insn[SYNC_MASK_LSB +: 2];
  function automatic aligned(input [31:0] a);
    aligned = (a % BB) == 0;
  endfunction
  // ceil(n / Cols) for n < 2^17 without a divider: n * ceil(2^32 / Cols) >> 32
  // is exact when n * (ceil(2^32/Cols) * Cols - 2^32) < 2^32, true for
  // n < 2^17 and Cols < 2^15.
  localparam [32:0] RECIP_COLS = 33'((64'd1 << 32) / 64'(Cols) + 64'd1);
  function automatic [15:0] words_of(input [16:0] nbytes);
    logic [49:0] prod;
    logic [16:0] num;
    num = nbytes + 17'(Cols - 1);
    prod = 50'(num) * 50'(RECIP_COLS);
    words_of = 16'(prod >> 32);
  endfunction
  wire [15:0] lda_wpr = words_of(17'(lda_nb));
  // DRAM extents (exclusive end; wide enough that nothing wraps); whole beats
  // are read and written
  localparam int unsigned Bpc2 = Cols / 4, Bpc3 = Cols / 5;
  localparam [49:0] LDW_ROW2 = 50'(Rows * Bpc2), LDW_ROW3 = 50'(Rows * Bpc3);  // bytes per chunk
  localparam int unsigned BbM1 = BB - 1;
  localparam [49:0] BB_M1 = 50'(BbM1);
  function automatic [49:0] up_beats(input [49:0] n);
    up_beats = (n + BB_M1) & ~BB_M1;
  endfunction
  function automatic mem_ok(input [49:0] end_excl);
    mem_ok = end_excl <= 50'(mem_top_q) + 50'd1;
  endfunction
  wire [15:0] lda_rows_m1 = 16'(lda_rows) - 16'd1;
  wire [15:0] st_rows_m1  = 16'(st_rows) - 16'd1;
  wire [49:0] ldw_end  = 50'(ldw_addr) + up_beats(50'(ldw_nch) * (i_fmt ? LDW_ROW3 : LDW_ROW2));
  wire [49:0] lda_end  = 50'(lda_addr) + 50'(lda_rows_m1) * 50'(lda_str) +
                         up_beats(50'(lda_nb));
  wire [49:0] st_end   = 50'(st_addr) + 50'(st_rows_m1) * 50'(st_str) +
                         up_beats(50'(st_cnt) << 2);
  wire [49:0] prog_end = 50'(prog_addr_q) + (50'(prog_len_q) << 4);
  // ABUF words between LDA rows: DSTRIDE, or the row's own words when 0
  wire [15:0] lda_rstep = (lda_dstr != 0) ? 16'(lda_dstr) : lda_wpr;
  wire [32:0] lda_words = 33'(lda_dst) + 33'(lda_rows_m1) * 33'(lda_rstep) + 33'(lda_wpr);
  wire [15:0] mm_tok_m1 = 16'(mm_tok) - 16'd1;
  wire [32:0] mm_words  = 33'(mm_src) + 33'(mm_tok_m1) * 33'(mm_ast) + 33'(mm_nch);

  // the first problem with the instruction, if any (checked before it issues)
  reg [7:0] chk;
  always @(*) begin
    chk = ERR_NONE;
    case (op)
      OP_END, OP_SYNC: chk = ERR_NONE;
      OP_LDW:
        if (ldw_nch == 0) chk = ERR_BAD_FIELD;
        else if (ldw_woff + ldw_nch > WbufChunks) chk = ERR_WBUF_RANGE;
        else if (!aligned(ldw_addr)) chk = ERR_MEM_ALIGN;
        else if (!mem_ok(ldw_end)) chk = ERR_MEM_RANGE;
      OP_LDA:
        if (lda_nb == 0 || lda_rows == 0 || (lda_dstr != 0 && 16'(lda_dstr) < lda_wpr))
          chk = ERR_BAD_FIELD;
        else if (lda_words > 33'(AbufWords)) chk = ERR_ABUF_RANGE;
        else if (!aligned(lda_addr) || !aligned(lda_str)) chk = ERR_MEM_ALIGN;
        else if (!mem_ok(lda_end)) chk = ERR_MEM_RANGE;
      OP_MM:
        if (mm_nch == 0 || mm_tok == 0) chk = ERR_BAD_FIELD;
        else if (mm_woff + mm_nch > WbufChunks) chk = ERR_WBUF_RANGE;
        else if (mm_words > 33'(AbufWords)) chk = ERR_ABUF_RANGE;
        else if (mm_dst + mm_tok > ObufWords) chk = ERR_OBUF_RANGE;
      OP_ST:
        if (st_rows == 0 || st_cnt == 0 || (st_cnt * 4) % BB != 0) chk = ERR_BAD_FIELD;
        else if (st_cnt > Rows || st_src + st_rows > ObufWords) chk = ERR_OBUF_RANGE;
        else if (!aligned(st_addr) || !aligned(st_str)) chk = ERR_MEM_ALIGN;
        else if (!mem_ok(st_end)) chk = ERR_MEM_RANGE;
      default: chk = ERR_ILLEGAL_OPCODE;
    endcase
  end

  // ---- dispatch: in program order into the engines' queues -------------------------
  // The sequencer checks each instruction and hands it to the DMA queue
  // (LDW, LDA, ST) or the execute queue (MM), one per cycle, as long as the
  // queue has room; SYNC waits until the engines in its mask are idle with
  // empty queues. Each engine runs its queue in order. Instructions wait for
  // each other through two token counters: an instruction with SIGNAL gives
  // a token to the other engine when it ends, one with WAIT takes a token
  // from the other engine before it starts (docs/isa.md, "Dependencies").
  wire in_run    = (state_q == S_RUN);
  wire needs_dma = (op == OP_LDW || op == OP_LDA || op == OP_ST);
  wire         dq_empty, dq_full, eq_empty, eq_full;
  wire [127:0] dq_head, eq_head;
  wire dma_idle = !dma_busy && dq_empty;   // nothing running, nothing queued
  wire ex_idle  = !ex_busy && eq_empty;
  wire can_dispatch = (op == OP_SYNC) ? ((!sync_m[0] || dma_idle) && (!sync_m[1] || ex_idle))
                    : needs_dma ? !dq_full
                    : (op == OP_MM) ? !eq_full
                    : 1'b1;
  wire retire   = in_run && chk == ERR_NONE && can_dispatch;
  wire [31:0] pc_global = seg_base_q + 32'(pc_q);
  wire last_insn = (pc_global + 1 == prog_len_q) || op == OP_END;
  wire seg_end   = (32'(pc_q) + 1 == seg_len_q);

  // ---- engine starts and tokens -------------------------------------------------------
  reg  [15:0] d2e_q, e2d_q;       // tokens given by the DMA to EX, and by EX to the DMA
  reg         dma_fin_q, ex_sig_q; // a DMA token given this cycle; EX: the running MM signals
  wire dh_wait = dq_head[LDW_WAIT_LSB], dh_sig = dq_head[LDW_SIGNAL_LSB];
  wire eh_wait = eq_head[MM_WAIT_LSB],  eh_sig = eq_head[MM_SIGNAL_LSB];
  wire dma_pf_ok, dma_sig_done;
  wire dma_fin = dma_fin_q;
  wire ex_fin  = ex_sig_q && !ex_busy;
  wire deadlock;
  wire flush   = soft_reset || (in_run && chk != ERR_NONE) || deadlock;
  // a soft reset may leave the DMA draining beats the memory still owes: the
  // fetch waits for it, like every other DMA start
  wire fetch_start = (state_q == S_FETCH) && !dma_busy && dq_empty;
  // a LDW or LDA may also start while a read streams in (read prefetch)
  wire dh_read     = dq_head[7:0] == OP_LDW || dq_head[7:0] == OP_LDA;
  wire dq_ready    = !dq_empty && (!dma_busy || (dma_pf_ok && dh_read)) &&
                     (!dh_wait || e2d_q != 0);
  wire ex_ready    = !eq_empty && !ex_busy && (!eh_wait || d2e_q != 0);
  wire dq_start    = !flush && dq_ready;
  wire ex_start    = !flush && ex_ready;
  wire dma_start   = fetch_start || dq_start;
  wire [7:0]  dh_op = dq_head[7:0];
  wire [1:0] dma_op = fetch_start ? DMA_FETCH : (dh_op == OP_LDW) ? DMA_LDW
                    : (dh_op == OP_LDA) ? DMA_LDA : DMA_ST;
  wire [31:0] seg_left  = prog_len_q - seg_base_q;
  wire [31:0] fetch_len = (seg_left > ImemDepth) ? 32'(ImemDepth) : seg_left;

  // no engine can start, none is running, no token is on its way and the
  // sequencer cannot move: the program can never finish
  wire seq_progress = (in_run && (chk != ERR_NONE || can_dispatch)) ||
                      (state_q == S_FETCH && fetch_start) || state_q == S_FWAIT ||
                      (state_q == S_SEGWAIT && dq_empty && !dma_busy) ||
                      (state_q == S_DRAIN && dma_idle && ex_idle);
  assign deadlock = busy && !dma_busy && !ex_busy && !dq_ready && !ex_ready && !dma_fin &&
                    !ex_fin && !seq_progress;

  tlpu_fifo #(
    .Width (128),
    .Depth (QueueDepth)
  ) u_dq (
    .clk_i   (clk_i),
    .rst_ni  (rst_ni),
    .clear_i (flush),
    .push_i  (retire && needs_dma),
    .data_i  (insn),
    .pop_i   (dq_start),
    .head_o  (dq_head),
    .empty_o (dq_empty),
    .full_o  (dq_full)
  );
  tlpu_fifo #(
    .Width (128),
    .Depth (QueueDepth)
  ) u_eq (
    .clk_i   (clk_i),
    .rst_ni  (rst_ni),
    .clear_i (flush),
    .push_i  (retire && op == OP_MM),
    .data_i  (insn),
    .pop_i   (ex_start),
    .head_o  (eq_head),
    .empty_o (eq_empty),
    .full_o  (eq_full)
  );

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      d2e_q <= '0;  e2d_q <= '0;  dma_fin_q <= 1'b0;  ex_sig_q <= 1'b0;
    end else if (soft_reset || (start_cmd && !busy)) begin  // a START while running is ignored
      d2e_q <= '0;  e2d_q <= '0;  dma_fin_q <= 1'b0;  ex_sig_q <= 1'b0;
    end else begin
      d2e_q <= d2e_q + 16'(dma_fin) - 16'(ex_start && eh_wait);
      e2d_q <= e2d_q + 16'(ex_fin) - 16'(dq_start && dh_wait);
      dma_fin_q <= dma_sig_done;
      if (ex_start) ex_sig_q <= eh_sig;
      else if (ex_fin) ex_sig_q <= 1'b0;
    end
  end

  // instruction memory read: the next instruction is read as one retires
  wire         imem_re    = (state_q == S_FWAIT && !dma_busy) || (retire && !last_insn && !seg_end);
  wire [IAddrW-1:0] imem_raddr = (state_q == S_FWAIT) ? '0 : IAddrW'(pc_q + 1'b1);
  wire         imem_we;
  wire [IAddrW-1:0] imem_waddr;
  wire [127:0] imem_wdata;
  tlpu_ram #(
    .Width   (128),
    .Depth   (ImemDepth),
    .NumRead (1)
  ) u_imem (
    .clk_i   (clk_i),
    .we_i    (imem_we),
    .waddr_i (imem_waddr),
    .wdata_i (imem_wdata),
    .re_i    (imem_re),
    .raddr_i (imem_raddr),
    .rdata_o (insn)
  );

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q <= S_IDLE;  seg_base_q <= '0;  seg_len_q <= '0;  pc_q <= '0;
      done_q <= 1'b0;     err_q <= ERR_NONE; err_pc_q <= '0;
    end else if (soft_reset) begin
      state_q <= S_IDLE;  done_q <= 1'b0;    err_q <= ERR_NONE;
    end else begin
      case (state_q)
        S_IDLE: if (start_cmd) begin
          done_q     <= 1'b0;
          err_q      <= ERR_NONE;
          seg_base_q <= '0;
          if (prog_len_q == 0) begin
            err_q  <= ERR_PROG_LEN;
            done_q <= 1'b1;
          end else if (!aligned(prog_addr_q)) begin
            err_q  <= ERR_MEM_ALIGN;
            done_q <= 1'b1;
          end else if (!mem_ok(prog_end)) begin
            err_q  <= ERR_MEM_RANGE;
            done_q <= 1'b1;
          end else begin
            state_q <= S_FETCH;
          end
        end
        S_FETCH: if (fetch_start) begin
          seg_len_q <= fetch_len;
          state_q   <= S_FWAIT;
        end
        S_FWAIT: if (!dma_busy) begin
          pc_q    <= '0;
          state_q <= S_RUN;
        end
        S_RUN: begin
          if (chk != ERR_NONE) begin
            err_q    <= chk;
            err_pc_q <= pc_global;
            state_q  <= S_DRAIN;
          end else if (deadlock) begin
            err_q    <= ERR_DEADLOCK;
            err_pc_q <= pc_global;
            state_q  <= S_DRAIN;
          end else if (retire) begin
            pc_q <= pc_q + 1;
            if (last_insn) state_q <= S_DRAIN;
            else if (seg_end) state_q <= S_SEGWAIT;
          end
        end
        S_SEGWAIT: if (deadlock) begin
          err_q    <= ERR_DEADLOCK;
          err_pc_q <= pc_global;
          state_q  <= S_DRAIN;
        end else if (dq_empty && !dma_busy) begin
          seg_base_q <= seg_base_q + seg_len_q;
          state_q    <= S_FETCH;
        end
        S_DRAIN: if (deadlock) begin
          err_q    <= ERR_DEADLOCK;
          err_pc_q <= pc_global;
        end else if (dma_idle && ex_idle) begin
          done_q  <= 1'b1;
          state_q <= S_IDLE;
        end
        default: state_q <= S_IDLE;
      endcase
    end
  end

  // ---- buffers ----------------------------------------------------------------------
  wire                 wbuf_we;
  wire [RowW-1:0]      wbuf_row;
  wire [WAddrW-1:0]    wbuf_waddr, wbuf_raddr;
  wire [2*Cols-1:0]    wbuf_wdata;
  wire                 wbuf_re;
  wire [Rows*2*Cols-1:0] wbuf_rdata;
  for (genvar r = 0; r < Rows; r++) begin : g_wbuf
    tlpu_ram #(
      .Width   (2 * Cols),
      .Depth   (2 * WbufChunks),
      .NumRead (1)
    ) u_wbuf_row (
      .clk_i   (clk_i),
      .we_i    (wbuf_we && wbuf_row == RowW'(r)),
      .waddr_i (wbuf_waddr),
      .wdata_i (wbuf_wdata),
      .re_i    (wbuf_re),
      .raddr_i (wbuf_raddr),
      .rdata_o (wbuf_rdata[r*2*Cols +: 2*Cols])
    );
  end

  wire                abuf_we, abuf_re;
  wire [AAddrW-1:0]   abuf_waddr, abuf_raddr;
  wire [8*Cols-1:0]   abuf_wdata, abuf_rdata;
  tlpu_ram #(
    .Width   (8 * Cols),
    .Depth   (AbufWords),
    .NumRead (1)
  ) u_abuf (
    .clk_i   (clk_i),
    .we_i    (abuf_we),
    .waddr_i (abuf_waddr),
    .wdata_i (abuf_wdata),
    .re_i    (abuf_re),
    .raddr_i (abuf_raddr),
    .rdata_o (abuf_rdata)
  );

  // output buffer: written by MM, read by MM (ACC) on port 0 and by ST on port 1
  wire                obuf_we, obuf_re_ex, obuf_re_dma;
  wire [OAddrW-1:0]   obuf_waddr, obuf_raddr_ex, obuf_raddr_dma;
  wire [32*Rows-1:0]  obuf_wdata;
  wire [64*Rows-1:0]  obuf_rdata;
  tlpu_ram #(
    .Width   (32 * Rows),
    .Depth   (ObufWords),
    .NumRead (2)
  ) u_obuf (
    .clk_i   (clk_i),
    .we_i    (obuf_we),
    .waddr_i (obuf_waddr),
    .wdata_i (obuf_wdata),
    .re_i    ({obuf_re_dma, obuf_re_ex}),
    .raddr_i ({obuf_raddr_dma, obuf_raddr_ex}),
    .rdata_o (obuf_rdata)
  );

  // ---- engines ------------------------------------------------------------------------
  wire ev_rd_beat, ev_wr_beat, ev_stall, ev_dec, ev_wbuf_wr, ev_abuf_wr, ev_obuf_rd_dma;
  wire [7:0] ev_dec_bytes;
  // the DMA instruction at the head of its queue
  wire        dh_is_lda   = (dh_op == OP_LDA);
  wire [31:0] dh_ldw_addr = fld(dq_head, LDW_ADDR_LSB, LDW_ADDR_WIDTH);
  wire [15:0] dh_ldw_nch  = 16'(fld(dq_head, LDW_NCHUNK_LSB, LDW_NCHUNK_WIDTH));
  wire [WAddrW-2:0] dh_ldw_woff = (WAddrW-1)'(fld(dq_head, LDW_WOFF_LSB, LDW_WOFF_WIDTH));
  wire [15:0] dh_lda_nb   = 16'(fld(dq_head, LDA_NBYTES_LSB, LDA_NBYTES_WIDTH));
  wire [31:0] dh_lda_rows = fld(dq_head, LDA_ROWS_LSB, LDA_ROWS_WIDTH);
  wire [31:0] dh_lda_dst  = fld(dq_head, LDA_DST_LSB, LDA_DST_WIDTH);
  wire [31:0] dh_lda_addr = fld(dq_head, LDA_ADDR_LSB, LDA_ADDR_WIDTH);
  wire [31:0] dh_lda_str  = fld(dq_head, LDA_STRIDE_LSB, LDA_STRIDE_WIDTH);
  wire [7:0]  dh_lda_dstr = 8'(fld(dq_head, LDA_DSTRIDE_LSB, LDA_DSTRIDE_WIDTH));
  wire [31:0] dh_st_src   = fld(dq_head, ST_SRC_LSB, ST_SRC_WIDTH);
  wire [31:0] dh_st_rows  = fld(dq_head, ST_ROWS_LSB, ST_ROWS_WIDTH);
  wire [31:0] dh_st_cnt   = fld(dq_head, ST_COUNT_LSB, ST_COUNT_WIDTH);
  wire [31:0] dh_st_addr  = fld(dq_head, ST_ADDR_LSB, ST_ADDR_WIDTH);
  wire [31:0] dh_st_str   = fld(dq_head, ST_STRIDE_LSB, ST_STRIDE_WIDTH);
  tlpu_dma #(
    .Rows       (Rows),
    .Cols       (Cols),
    .BeatBytes  (BeatBytes),
    .WbufChunks (WbufChunks),
    .AbufWords  (AbufWords),
    .ObufWords  (ObufWords),
    .ImemDepth  (ImemDepth),
    .BurstBeats (BurstBeats)
  ) u_dma (
    .clk_i             (clk_i),
    .rst_ni            (rst_ni),
    .start_i           (dma_start),
    .op_i              (dma_op),
    .addr_i            (fetch_start ? prog_addr_q + seg_base_q * 16
                        : (dh_op == OP_LDW) ? dh_ldw_addr : dh_is_lda ? dh_lda_addr : dh_st_addr),
    .stride_i          (dh_is_lda ? dh_lda_str : dh_st_str),
    .rows_i            (16'(dh_is_lda ? dh_lda_rows : dh_st_rows)),
    .nbytes_i          (dh_lda_nb),
    .count_i           (16'(fetch_start ? fetch_len : dh_st_cnt)),
    .nchunk_i          (dh_ldw_nch),
    .woff_i            (dh_ldw_woff),
    .bank_i            (dq_head[LDW_BANK_LSB]),
    .fmt_i             (dq_head[LDW_FMT_LSB]),
    .buf_addr_i        (16'(dh_is_lda ? dh_lda_dst : dh_st_src)),
    .dstride_i         (dh_lda_dstr),
    .sig_i             (dq_start && dh_sig),
    .abort_i           (soft_reset),
    .busy_o            (dma_busy),
    .pf_ok_o           (dma_pf_ok),
    .sig_done_o        (dma_sig_done),
    .imem_we_o         (imem_we),
    .imem_waddr_o      (imem_waddr),
    .imem_wdata_o      (imem_wdata),
    .wbuf_we_o         (wbuf_we),
    .wbuf_row_o        (wbuf_row),
    .wbuf_waddr_o      (wbuf_waddr),
    .wbuf_wdata_o      (wbuf_wdata),
    .abuf_we_o         (abuf_we),
    .abuf_waddr_o      (abuf_waddr),
    .abuf_wdata_o      (abuf_wdata),
    .obuf_re_o         (obuf_re_dma),
    .obuf_raddr_o      (obuf_raddr_dma),
    .obuf_rdata_i      (obuf_rdata[32*Rows +: 32*Rows]),
    .mem_rreq_valid_o  (mem_rreq_valid_o),
    .mem_rreq_ready_i  (mem_rreq_ready_i),
    .mem_rreq_addr_o   (mem_rreq_addr_o),
    .mem_rreq_beats_o  (mem_rreq_beats_o),
    .mem_rdata_valid_i (mem_rdata_valid_i),
    .mem_rdata_ready_o (mem_rdata_ready_o),
    .mem_rdata_i       (mem_rdata_i),
    .mem_wreq_valid_o  (mem_wreq_valid_o),
    .mem_wreq_ready_i  (mem_wreq_ready_i),
    .mem_wreq_addr_o   (mem_wreq_addr_o),
    .mem_wreq_beats_o  (mem_wreq_beats_o),
    .mem_wdata_valid_o (mem_wdata_valid_o),
    .mem_wdata_ready_i (mem_wdata_ready_i),
    .mem_wdata_o       (mem_wdata_o),
    .ev_rd_beat_o      (ev_rd_beat),
    .ev_wr_beat_o      (ev_wr_beat),
    .ev_stall_o        (ev_stall),
    .ev_dec_o          (ev_dec),
    .ev_dec_bytes_o    (ev_dec_bytes),
    .ev_wbuf_wr_o      (ev_wbuf_wr),
    .ev_abuf_wr_o      (ev_abuf_wr),
    .ev_obuf_rd_o      (ev_obuf_rd_dma)
  );

  wire            ev_busy;
  wire [CntW-1:0] ev_adds, ev_subs;
  tlpu_ex #(
    .Rows       (Rows),
    .Cols       (Cols),
    .WbufChunks (WbufChunks),
    .AbufWords  (AbufWords),
    .ObufWords  (ObufWords)
  ) u_ex (
    .clk_i        (clk_i),
    .rst_ni       (rst_ni),
    .start_i      (ex_start),
    .abort_i      (soft_reset),
    .bank_i       (eq_head[MM_BANK_LSB]),
    .acc_i        (eq_head[MM_ACC_LSB]),
    .nchunk_i     (16'(fld(eq_head, MM_NCHUNK_LSB, MM_NCHUNK_WIDTH))),
    .woff_i       (16'(fld(eq_head, MM_WOFF_LSB, MM_WOFF_WIDTH))),
    .src_i        (16'(fld(eq_head, MM_SRC_LSB, MM_SRC_WIDTH))),
    .tokens_i     (16'(fld(eq_head, MM_TOKENS_LSB, MM_TOKENS_WIDTH))),
    .astride_i    (16'(fld(eq_head, MM_ASTRIDE_LSB, MM_ASTRIDE_WIDTH))),
    .dst_i        (16'(fld(eq_head, MM_DST_LSB, MM_DST_WIDTH))),
    .busy_o       (ex_busy),
    .wbuf_re_o    (wbuf_re),
    .wbuf_raddr_o (wbuf_raddr),
    .wbuf_rdata_i (wbuf_rdata),
    .abuf_re_o    (abuf_re),
    .abuf_raddr_o (abuf_raddr),
    .abuf_rdata_i (abuf_rdata),
    .obuf_re_o    (obuf_re_ex),
    .obuf_raddr_o (obuf_raddr_ex),
    .obuf_rdata_i (obuf_rdata[0 +: 32*Rows]),
    .obuf_we_o    (obuf_we),
    .obuf_waddr_o (obuf_waddr),
    .obuf_wdata_o (obuf_wdata),
    .ev_busy_o    (ev_busy),
    .ev_adds_o    (ev_adds),
    .ev_subs_o    (ev_subs)
  );

  // ---- performance counters -----------------------------------------------------------
  reg [63:0] inc [NUM_COUNTERS];
  always @(*) begin
    for (int i = 0; i < NUM_COUNTERS; i++) inc[i] = '0;
    inc[CNT_CYCLES]        = 64'(busy);
    inc[CNT_BUSY_CYCLES]   = 64'(ev_busy);
    inc[CNT_STALL_CYCLES]  = 64'(ev_stall);
    inc[CNT_INSNS]         = 64'(retire);
    inc[CNT_LANE_ADDS]     = ev_busy ? 64'(ev_adds) : '0;
    inc[CNT_LANE_SUBS]     = ev_busy ? 64'(ev_subs) : '0;
    inc[CNT_LANE_SKIPS]    = ev_busy ? 64'(Rows * Cols) - 64'(ev_adds) - 64'(ev_subs) : '0;
    inc[CNT_DEC_BYTES]     = ev_dec ? 64'(ev_dec_bytes) : '0;
    inc[CNT_WBUF_RD]       = wbuf_re ? 64'(Rows) : '0;
    inc[CNT_WBUF_WR]       = 64'(ev_wbuf_wr);
    inc[CNT_ABUF_RD]       = 64'(abuf_re);
    inc[CNT_ABUF_WR]       = 64'(ev_abuf_wr);
    inc[CNT_OBUF_RD]       = 64'(obuf_re_ex) + 64'(ev_obuf_rd_dma);
    inc[CNT_OBUF_WR]       = 64'(obuf_we);
    inc[CNT_DRAM_RD_BYTES] = ev_rd_beat ? 64'(BB) : '0;
    inc[CNT_DRAM_WR_BYTES] = ev_wr_beat ? 64'(BB) : '0;
  end

  // ---- CSRs ---------------------------------------------------------------------------
  wire        is_cnt  = csr_addr_i >= CSR_COUNTER_BASE &&
                        csr_addr_i < CSR_COUNTER_BASE + 12'(8 * NUM_COUNTERS);
  wire [11:0] cnt_off = csr_addr_i - CSR_COUNTER_BASE;
  localparam int unsigned CntIdxW = $clog2(NUM_COUNTERS);
  wire [CntIdxW-1:0] cnt_idx = cnt_off[3 +: CntIdxW];
  wire [63:0] cnt_sel = cnt_q[cnt_idx];
  wire unused_cnt_off = ^{cnt_off[11:3+CntIdxW], cnt_off[1:0]};  // word-aligned offsets
  reg  [31:0] rdata;
  always @(*) begin
    rdata = '0;
    if (is_cnt) rdata = cnt_off[2] ? cnt_hi_q : cnt_sel[31:0];
    else case (csr_addr_i)
      CSR_ID:          rdata = ID_MAGIC;
      CSR_VERSION:     rdata = {16'(SPEC_VERSION_MAJOR), 16'(SPEC_VERSION_MINOR)};
      CSR_ROWS:        rdata = 32'(Rows);
      CSR_COLS:        rdata = 32'(Cols);
      CSR_BEAT_BYTES:  rdata = 32'(BeatBytes);
      CSR_WBUF_CHUNKS: rdata = 32'(WbufChunks);
      CSR_ABUF_WORDS:  rdata = 32'(AbufWords);
      CSR_OBUF_WORDS:  rdata = 32'(ObufWords);
      CSR_IMEM_DEPTH:  rdata = 32'(ImemDepth);
      CSR_FORMATS:     rdata = 32'(3);   // PACK2 and PACK3
      CSR_BURST_BEATS: rdata = 32'(BurstBeats);
      CSR_QUEUE_DEPTH: rdata = 32'(QueueDepth);
      CSR_STATUS:      rdata = {16'd0, err_q, 6'd0, done_q, busy};
      CSR_PROG_ADDR:   rdata = prog_addr_q;
      CSR_PROG_LEN:    rdata = prog_len_q;
      CSR_IRQ_ENABLE:  rdata = {31'd0, irq_en_q};
      CSR_IRQ_STATUS:  rdata = {31'd0, irq_st_q};
      CSR_ERR_PC:      rdata = err_pc_q;
      CSR_MEM_TOP:     rdata = mem_top_q;
      default:         rdata = '0;
    endcase
  end
  assign csr_rdata_o = rdata;
  assign irq_o = irq_st_q && irq_en_q;

  // the program ends in the cycle DONE is set (both queues empty, both engines idle)
  wire finishing = (state_q == S_DRAIN && !deadlock && dma_idle && ex_idle) ||
                   (state_q == S_IDLE && start_cmd &&
                    (prog_len_q == 0 || !aligned(prog_addr_q) || !mem_ok(prog_end)));

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      prog_addr_q <= '0;
      prog_len_q  <= '0;
      mem_top_q   <= '1;
      irq_en_q    <= 1'b0;
      irq_st_q    <= 1'b0;
      cnt_hi_q    <= '0;
      for (int i = 0; i < NUM_COUNTERS; i++) cnt_q[i] <= '0;
    end else begin
      if (csr_wr && !busy) begin
        if (csr_addr_i == CSR_PROG_ADDR) prog_addr_q <= csr_wdata_i;
        if (csr_addr_i == CSR_PROG_LEN)  prog_len_q  <= csr_wdata_i;
        if (csr_addr_i == CSR_MEM_TOP)   mem_top_q   <= csr_wdata_i;
      end
      if (csr_wr && csr_addr_i == CSR_IRQ_ENABLE) irq_en_q <= csr_wdata_i[0];
      if (finishing && !soft_reset) irq_st_q <= 1'b1;
      else if (csr_wr && csr_addr_i == CSR_IRQ_STATUS && csr_wdata_i[0]) irq_st_q <= 1'b0;
      if (csr_rd && is_cnt && !cnt_off[2]) cnt_hi_q <= cnt_sel[63:32];
      for (int i = 0; i < NUM_COUNTERS; i++)
        cnt_q[i] <= cnt_reset ? 64'd0 : cnt_q[i] + inc[i];
    end
  end

`ifndef SYNTHESIS
  // ---- stream invariants (simulation only; Verilator --assert) -------------------------
  // A valid the core raises on a memory channel stays raised, with the same
  // payload, until the memory takes it.
  reg              p_rreq_q, p_wreq_q, p_wdata_q;
  reg [31:0]       p_raddr_q, p_waddr_q;
  reg [BurstW-1:0] p_rbeats_q, p_wbeats_q;
  reg [8*BB-1:0]   p_wdata_val_q;
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      p_rreq_q <= 1'b0;  p_wreq_q <= 1'b0;  p_wdata_q <= 1'b0;
      p_raddr_q <= '0;   p_rbeats_q <= '0;  p_waddr_q <= '0;  p_wbeats_q <= '0;
      p_wdata_val_q <= '0;
    end else begin
      p_rreq_q      <= mem_rreq_valid_o && !mem_rreq_ready_i;
      p_wreq_q      <= mem_wreq_valid_o && !mem_wreq_ready_i;
      p_wdata_q     <= mem_wdata_valid_o && !mem_wdata_ready_i;
      p_raddr_q     <= mem_rreq_addr_o;
      p_rbeats_q    <= mem_rreq_beats_o;
      p_waddr_q     <= mem_wreq_addr_o;
      p_wbeats_q    <= mem_wreq_beats_o;
      p_wdata_val_q <= mem_wdata_o;
      if (p_rreq_q) assert (mem_rreq_valid_o && mem_rreq_addr_o == p_raddr_q &&
                            mem_rreq_beats_o == p_rbeats_q)
        else $error("tlpu_core: read request dropped or changed before ready");
      if (p_wreq_q) assert (mem_wreq_valid_o && mem_wreq_addr_o == p_waddr_q &&
                            mem_wreq_beats_o == p_wbeats_q)
        else $error("tlpu_core: write request dropped or changed before ready");
      if (p_wdata_q) assert (mem_wdata_valid_o && mem_wdata_o == p_wdata_val_q)
        else $error("tlpu_core: write data dropped or changed before ready");
      if (mem_rreq_valid_o) assert (mem_rreq_beats_o != 0 && 32'(mem_rreq_beats_o) <= BurstBeats &&
                                    mem_rreq_addr_o % BB == 0)
        else $error("tlpu_core: malformed read request");
      if (mem_wreq_valid_o) assert (mem_wreq_beats_o != 0 && 32'(mem_wreq_beats_o) <= BurstBeats &&
                                    mem_wreq_addr_o % BB == 0)
        else $error("tlpu_core: malformed write request");
      if (ex_start) assert (!ex_busy) else $error("tlpu_core: MM started on a busy engine");
      if (dma_start) assert (!dma_busy || (dq_start && dma_pf_ok && dh_read))
        else $error("tlpu_core: DMA started while busy");
    end
  end
`endif

  // Rows must be a multiple of 4 (ST moves whole 16-byte beats of int32),
  // Cols a multiple of 20 (whole PACK2 and PACK3 bytes per chunk).
  if (Rows % 4 != 0 || Cols % 20 != 0) begin : g_bad_shape
    $error("tlpu_core: Rows must be a multiple of 4 and Cols a multiple of 20");
  end
endmodule
