// SPDX-License-Identifier: Apache-2.0
// tlpu_array_row - one row of the ternary adder array: Cols lanes and their
// adder tree. Lane c contributes +x[c] when add_i[c], -x[c] when sub_i[c], and
// nothing otherwise (its tree input is gated to zero: a skip). A balanced
// binary tree of ceil(log2 Cols) levels reduces the lanes; no multiplier.
// Also counts the lanes that added and subtracted (for the energy counters).
// Purely combinational.
module tlpu_array_row #(
  parameter int unsigned Cols = 80,
  localparam int unsigned SumW = 9 + $clog2(Cols),   // |sum| <= 128 * Cols
  localparam int unsigned LaneCntW = $clog2(Cols + 1)
) (
  input  wire [8*Cols-1:0]           x_i,
  input  wire [Cols-1:0]             add_i,
  input  wire [Cols-1:0]             sub_i,
  output reg  signed [SumW-1:0]      sum_o,
  output wire [LaneCntW-1:0]         adds_o,
  output wire [LaneCntW-1:0]         subs_o
);
  always @(*) begin
    logic signed [SumW-1:0] t [Cols];
    for (int c = 0; c < Cols; c++) begin
      logic signed [SumW-1:0] xe;
      xe = SumW'($signed(x_i[8*c +: 8]));
      t[c] = add_i[c] ? xe : sub_i[c] ? -xe : '0;
    end
    for (int step = 1; step < Cols; step = 2 * step)
      for (int i = 0; i + step < Cols; i = i + 2 * step)
        t[i] = t[i] + t[i + step];
    sum_o = t[0];
  end

  assign adds_o = LaneCntW'($countones(add_i));
  assign subs_o = LaneCntW'($countones(sub_i));
endmodule
