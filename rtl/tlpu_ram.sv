// SPDX-License-Identifier: Apache-2.0
// tlpu_ram - on-chip buffer: one write port and NumRead synchronous read
// ports (data the cycle after the address). No reset of the contents.
module tlpu_ram #(
  parameter int unsigned Width   = 32,
  parameter int unsigned Depth   = 256,
  parameter int unsigned NumRead = 1,
  localparam int unsigned AddrW  = (Depth > 1) ? $clog2(Depth) : 1
) (
  input  wire                      clk_i,
  input  wire                      we_i,
  input  wire [AddrW-1:0]          waddr_i,
  input  wire [Width-1:0]          wdata_i,
  input  wire [NumRead-1:0]        re_i,
  input  wire [NumRead*AddrW-1:0]  raddr_i,
  output reg  [NumRead*Width-1:0]  rdata_o
);
  reg [Width-1:0] mem_q [Depth];

  always @(posedge clk_i) begin
    if (we_i) mem_q[waddr_i] <= wdata_i;
    for (int p = 0; p < NumRead; p++)
      if (re_i[p]) rdata_o[p*Width +: Width] <= mem_q[raddr_i[p*AddrW +: AddrW]];
  end
endmodule
