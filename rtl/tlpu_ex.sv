// SPDX-License-Identifier: Apache-2.0
// tlpu_ex - runs MM: for each of TOKENS activation rows t and each of NCHUNK
// chunks j (Cols activations), the array adds/subtracts the activation word
// ABUF[src + t*astride + j] under the Rows x Cols trits of weight-buffer
// chunk j, accumulating an int32 per row; after the last chunk of a token the
// Rows sums (plus the old OBUF word when ACC is set) go to OBUF[dst + t].
//
// Pipeline, one chunk per cycle: A reads the buffers, B runs the array
// (registered), C accumulates and writes. An MM of T tokens and N chunks takes
// T*N + 3 cycles from start to idle.
module tlpu_ex #(
  parameter int unsigned Rows       = 32,
  parameter int unsigned Cols       = 80,
  parameter int unsigned WbufChunks = 128,
  parameter int unsigned AbufWords  = 8192,
  parameter int unsigned ObufWords  = 2048,
  localparam int unsigned SumW   = 9 + $clog2(Cols),
  localparam int unsigned CntW   = $clog2(Rows * Cols + 1),
  localparam int unsigned WAddrW = $clog2(2 * WbufChunks),
  localparam int unsigned AAddrW = $clog2(AbufWords),
  localparam int unsigned OAddrW = $clog2(ObufWords)
) (
  input  wire                    clk_i,
  input  wire                    rst_ni,
  input  wire                    start_i,
  input  wire                    abort_i,
  input  wire                    bank_i,
  input  wire                    acc_i,
  input  wire [15:0]             nchunk_i,
  input  wire [15:0]             woff_i,       // first weight chunk of the bank
  input  wire [15:0]             src_i,
  input  wire [15:0]             tokens_i,
  input  wire [15:0]             astride_i,
  input  wire [15:0]             dst_i,
  output wire                    busy_o,

  output wire                    wbuf_re_o,
  output wire [WAddrW-1:0]       wbuf_raddr_o,
  input  wire [Rows*2*Cols-1:0]  wbuf_rdata_i,  // row r: {sub, add} at [r*2*Cols +: 2*Cols]
  output wire                    abuf_re_o,
  output wire [AAddrW-1:0]       abuf_raddr_o,
  input  wire [8*Cols-1:0]       abuf_rdata_i,
  output wire                    obuf_re_o,
  output wire [OAddrW-1:0]       obuf_raddr_o,
  input  wire [32*Rows-1:0]      obuf_rdata_i,
  output wire                    obuf_we_o,
  output wire [OAddrW-1:0]       obuf_waddr_o,
  output wire [32*Rows-1:0]      obuf_wdata_o,

  output wire                    ev_busy_o,     // the array computed this cycle
  output wire [CntW-1:0]         ev_adds_o,
  output wire [CntW-1:0]         ev_subs_o
);
  // ---- stage A: walk tokens x chunks and read the buffers ------------------------
  reg        run_q, bank_q, acc_q;
  reg [15:0] nchunk_q, tokens_q, astride_q, dst_q, woff_q;
  reg [15:0] t_q, j_q;
  reg [31:0] row_base_q;   // src + t*astride

  wire a_valid = run_q;
  wire a_last  = (j_q == nchunk_q - 1);
  assign wbuf_re_o    = a_valid;
  assign wbuf_raddr_o = {bank_q, (WAddrW-1)'(woff_q + j_q)};
  assign abuf_re_o    = a_valid;
  assign abuf_raddr_o = AAddrW'(row_base_q + 32'(j_q));

  // ---- stage B: the array (its inputs are the buffers' read data) -----------------
  reg        b_valid_q, b_first_q, b_last_q;
  reg [15:0] b_t_q;
  wire [Rows*Cols-1:0] add_m, sub_m;
  for (genvar r = 0; r < Rows; r++) begin : g_masks
    assign add_m[r*Cols +: Cols] = wbuf_rdata_i[r*2*Cols +: Cols];
    assign sub_m[r*Cols +: Cols] = wbuf_rdata_i[r*2*Cols + Cols +: Cols];
  end
  // the old output word, for ACC, is read while the token's last chunk is in B
  assign obuf_re_o    = b_valid_q && b_last_q && acc_q;
  assign obuf_raddr_o = OAddrW'(dst_q + b_t_q);

  wire                 arr_valid;
  wire [Rows*SumW-1:0] arr_sums;
  tlpu_array #(
    .Rows (Rows),
    .Cols (Cols)
  ) u_array (
    .clk_i   (clk_i),
    .rst_ni  (rst_ni),
    .valid_i (b_valid_q),
    .x_i     (abuf_rdata_i),
    .add_i   (add_m),
    .sub_i   (sub_m),
    .valid_o (arr_valid),
    .sums_o  (arr_sums),
    .adds_o  (ev_adds_o),
    .subs_o  (ev_subs_o)
  );
  assign ev_busy_o = arr_valid;

  // ---- stage C: accumulate, write the token's word ---------------------------------
  reg        c_first_q, c_last_q;
  reg [15:0] c_t_q;
  reg [32*Rows-1:0] accum_q;
  reg [32*Rows-1:0] accum_d, out_d;
  always @(*) begin
    for (int r = 0; r < Rows; r++) begin
      logic signed [31:0] s, prev;
      s = 32'($signed(arr_sums[r*SumW +: SumW]));
      prev = c_first_q ? 32'sd0 : $signed(accum_q[32*r +: 32]);
      accum_d[32*r +: 32] = prev + s;
      out_d[32*r +: 32] = accum_d[32*r +: 32] + (acc_q ? obuf_rdata_i[32*r +: 32] : 32'd0);
    end
  end
  assign obuf_we_o    = arr_valid && c_last_q;
  assign obuf_waddr_o = OAddrW'(dst_q + c_t_q);
  assign obuf_wdata_o = out_d;

  assign busy_o = run_q || b_valid_q || arr_valid;

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      run_q <= 1'b0;      bank_q <= 1'b0;     acc_q <= 1'b0;
      nchunk_q <= '0;     tokens_q <= '0;     astride_q <= '0;   dst_q <= '0;   woff_q <= '0;
      t_q <= '0;          j_q <= '0;          row_base_q <= '0;
      b_valid_q <= 1'b0;  b_first_q <= 1'b0;  b_last_q <= 1'b0;  b_t_q <= '0;
      c_first_q <= 1'b0;  c_last_q <= 1'b0;   c_t_q <= '0;       accum_q <= '0;
    end else begin
      // A
      if (abort_i) begin
        run_q <= 1'b0;
      end else if (start_i) begin
        run_q      <= 1'b1;
        bank_q     <= bank_i;
        acc_q      <= acc_i;
        nchunk_q   <= nchunk_i;
        woff_q     <= woff_i;
        tokens_q   <= tokens_i;
        astride_q  <= astride_i;
        dst_q      <= dst_i;
        t_q        <= '0;
        j_q        <= '0;
        row_base_q <= 32'(src_i);
      end else if (run_q) begin
        if (a_last) begin
          j_q        <= '0;
          t_q        <= t_q + 1;
          row_base_q <= row_base_q + 32'(astride_q);
          if (t_q == tokens_q - 1) run_q <= 1'b0;
        end else begin
          j_q <= j_q + 1;
        end
      end
      // B
      b_valid_q <= a_valid && !abort_i;
      b_first_q <= (j_q == 0);
      b_last_q  <= a_last;
      b_t_q     <= t_q;
      // C
      c_first_q <= b_first_q;
      c_last_q  <= b_last_q;
      c_t_q     <= b_t_q;
      if (arr_valid) accum_q <= accum_d;
    end
  end
endmodule
