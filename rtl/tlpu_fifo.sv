// SPDX-License-Identifier: Apache-2.0
// tlpu_fifo - a small synchronous FIFO of Depth entries (registers) with a
// combinational head: head_o is the oldest entry whenever empty_o is low.
// Pushing into a full FIFO or popping an empty one is a caller error
// (asserted in simulation). clear_i empties it.
module tlpu_fifo #(
  parameter int unsigned Width = 128,
  parameter int unsigned Depth = 8,       // power of two
  localparam int unsigned PtrW = $clog2(Depth)
) (
  input  wire              clk_i,
  input  wire              rst_ni,
  input  wire              clear_i,
  input  wire              push_i,
  input  wire [Width-1:0]  data_i,
  input  wire              pop_i,
  output wire [Width-1:0]  head_o,
  output wire              empty_o,
  output wire              full_o
);
  reg [Width-1:0] mem_q [Depth];
  reg [PtrW-1:0]  rd_q, wr_q;
  reg [PtrW:0]    cnt_q;

  assign head_o  = mem_q[rd_q];
  assign empty_o = (cnt_q == '0);
  assign full_o  = (cnt_q == (PtrW+1)'(Depth));

  always @(posedge clk_i) begin
    if (push_i) mem_q[wr_q] <= data_i;
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rd_q  <= '0;
      wr_q  <= '0;
      cnt_q <= '0;
    end else if (clear_i) begin
      rd_q  <= '0;
      wr_q  <= '0;
      cnt_q <= '0;
    end else begin
      if (push_i) wr_q <= wr_q + 1'b1;
      if (pop_i)  rd_q <= rd_q + 1'b1;
      cnt_q <= cnt_q + (PtrW+1)'(push_i) - (PtrW+1)'(pop_i);
    end
  end

`ifndef SYNTHESIS
  always @(posedge clk_i or negedge rst_ni) begin
    if (rst_ni && !clear_i) begin
      if (push_i) assert (!full_o || pop_i) else $error("tlpu_fifo: push into a full FIFO");
      if (pop_i) assert (!empty_o) else $error("tlpu_fifo: pop from an empty FIFO");
    end
  end
`endif

  if ((Depth & (Depth - 1)) != 0 || Depth < 2) begin : g_bad_depth
    $error("tlpu_fifo: Depth must be a power of two >= 2");
  end
endmodule
