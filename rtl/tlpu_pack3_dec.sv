// SPDX-License-Identifier: Apache-2.0
// tlpu_pack3_dec - one PACK3 byte (five base-3 digits, digit 0 least
// significant) into five 2-bit digits. Four compare-and-subtract stages with
// constant operands: no divider, no multiplier. Bytes 243..255 are not valid
// PACK3; they decode as five zero digits (skips).
module tlpu_pack3_dec (
  input  wire [7:0] byte_i,
  output wire [9:0] digits_o   // digit i in bits [2i+1:2i]; 0 = 0, 1 = +1, 2 = -1
);
  // most significant digit first: 81, 27, 9, 3, 1; each remainder is
  // narrower than the last (< 81, < 27, < 9, < 3)
  wire       valid = (byte_i < 8'd243);
  wire [1:0] d4 = (byte_i >= 8'd162) ? 2'd2 : (byte_i >= 8'd81) ? 2'd1 : 2'd0;
  wire [6:0] r4 = 7'(byte_i - ((byte_i >= 8'd162) ? 8'd162 : (byte_i >= 8'd81) ? 8'd81 : 8'd0));
  wire [1:0] d3 = (r4 >= 7'd54) ? 2'd2 : (r4 >= 7'd27) ? 2'd1 : 2'd0;
  wire [4:0] r3 = 5'(r4 - ((r4 >= 7'd54) ? 7'd54 : (r4 >= 7'd27) ? 7'd27 : 7'd0));
  wire [1:0] d2 = (r3 >= 5'd18) ? 2'd2 : (r3 >= 5'd9) ? 2'd1 : 2'd0;
  wire [3:0] r2 = 4'(r3 - ((r3 >= 5'd18) ? 5'd18 : (r3 >= 5'd9) ? 5'd9 : 5'd0));
  wire [1:0] d1 = (r2 >= 4'd6) ? 2'd2 : (r2 >= 4'd3) ? 2'd1 : 2'd0;
  wire [1:0] d0 = 2'(r2 - ((r2 >= 4'd6) ? 4'd6 : (r2 >= 4'd3) ? 4'd3 : 4'd0));

  assign digits_o = valid ? {d4, d3, d2, d1, d0} : 10'd0;
endmodule
