// SPDX-License-Identifier: Apache-2.0
// tlpu_array - the ternary adder array: Rows rows (tlpu_array_row) of Cols
// lanes each. Every row sees the same Cols activations and its own Cols
// trits (as add / subtract masks); there is no multiplier anywhere: a lane is
// a gate in front of an adder-tree input.
//
// One cycle of latency: sums_o / adds_o / subs_o are registered and valid the
// cycle after valid_i. adds_o and subs_o count the lanes that added and
// subtracted in that cycle (the activity the energy model prices; every
// other lane of an active cycle is a skip).
module tlpu_array #(
  parameter int unsigned Rows = 32,
  parameter int unsigned Cols = 80,
  localparam int unsigned SumW = 9 + $clog2(Cols),
  localparam int unsigned LaneCntW = $clog2(Cols + 1),
  localparam int unsigned CntW = $clog2(Rows * Cols + 1)
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
  wire [Rows*SumW-1:0]     sums_d;
  wire [Rows*LaneCntW-1:0] row_adds, row_subs;

  for (genvar r = 0; r < Rows; r++) begin : g_row
    tlpu_array_row #(
      .Cols (Cols)
    ) u_row (
      .x_i    (x_i),
      .add_i  (add_i[r*Cols +: Cols]),
      .sub_i  (sub_i[r*Cols +: Cols]),
      .sum_o  (sums_d[r*SumW +: SumW]),
      .adds_o (row_adds[r*LaneCntW +: LaneCntW]),
      .subs_o (row_subs[r*LaneCntW +: LaneCntW])
    );
  end

  reg [CntW-1:0] adds_d, subs_d;
  always @(*) begin
    adds_d = '0;
    subs_d = '0;
    for (int r = 0; r < Rows; r++) begin
      adds_d = adds_d + CntW'(row_adds[r*LaneCntW +: LaneCntW]);
      subs_d = subs_d + CntW'(row_subs[r*LaneCntW +: LaneCntW]);
    end
  end

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
