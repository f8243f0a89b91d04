// SPDX-License-Identifier: Apache-2.0
// tlpu_array_row - one row of the ternary adder array: Cols lanes and their
// adder tree, organised as a bit-column (carry-save) compressor. No multiplier.
//
// Lane c contributes +x[c] when add_i[c], -x[c] when sub_i[c] and nothing
// otherwise. Write the int8 lane value v[c] in offset binary: for a lane that
// adds, the bits of x; for a lane that subtracts, the bits of ~x (= -x - 1)
// plus a +1 carry-in; for a skip, 0. With bit 7 inverted (two's complement ->
// offset binary, +128 per lane) every bit column has a non-negative weight:
//
//   sum = sum_{b<7} 2^b * |M_b| + 2^7 * |~M_7| + |sub| - 128 * Cols
//   M_b = (add | sub) & (plane_b ^ sub)       (lanes whose value has bit b set)
//
// where plane_b (from tlpu_array) holds bit b of every activation and |.| is
// the number of set lanes. That is exactly the column-compression form of the
// row's adder tree: the lanes' gated bits are added column by column. Each
// column b gets its lane bits (64 lanes per word) plus the carries of column
// b - 1; a chain of full adders (3:2 compressors, applied to 64 lanes in
// parallel) reduces them to one word and passes one carry word per adder to
// column b + 1; the single word left in every column is counted (a
// population-count adder tree) and the weighted counts are added. Gates,
// full adders and adders only; the result equals the lane-by-lane sum.
module tlpu_array_row #(
  parameter int unsigned Cols = 80,
  localparam int unsigned SumW = 9 + $clog2(Cols),
  localparam int unsigned NW = (Cols + 63) / 64
) (
  input  wire [8*NW*64-1:0]     planes_i,   // plane b, word k at [(b*NW + k)*64 +: 64]
  input  wire [Cols-1:0]        add_i,
  input  wire [Cols-1:0]        sub_i,
  output wire [SumW-1:0]        sum_o       // signed
);
  // Simulation only (no effect on the hardware): keep each row a separate
  // C++ function in the Verilated model so its code stays cache-resident.
  /* verilator no_inline_module */

  // Words entering bit column b: NW lane words (b < 8), NW sub_i words (the +1
  // carry-ins, b == 0) and the carry words of column b - 1.
  function automatic int unsigned col_words(input int unsigned b);
    int unsigned k, c;
    k = 0;
    c = 0;
    for (int unsigned i = 0; i <= b; i++) begin
      k = (i < 8 ? NW : 0) + (i == 0 ? NW : 0) + c;
      c = k / 2;
    end
    col_words = k;
  endfunction
  function automatic int unsigned num_cols(input int unsigned max_cols);
    num_cols = 8;
    for (int unsigned b = 8; b < max_cols; b++) begin
      if (col_words(b) > 0) num_cols = b + 1;
    end
  endfunction
  localparam int unsigned NumCols = num_cols(64);   // bit columns incl. carries
  if (NumCols > 16) begin : g_too_wide
    $error("tlpu_array_row: Cols too large for the 16-bit count fields");
  end

  // population count of a 64-lane word as four 16-bit partial counts (an
  // adder tree over 1-, 2-, 4- and 8-bit fields)
  function automatic logic [63:0] cnt16(input logic [63:0] v);
    logic [63:0] a;
    a = v - ((v >> 1) & 64'h5555_5555_5555_5555);
    a = (a & 64'h3333_3333_3333_3333) + ((a >> 2) & 64'h3333_3333_3333_3333);
    a = (a + (a >> 4)) & 64'h0f0f_0f0f_0f0f_0f0f;
    a = (a + (a >> 8)) & 64'h00ff_00ff_00ff_00ff;
    cnt16 = a;
  endfunction

  localparam logic [NW*64-1:0] LaneMask = {(NW*64){1'b1}} >> (NW*64 - Cols);
  wire [NW*64-1:0] add_w = (NW*64)'(add_i);
  wire [NW*64-1:0] sub_w = (NW*64)'(sub_i);

  // the row's masks in 64-lane words (lanes >= Cols are 0)
  for (genvar k = 0; k < NW; k++) begin : g_lw
    wire [63:0] s   = sub_w[64*k +: 64];
    wire [63:0] act = add_w[64*k +: 64] | s;
  end

  for (genvar b = 0; b < NumCols; b++) begin : g_col
    localparam int unsigned K = col_words(b);
    localparam int unsigned NC = K / 2;
    localparam int unsigned NP = (b < 8 ? NW : 0) + (b == 0 ? NW : 0);
    // the K words entering this column
    for (genvar j = 0; j < K; j++) begin : g_w
      wire [63:0] v;
      if (j < NP && b < 7 && j < NW) begin : g_m
        assign v = g_lw[j].act & (planes_i[(b*NW + j)*64 +: 64] ^ g_lw[j].s);
      end else if (j < NP && b == 7) begin : g_m7
        assign v = LaneMask[64*j +: 64] &
                   ~(g_lw[j].act & (planes_i[(b*NW + j)*64 +: 64] ^ g_lw[j].s));
      end else if (j < NP) begin : g_s
        assign v = g_lw[j - NW].s;
      end else begin : g_cin
        assign v = g_col[b-1].g_csa[j - NP].c;
      end
    end
    // carry-save chain: each step folds two more words into the running sum
    // word and emits one carry word into column b + 1
    for (genvar t = 0; t < NC; t++) begin : g_csa
      wire [63:0] a, s, c;
      if (t == 0) begin : g_a0
        assign a = g_w[0].v;
      end else begin : g_an
        assign a = g_csa[t-1].s;
      end
      if (2*t + 2 < K) begin : g_fa
        wire [63:0] p = a ^ g_w[2*t+1].v;
        assign s = p ^ g_w[2*t+2].v;
        assign c = (a & g_w[2*t+1].v) | (p & g_w[2*t+2].v);
      end else begin : g_ha
        assign s = a ^ g_w[2*t+1].v;
        assign c = a & g_w[2*t+1].v;
      end
    end
    wire [63:0] word;
    if (NC == 0) begin : g_w0
      assign word = g_w[0].v;
    end else begin : g_wn
      assign word = g_csa[NC-1].s;
    end
    // population count of the column's single remaining word, weighted 2^b
    // (columns 8.. go to a second accumulator weighted 2^(b-8))
    wire [63:0] f = cnt16(word);
    wire [63:0] lo, hi;
    if (b == 0) begin : g_first
      assign lo = f;
      assign hi = '0;
    end else if (b < 8) begin : g_low
      assign lo = g_col[b-1].lo + (f << b);
      assign hi = g_col[b-1].hi;
    end else begin : g_high
      assign lo = g_col[b-1].lo;
      assign hi = g_col[b-1].hi + (f << (b - 8));
    end
  end

  // sum of the four 16-bit partial counts
  function automatic logic [31:0] hsum16(input logic [63:0] v);
    logic [63:0] a;
    a = (v & 64'h0000_ffff_0000_ffff) + ((v >> 16) & 64'h0000_ffff_0000_ffff);
    hsum16 = a[31:0] + a[63:32];
  endfunction

  wire [31:0] total = hsum16(g_col[NumCols-1].lo) + (hsum16(g_col[NumCols-1].hi) << 8);
  assign sum_o = SumW'(total - 32'(128 * Cols));   // undo the offset binary
endmodule
