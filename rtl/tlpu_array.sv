// SPDX-License-Identifier: Apache-2.0
// tlpu_array - the ternary adder array: Rows rows (tlpu_array_row) of Cols
// lanes each. Every row sees the same Cols activations and its own Cols
// trits (as add / subtract masks); there is no multiplier anywhere: a lane is
// a gate in front of an adder-tree input.
//
// The activations are handed to the rows as bit planes (plane b = bit b of
// every lane, 64 lanes per word), which is only a rewiring of x_i shared by
// all rows; each row then adds its gated lane bits column by column (see
// tlpu_array_row). The lane activity counters are population counts of the
// masks. Same function as a per-lane adder tree, bit for bit.
//
// One cycle of latency: sums_o / adds_o / subs_o are registered and valid the
// cycle after valid_i. adds_o and subs_o count the lanes that added and
// subtracted in that cycle (the activity the energy model prices; every
// other lane of an active cycle is a skip).
module tlpu_array #(
  parameter int unsigned Rows = 32,
  parameter int unsigned Cols = 80,
  localparam int unsigned SumW = 9 + $clog2(Cols),
  localparam int unsigned CntW = $clog2(Rows * Cols + 1),
  localparam int unsigned NW = (Cols + 63) / 64
) (
  input  wire                    clk_i,
  input  wire                    rst_ni,
  input  wire                    valid_i,
  input  wire [8*Cols-1:0]       x_i,        // Cols int8 activations
  input  wire [Rows*Cols-1:0]    add_i,      // row r, lane c at bit r*Cols + c
  input  wire [Rows*Cols-1:0]    sub_i,
  output reg                     valid_o,
  output reg  [Rows*SumW-1:0]    sums_o,     // row r at bits [r*SumW +: SumW], signed
  output reg  [CntW-1:0]         adds_o,
  output reg  [CntW-1:0]         subs_o
);
  localparam logic [63:0] T1K = 64'haa55_aa55_aa55_aa55, T1M = 64'h00aa_00aa_00aa_00aa;
  localparam logic [63:0] T2K = 64'hcccc_3333_cccc_3333, T2M = 64'h0000_cccc_0000_cccc;
  localparam logic [63:0] T3K = 64'hf0f0_f0f0_0f0f_0f0f, T3M = 64'h0000_0000_f0f0_f0f0;
  localparam logic [63:0] B8 = 64'h00ff_00ff_00ff_00ff, B16 = 64'h0000_ffff_0000_ffff;
  localparam logic [63:0] B32 = 64'h0000_0000_ffff_ffff;

  // activations zero-padded to NW words of 64 lanes (8 groups of 8 lanes each)
  wire [NW*512-1:0] x_pad = (NW*512)'(x_i);

  // bit planes: plane b word k holds bit b of lanes 64k .. 64k+63, lane c at
  // bit c % 64. Pure wiring, written as two transposes: 8x8 bits within each
  // 8-lane group, then 8x8 bytes across the 8 groups of a word.
  wire [8*NW*64-1:0] planes;
  for (genvar k = 0; k < NW; k++) begin : g_pw
    for (genvar j = 0; j < 8; j++) begin : g_grp
      wire [63:0] x0 = x_pad[64*(8*k + j) +: 64];    // byte c = lane 8(8k+j) + c
      wire [63:0] x1 = (x0 & T1K) | ((x0 & T1M) << 7) | ((x0 >> 7) & T1M);
      wire [63:0] x2 = (x1 & T2K) | ((x1 & T2M) << 14) | ((x1 >> 14) & T2M);
      wire [63:0] t  = (x2 & T3K) | ((x2 & T3M) << 28) | ((x2 >> 28) & T3M);
      // t byte b = bit b of the group's 8 lanes
    end
    for (genvar j = 0; j < 8; j++) begin : g_s1
      wire [63:0] v;
      if ((j & 1) == 0) begin : g_lo
        assign v = (g_grp[j].t & B8) | ((g_grp[j+1].t & B8) << 8);
      end else begin : g_hi
        assign v = ((g_grp[j-1].t >> 8) & B8) | (g_grp[j].t & ~B8);
      end
    end
    for (genvar j = 0; j < 8; j++) begin : g_s2
      wire [63:0] v;
      if ((j & 2) == 0) begin : g_lo
        assign v = (g_s1[j].v & B16) | ((g_s1[j+2].v & B16) << 16);
      end else begin : g_hi
        assign v = ((g_s1[j-2].v >> 16) & B16) | (g_s1[j].v & ~B16);
      end
    end
    for (genvar j = 0; j < 8; j++) begin : g_s3
      wire [63:0] v;
      if ((j & 4) == 0) begin : g_lo
        assign v = (g_s2[j].v & B32) | (g_s2[j+4].v << 32);
      end else begin : g_hi
        assign v = (g_s2[j-4].v >> 32) | (g_s2[j].v & ~B32);
      end
      assign planes[(j*NW + k)*64 +: 64] = v;     // plane j, word k
    end
  end

  wire [Rows*SumW-1:0] sums_d;
  for (genvar r = 0; r < Rows; r++) begin : g_row
    tlpu_array_row #(
      .Cols (Cols)
    ) u_row (
      .planes_i (planes),
      .add_i    (add_i[r*Cols +: Cols]),
      .sub_i    (sub_i[r*Cols +: Cols]),
      .sum_o    (sums_d[r*SumW +: SumW])
    );
  end

  // lane activity counters: population counts of the masks, CntChunk bits at a time
  localparam int unsigned CntChunk = 512;
  localparam int unsigned NumChunks = (Rows * Cols + CntChunk - 1) / CntChunk;
  wire [NumChunks*CntChunk-1:0] add_pad = (NumChunks*CntChunk)'(add_i);
  wire [NumChunks*CntChunk-1:0] sub_pad = (NumChunks*CntChunk)'(sub_i);
  for (genvar k = 0; k < NumChunks; k++) begin : g_cnt
    wire [CntW-1:0] a, s;
    if (k == 0) begin : g_first
      assign a = CntW'($countones(add_pad[0 +: CntChunk]));
      assign s = CntW'($countones(sub_pad[0 +: CntChunk]));
    end else begin : g_next
      assign a = g_cnt[k-1].a + CntW'($countones(add_pad[k*CntChunk +: CntChunk]));
      assign s = g_cnt[k-1].s + CntW'($countones(sub_pad[k*CntChunk +: CntChunk]));
    end
  end
  wire [CntW-1:0] adds_d = g_cnt[NumChunks-1].a;
  wire [CntW-1:0] subs_d = g_cnt[NumChunks-1].s;

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      valid_o <= 1'b0;
      sums_o  <= '0;
      adds_o  <= '0;
      subs_o  <= '0;
    end else begin
      valid_o <= valid_i;
      if (valid_i) begin
        sums_o <= sums_d;
        adds_o <= adds_d;
        subs_o <= subs_d;
      end
    end
  end
endmodule
