// SPDX-License-Identifier: Apache-2.0
// tlpu_gearbox - re-cuts a byte stream from memory beats (up to InBytes
// valid bytes each) into words of need_i bytes (1..OutMax). One beat in and
// one word out per cycle at most. Bytes beyond a word's length, and beyond
// the valid bytes of a partial last word emitted by flush_i, are zero.
//
// The buffer holds at most InBytes + OutMax bytes; a beat is accepted
// whenever no more than OutMax bytes are waiting, which sustains one beat per
// cycle for any need_i <= OutMax.
module tlpu_gearbox #(
  parameter int unsigned InBytes = 16,
  parameter int unsigned OutMax  = 80,
  localparam int unsigned Cap     = InBytes + OutMax,
  localparam int unsigned CntW    = $clog2(Cap + 1),
  localparam int unsigned InCntW  = $clog2(InBytes + 1),
  localparam int unsigned OutCntW = $clog2(OutMax + 1)
) (
  input  wire                   clk_i,
  input  wire                   rst_ni,
  input  wire                   clear_i,     // drop all buffered bytes
  input  wire [OutCntW-1:0]     need_i,      // bytes per output word
  input  wire                   in_valid_i,
  input  wire [InCntW-1:0]      in_bytes_i,  // valid low bytes of in_data_i (1..InBytes)
  input  wire [8*InBytes-1:0]   in_data_i,
  output wire                   in_ready_o,
  input  wire                   flush_i,     // emit a partial word (fewer than need_i bytes)
  output wire                   out_valid_o,
  output wire [8*OutMax-1:0]    out_data_o,
  input  wire                   out_ready_i
);
  reg [8*Cap-1:0] buf_q, buf_d;
  reg [CntW-1:0]  cnt_q, cnt_d;

  wire full_word = (cnt_q >= CntW'(need_i));
  assign out_valid_o = full_word || (flush_i && cnt_q != '0);
  assign in_ready_o  = (cnt_q <= CntW'(OutMax));

  // the word: the first min(cnt, need) bytes (bytes past cnt are already zero)
  reg [8*OutMax-1:0] word;
  always @(*) begin
    word = buf_q[8*OutMax-1:0];
    for (int b = 0; b < OutMax; b++)
      if (b >= 32'(need_i)) word[8*b +: 8] = 8'h00;
  end
  assign out_data_o = word;

  wire [CntW-1:0] popped = (out_valid_o && out_ready_i) ? (full_word ? CntW'(need_i) : cnt_q)
                                                         : '0;
  wire            push   = in_valid_i && in_ready_o;

  always @(*) begin
    reg [8*InBytes-1:0] in_masked;
    in_masked = in_data_i;
    for (int b = 0; b < InBytes; b++)
      if (b >= 32'(in_bytes_i)) in_masked[8*b +: 8] = 8'h00;
    buf_d = buf_q >> (8 * popped);
    cnt_d = cnt_q - popped;
    if (push) begin
      buf_d = buf_d | ({{8*OutMax{1'b0}}, in_masked} << (8 * cnt_d));
      cnt_d = cnt_d + CntW'(in_bytes_i);
    end
    if (clear_i) begin
      buf_d = '0;
      cnt_d = '0;
    end
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      buf_q <= '0;
      cnt_q <= '0;
    end else begin
      buf_q <= buf_d;
      cnt_q <= cnt_d;
    end
  end
`ifndef SYNTHESIS
  always @(posedge clk_i or negedge rst_ni) begin
    if (rst_ni) begin
      assert (32'(cnt_q) <= Cap) else $error("tlpu_gearbox: buffer overflow");
      if (in_valid_i) assert (in_bytes_i != 0 && 32'(in_bytes_i) <= InBytes)
        else $error("tlpu_gearbox: beat with no or too many bytes");
      if (out_valid_o && out_ready_i && !full_word) assert (flush_i)
        else $error("tlpu_gearbox: partial word without flush");
    end
  end
`endif
endmodule
