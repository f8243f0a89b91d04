// SPDX-License-Identifier: Apache-2.0
// tlpu_dma - the only user of the memory port. One transfer at a time:
//   FETCH  program instructions      DRAM -> instruction memory
//   LDW    packed weights            DRAM -> gearbox -> decoders -> weight buffer
//   LDA    int8 activation rows      DRAM -> gearbox -> activation buffer
//   ST     int32 output rows         output buffer -> DRAM
// Read requests are issued back to back (bursts of up to BurstBeats beats)
// while data returns, so a transfer costs its beats plus one memory latency.
// Read prefetch: once a LDW/LDA has issued all its requests, the next LDW or
// LDA may start (pf_ok_o): its requests go out at once and its descriptor
// waits in a second slot; its data stage follows the current one's without
// a gap, so back-to-back reads pay the latency once.
// abort_i (soft reset) stops the transfer; beats the memory still owes are
// accepted and dropped, and beats owed to the memory are sent as zeros, so
// the port protocol is never broken.
module tlpu_dma #(
  parameter int unsigned Rows       = 32,
  parameter int unsigned Cols       = 80,
  parameter int unsigned BeatBytes  = 16,
  parameter int unsigned WbufChunks = 128,
  parameter int unsigned AbufWords  = 8192,
  parameter int unsigned ObufWords  = 2048,
  parameter int unsigned ImemDepth  = 1024,
  parameter int unsigned BurstBeats = 16,
  localparam int unsigned BurstW = $clog2(BurstBeats + 1),
  localparam int unsigned RowW   = (Rows > 1) ? $clog2(Rows) : 1,
  localparam int unsigned WAddrW = $clog2(2 * WbufChunks),
  localparam int unsigned AAddrW = $clog2(AbufWords),
  localparam int unsigned OAddrW = $clog2(ObufWords),
  localparam int unsigned IAddrW = $clog2(ImemDepth)
) (
  input  wire                   clk_i,
  input  wire                   rst_ni,

  input  wire                   start_i,
  input  wire [1:0]             op_i,        // DMA_FETCH, DMA_LDW, DMA_LDA, DMA_ST
  input  wire [31:0]            addr_i,
  input  wire [31:0]            stride_i,
  input  wire [15:0]            rows_i,      // LDA, ST
  input  wire [15:0]            nbytes_i,    // LDA: bytes per row
  input  wire [15:0]            count_i,     // ST: int32 per row; FETCH: instructions
  input  wire [15:0]            nchunk_i,    // LDW
  input  wire [WAddrW-2:0]      woff_i,      // LDW: first chunk written
  input  wire                   bank_i,      // LDW
  input  wire                   fmt_i,       // LDW
  input  wire [15:0]            buf_addr_i,  // LDA: ABUF word; ST: OBUF word
  input  wire [7:0]             dstride_i,   // LDA: ABUF words between rows (0: packed)
  input  wire                   sig_i,       // the transfer gives a token when it ends
  input  wire                   abort_i,
  output wire                   busy_o,
  output wire                   pf_ok_o,     // a read may start now as a prefetch
  output wire                   sig_done_o,  // a transfer with sig_i ends (this cycle)

  output wire                   imem_we_o,
  output wire [IAddrW-1:0]      imem_waddr_o,
  output wire [127:0]           imem_wdata_o,
  output wire                   wbuf_we_o,
  output wire [RowW-1:0]        wbuf_row_o,
  output wire [WAddrW-1:0]      wbuf_waddr_o,
  output wire [2*Cols-1:0]      wbuf_wdata_o, // {sub mask, add mask}
  output wire                   abuf_we_o,
  output wire [AAddrW-1:0]      abuf_waddr_o,
  output wire [8*Cols-1:0]      abuf_wdata_o,
  output wire                   obuf_re_o,
  output wire [OAddrW-1:0]      obuf_raddr_o,
  input  wire [32*Rows-1:0]     obuf_rdata_i,

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
  output wire [8*BeatBytes-1:0] mem_wdata_o,

  // activity, one cycle each (counted by the core)
  output wire                   ev_rd_beat_o,
  output wire                   ev_wr_beat_o,
  output wire                   ev_stall_o,
  output wire                   ev_dec_o,      // one LDW chunk decoded
  output wire [7:0]             ev_dec_bytes_o,
  output wire                   ev_wbuf_wr_o,
  output wire                   ev_abuf_wr_o,
  output wire                   ev_obuf_rd_o
);
  localparam [1:0] DMA_FETCH = 2'd0, DMA_LDW = 2'd1, DMA_LDA = 2'd2, DMA_ST = 2'd3;
  localparam int unsigned BB = BeatBytes;
  localparam int unsigned InCntW = $clog2(BB + 1);
  localparam int unsigned OutCntW = $clog2(Cols + 1);

  // ---- the transfer ---------------------------------------------------------
  reg        act_q;            // a transfer is running
  reg [1:0]  op_q;
  reg        bank_q, fmt_q;
  reg [31:0] rows_q;           // rows of the transfer (1 for FETCH / LDW)
  reg [31:0] bpr_q;            // beats per row
  reg [InCntW-1:0] last_bytes_q; // valid bytes in a row's last beat
  reg [15:0] wpr_q;            // LDA: ABUF words per row
  reg [15:0] rstep_q;          // LDA: ABUF words between rows
  reg [31:0] entries_q;        // LDW: row chunks to write
  reg [7:0]  bpc_q;            // LDW: packed bytes per row chunk
  reg [15:0] buf_base_q;
  reg        sig_q;

  // ---- the prefetched read's data descriptor -----------------------------------
  reg        nx_valid_q;
  reg [1:0]  nx_op_q;
  reg        nx_bank_q, nx_fmt_q, nx_sig_q;
  reg [31:0] nx_rows_q, nx_bpr_q, nx_entries_q;
  reg [InCntW-1:0] nx_last_bytes_q;
  reg [15:0] nx_wpr_q, nx_rstep_q, nx_buf_base_q;
  reg [7:0]  nx_bpc_q;
  reg [WAddrW-2:0] nx_woff_q;

  // ---- request side (read or write) ----------------------------------------
  reg        rq_act_q;
  reg        rq_stop_q;        // aborted: stop after the request on offer
  reg        rq_write_q;       // the requests are writes (ST)
  reg        rq_nx_q;          // the requests belong to the prefetched read
  reg [31:0] rq_rows_q, rq_bpr_q;
  reg [31:0] rq_row_q, rq_off_q, rq_addr_q, stride_q;
  wire [31:0] rq_left = rq_bpr_q - rq_off_q;
  wire [BurstW-1:0] rq_beats = (rq_left > 32'(BurstBeats)) ? BurstW'(BurstBeats) : BurstW'(rq_left);
  wire       is_write = (op_q == DMA_ST);
  wire       rq_fire = rq_act_q && (rq_write_q ? mem_wreq_ready_i : mem_rreq_ready_i);

  assign mem_rreq_valid_o = rq_act_q && !rq_write_q;
  assign mem_wreq_valid_o = rq_act_q && rq_write_q;
  assign mem_rreq_addr_o  = rq_addr_q + rq_off_q * BB;
  assign mem_wreq_addr_o  = rq_addr_q + rq_off_q * BB;
  assign mem_rreq_beats_o = rq_beats;
  assign mem_wreq_beats_o = rq_beats;

  wire ld_new, ld_pf, ld_switch;

  // ---- read data side -------------------------------------------------------
  reg [31:0] d_row_q, d_beat_q;   // position of the next beat
  reg        row_in_done_q;       // LDA: the row's last beat is in the gearbox
  reg [15:0] w_q;                 // LDA: words written in this row
  reg [31:0] a_base_q;            // LDA: ABUF word of this row's first word
  reg [31:0] e_q;                 // LDW: entries written
  reg [RowW-1:0] e_row_q;         // LDW: entry's row
  reg [WAddrW-2:0] e_chunk_q;     // LDW: entry's chunk
  reg [31:0] owed_rd_q;           // beats requested but not yet received
  reg [31:0] owed_wr_q;           // beats requested but not yet sent

  wire rd_op      = act_q && !is_write;
  wire last_beat  = (d_beat_q == bpr_q - 1);
  wire [InCntW-1:0] beat_bytes = last_beat ? last_bytes_q : InCntW'(BB);

  wire gb_in_ready, gb_out_valid;
  wire [8*Cols-1:0] gb_out;
  wire to_gearbox = rd_op && (op_q == DMA_LDW || op_q == DMA_LDA) && d_row_q < rows_q;
  wire lda_out;
  // LDA: the row's last word leaves this cycle; the gearbox is then empty, so
  // the next row's first beat may enter in the same cycle (no bubble per row)
  wire row_done_now = op_q == DMA_LDA && row_in_done_q && (lda_out ? w_q + 1 : w_q) == wpr_q;
  wire take_beat   = !row_in_done_q || (row_done_now && d_row_q + 1 < rows_q);
  wire gb_in_valid = to_gearbox && mem_rdata_valid_i && take_beat;

  // ready for data: draining after an abort, or the consumer can take it
  wire rdata_ready = (!act_q || is_write) ? (owed_rd_q != 0)
                   : (op_q == DMA_FETCH) ? 1'b1
                   : (to_gearbox && gb_in_ready && take_beat);
  assign mem_rdata_ready_o = rdata_ready;
  wire rd_fire = mem_rdata_valid_i && rdata_ready;
  wire rd_use  = rd_fire && rd_op && d_row_q < rows_q;   // a beat of this transfer

  wire ldw_out  = act_q && op_q == DMA_LDW && gb_out_valid && e_q < entries_q;
  assign lda_out = act_q && op_q == DMA_LDA && gb_out_valid;
  wire gb_pop   = ldw_out || lda_out;

  tlpu_gearbox #(
    .InBytes (BB),
    .OutMax  (Cols)
  ) u_gearbox (
    .clk_i       (clk_i),
    .rst_ni      (rst_ni),
    .clear_i     (ld_new || ld_switch || abort_i),
    .need_i      ((op_q == DMA_LDW) ? OutCntW'(bpc_q) : OutCntW'(Cols)),
    .in_valid_i  (gb_in_valid),
    .in_bytes_i  (beat_bytes),
    .in_data_i   (mem_rdata_i),
    .in_ready_o  (gb_in_ready),
    .flush_i     (op_q == DMA_LDA && row_in_done_q),
    .out_valid_o (gb_out_valid),
    .out_data_o  (gb_out),
    .out_ready_i (gb_pop)
  );

  wire [Cols-1:0] dec_add, dec_sub;
  tlpu_wdec #(
    .Cols (Cols)
  ) u_wdec (
    .fmt_i   (fmt_q),
    .bytes_i (gb_out[2*Cols-1:0]),
    .add_o   (dec_add),
    .sub_o   (dec_sub)
  );

  assign imem_we_o    = rd_use && op_q == DMA_FETCH;
  assign imem_waddr_o = IAddrW'(d_beat_q);
  assign imem_wdata_o = mem_rdata_i[127:0];
  assign wbuf_we_o    = ldw_out;
  assign wbuf_row_o   = e_row_q;
  assign wbuf_waddr_o = {bank_q, e_chunk_q};
  assign wbuf_wdata_o = {dec_sub, dec_add};
  assign abuf_we_o    = lda_out;
  assign abuf_waddr_o = AAddrW'(a_base_q + 32'(w_q));
  assign abuf_wdata_o = gb_out;

  // ---- write data side (ST) -----------------------------------------------------
  // The OBUF read port is synchronous and holds its data until the next read,
  // and only ST uses it: row r's beats are sent straight from obuf_rdata_i,
  // and row r+1 is read in the cycle row r's last beat is taken, so rows
  // stream without a bubble (one read cycle at the start of the transfer).
  reg [31:0]        s_row_q, s_beat_q;
  reg               s_send_q;    // 0: read the first row, 1: send
  wire st_op       = act_q && is_write && s_row_q < rows_q;
  localparam int unsigned StBeats = (4 * Rows + BB - 1) / BB;  // beats in an OBUF word
  localparam int unsigned StIdxW  = (StBeats > 1) ? $clog2(StBeats) : 1;
  wire [StIdxW-1:0] s_idx = StIdxW'(s_beat_q);
  wire [32*Rows-1:0] s_word = obuf_rdata_i;
  wire [8*BB-1:0] st_beat = s_word[8*BB*s_idx +: 8*BB];
  // After an abort the beats owed to the memory are still sent (the held
  // beat, repeated), and a beat already offered stays offered until taken
  // even if its request is not yet accepted: valid never drops early.
  reg  wd_hold_q;
  wire wdata_owed = !act_q && (owed_wr_q != 0 || wd_hold_q);
  assign mem_wdata_valid_o = (st_op && s_send_q) || wdata_owed;
  assign mem_wdata_o       = st_beat;
  wire wr_fire = mem_wdata_valid_o && mem_wdata_ready_i;
  wire s_row_end = st_op && s_send_q && wr_fire && s_beat_q == bpr_q - 1;
  assign obuf_re_o    = (st_op && !s_send_q) || (s_row_end && s_row_q + 1 < rows_q);
  assign obuf_raddr_o = OAddrW'(32'(buf_base_q) + s_row_q + (s_send_q ? 32'd1 : 32'd0));

  // ---- completion -----------------------------------------------------------------
  wire rd_done  = (d_row_q >= rows_q) &&
                  (op_q != DMA_LDW || e_q >= entries_q);
  wire wr_done  = (s_row_q >= rows_q);
  wire finished = act_q && (!rq_act_q || rq_nx_q) && (is_write ? wr_done : rd_done);
  assign busy_o = act_q || rq_act_q || owed_rd_q != 0 || owed_wr_q != 0 || wd_hold_q;
  assign pf_ok_o = act_q && (op_q == DMA_LDW || op_q == DMA_LDA) && !rq_act_q && !nx_valid_q;
  assign sig_done_o = finished && sig_q;
  // a start on an idle engine (or on one whose transfer ends this cycle with
  // nothing prefetched) loads everything; a start while a read streams in is
  // a prefetch; the prefetched read takes over when the current one ends
  assign ld_new    = start_i && !abort_i && (!act_q || (finished && !nx_valid_q));
  assign ld_pf     = start_i && !abort_i && !ld_new;
  assign ld_switch = !abort_i && finished && nx_valid_q;

  assign ev_rd_beat_o   = rd_fire;
  assign ev_wr_beat_o   = wr_fire;
  assign ev_stall_o     = busy_o && !rd_fire && !wr_fire;
  assign ev_dec_o       = ldw_out;
  assign ev_dec_bytes_o = bpc_q;
  assign ev_wbuf_wr_o   = ldw_out;
  assign ev_abuf_wr_o   = lda_out;
  assign ev_obuf_rd_o   = obuf_re_o;

  // ---- sizes of a new transfer -------------------------------------------------------
  // ceil(n / Cols) without a divider (exact for n < 2^17, see tlpu_core)
  localparam [32:0] RECIP_COLS = 33'((64'd1 << 32) / 64'(Cols) + 64'd1);
  function automatic [15:0] words_of(input [16:0] nbytes);
    logic [49:0] prod;
    logic [16:0] num;
    num = nbytes + 17'(Cols - 1);
    prod = 50'(num) * 50'(RECIP_COLS);
    words_of = 16'(prod >> 32);
  endfunction
  wire [31:0] ldw_bpc   = fmt_i ? 32'(Cols / 5) : 32'(Cols / 4);
  wire [31:0] ldw_bytes = 32'(Rows) * 32'(nchunk_i) * ldw_bpc;
  wire [31:0] row_bytes = (op_i == DMA_LDW) ? ldw_bytes
                        : (op_i == DMA_LDA) ? 32'(nbytes_i)
                        : (op_i == DMA_ST)  ? 32'(count_i) * 4
                        : 32'(count_i) * 16;
  wire [31:0] new_bpr   = (row_bytes + BB - 1) / BB;

  wire [31:0] new_rows = (op_i == DMA_LDA || op_i == DMA_ST) ? 32'(rows_i) : 32'd1;

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      act_q <= 1'b0;        op_q <= 2'd0;        bank_q <= 1'b0;     fmt_q <= 1'b0;
      rows_q <= '0;         bpr_q <= '0;         last_bytes_q <= '0; wpr_q <= '0;
      entries_q <= '0;      bpc_q <= '0;         buf_base_q <= '0;   rstep_q <= '0;
      sig_q <= 1'b0;
      nx_valid_q <= 1'b0;   nx_op_q <= 2'd0;     nx_bank_q <= 1'b0;  nx_fmt_q <= 1'b0;
      nx_sig_q <= 1'b0;     nx_rows_q <= '0;     nx_bpr_q <= '0;     nx_entries_q <= '0;
      nx_last_bytes_q <= '0; nx_wpr_q <= '0;     nx_rstep_q <= '0;   nx_buf_base_q <= '0;
      nx_bpc_q <= '0;       nx_woff_q <= '0;
      rq_act_q <= 1'b0;     rq_stop_q <= 1'b0;   rq_write_q <= 1'b0; rq_nx_q <= 1'b0;
      rq_rows_q <= '0;      rq_bpr_q <= '0;
      rq_row_q <= '0;       rq_off_q <= '0;      rq_addr_q <= '0;
      stride_q <= '0;       d_row_q <= '0;       d_beat_q <= '0;     row_in_done_q <= 1'b0;
      w_q <= '0;            e_q <= '0;           e_row_q <= '0;      e_chunk_q <= '0;
      owed_rd_q <= '0;      owed_wr_q <= '0;      wd_hold_q <= 1'b0;
      s_row_q <= '0;        s_beat_q <= '0;      s_send_q <= 1'b0;   a_base_q <= '0;
    end else begin
      wd_hold_q <= mem_wdata_valid_o && !mem_wdata_ready_i;
      // beats owed by / to the memory, whatever else happens
      owed_rd_q <= owed_rd_q + ((rq_fire && !rq_write_q) ? 32'(rq_beats) : 32'd0)
                             - (rd_fire ? 32'd1 : 32'd0);
      owed_wr_q <= owed_wr_q + ((rq_fire && rq_write_q) ? 32'(rq_beats) : 32'd0)
                             - (wr_fire ? 32'd1 : 32'd0);

      if (abort_i) begin
        act_q      <= 1'b0;
        nx_valid_q <= 1'b0;
        // a request already offered keeps valid high until accepted
        if (rq_fire || !rq_act_q) rq_act_q <= 1'b0;
        else rq_stop_q <= 1'b1;
      end else if (!act_q) begin
        if (rq_fire && rq_stop_q) begin
          rq_act_q  <= 1'b0;
          rq_stop_q <= 1'b0;
        end
        if (start_i) rq_stop_q <= 1'b0;
      end

      if (act_q && !abort_i && !ld_new) begin
        // requests
        if (rq_fire) begin
          if (rq_off_q + 32'(rq_beats) == rq_bpr_q) begin
            rq_off_q  <= '0;
            rq_addr_q <= rq_addr_q + stride_q;
            rq_row_q  <= rq_row_q + 1;
            if (rq_row_q + 1 == rq_rows_q) rq_act_q <= 1'b0;
          end else begin
            rq_off_q <= rq_off_q + 32'(rq_beats);
          end
        end
        // read data
        if (rd_use) begin
          if (last_beat) begin
            d_beat_q <= '0;
            if (op_q == DMA_LDA) row_in_done_q <= 1'b1;
            else d_row_q <= d_row_q + 1;
          end else begin
            d_beat_q <= d_beat_q + 1;
          end
        end
        if (ldw_out) begin
          e_q <= e_q + 1;
          if (e_row_q == RowW'(Rows - 1)) begin
            e_row_q   <= '0;
            e_chunk_q <= e_chunk_q + 1;
          end else begin
            e_row_q <= e_row_q + 1;
          end
        end
        if (lda_out) w_q <= w_q + 1;
        // LDA: a row is complete when its last beat is in and its words are out
        if (row_done_now) begin
          // a one-beat next row may have come in whole this cycle
          row_in_done_q <= rd_use && last_beat;
          w_q           <= '0;
          d_row_q       <= d_row_q + 1;
          a_base_q      <= a_base_q + 32'(rstep_q);
        end
        // write data
        if (st_op && !s_send_q) s_send_q <= 1'b1;
        if (st_op && s_send_q && wr_fire) begin
          if (s_row_end) begin
            s_beat_q <= '0;
            s_row_q  <= s_row_q + 1;
          end else begin
            s_beat_q <= s_beat_q + 1;
          end
        end
        if (finished && !nx_valid_q) act_q <= 1'b0;
      end

      // the data stage takes a new descriptor: from the start, or the prefetched one
      if (ld_new || ld_switch) begin
        act_q         <= 1'b1;
        op_q          <= ld_new ? op_i : nx_op_q;
        bank_q        <= ld_new ? bank_i : nx_bank_q;
        fmt_q         <= ld_new ? fmt_i : nx_fmt_q;
        sig_q         <= ld_new ? sig_i : nx_sig_q;
        rows_q        <= ld_new ? new_rows : nx_rows_q;
        bpr_q         <= ld_new ? new_bpr : nx_bpr_q;
        last_bytes_q  <= ld_new ? InCntW'(row_bytes - (new_bpr - 1) * BB) : nx_last_bytes_q;
        wpr_q         <= ld_new ? words_of(17'(nbytes_i)) : nx_wpr_q;
        rstep_q       <= ld_new ? ((dstride_i != 0) ? 16'(dstride_i) : words_of(17'(nbytes_i)))
                                : nx_rstep_q;
        entries_q     <= ld_new ? 32'(Rows) * 32'(nchunk_i) : nx_entries_q;
        bpc_q         <= ld_new ? 8'(ldw_bpc) : nx_bpc_q;
        buf_base_q    <= ld_new ? buf_addr_i : nx_buf_base_q;
        a_base_q      <= ld_new ? 32'(buf_addr_i) : 32'(nx_buf_base_q);
        e_chunk_q     <= ld_new ? woff_i : nx_woff_q;
        d_row_q       <= '0;
        d_beat_q      <= '0;
        row_in_done_q <= 1'b0;
        w_q           <= '0;
        e_q           <= '0;
        e_row_q       <= '0;
        s_row_q       <= '0;
        s_beat_q      <= '0;
        s_send_q      <= 1'b0;
        nx_valid_q    <= 1'b0;
        rq_nx_q       <= 1'b0;
      end
      // the request side takes the started transfer (idle or prefetch)
      if (ld_new || ld_pf) begin
        rq_act_q   <= 1'b1;
        rq_write_q <= (op_i == DMA_ST);
        rq_nx_q    <= ld_pf;
        rq_rows_q  <= new_rows;
        rq_bpr_q   <= new_bpr;
        rq_row_q   <= '0;
        rq_off_q   <= '0;
        rq_addr_q  <= addr_i;
        stride_q   <= stride_i;
      end
      if (ld_pf) begin
        nx_valid_q      <= 1'b1;
        nx_op_q         <= op_i;
        nx_bank_q       <= bank_i;
        nx_fmt_q        <= fmt_i;
        nx_sig_q        <= sig_i;
        nx_rows_q       <= new_rows;
        nx_bpr_q        <= new_bpr;
        nx_last_bytes_q <= InCntW'(row_bytes - (new_bpr - 1) * BB);
        nx_wpr_q        <= words_of(17'(nbytes_i));
        nx_rstep_q      <= (dstride_i != 0) ? 16'(dstride_i) : words_of(17'(nbytes_i));
        nx_entries_q    <= 32'(Rows) * 32'(nchunk_i);
        nx_bpc_q        <= 8'(ldw_bpc);
        nx_buf_base_q   <= buf_addr_i;
        nx_woff_q       <= woff_i;
      end
    end
  end

`ifndef SYNTHESIS
  // ---- invariants (simulation only; Verilator --assert) ----------------------------
  always @(posedge clk_i or negedge rst_ni) begin
    if (rst_ni) begin
      // the memory sends only what was requested and takes only what is owed
      if (rd_fire) assert (owed_rd_q != 0) else $error("tlpu_dma: read beat nobody requested");
      if (wr_fire) assert (owed_wr_q != 0) else $error("tlpu_dma: write beat without a request");
      if (ldw_out) assert (32'(e_row_q) < Rows) else $error("tlpu_dma: weight row out of range");
      if (lda_out) assert (w_q < wpr_q) else $error("tlpu_dma: more words than the row holds");
      if (ld_pf) assert (pf_ok_o && (op_i == DMA_LDW || op_i == DMA_LDA))
        else $error("tlpu_dma: start while busy that is not a read prefetch");
    end
  end
`endif

  // BeatBytes: one 128-bit instruction per beat (wider ports come later)
  if (BeatBytes != 16) begin : g_bad_beat
    $error("tlpu_dma: BeatBytes must be 16 in this version");
  end
endmodule
