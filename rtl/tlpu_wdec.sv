// SPDX-License-Identifier: Apache-2.0
// tlpu_wdec - decodes one row chunk of packed weights (Cols trits) into
// add / subtract masks for the lanes. fmt_i selects the packing:
//   FMT_PACK2: Cols/4 bytes, trit i in bits [2i+1:2i] of the stream
//   FMT_PACK3: Cols/5 bytes, five base-3 digits per byte (tlpu_pack3_dec)
// Digit 0 = skip, 1 = add (+1), 2 = subtract (-1); the PACK2 code 3 is not
// valid and decodes as a skip. Purely combinational.
module tlpu_wdec #(
  parameter int unsigned Cols = 80   // multiple of 20
) (
  input  wire                  fmt_i,     // 0 PACK2, 1 PACK3
  input  wire [2*Cols-1:0]     bytes_i,   // Cols/4 bytes (PACK3 uses the low Cols/5)
  output wire [Cols-1:0]       add_o,
  output wire [Cols-1:0]       sub_o
);
  wire [2*Cols-1:0] digits3;
  for (genvar b = 0; b < Cols / 5; b++) begin : g_p3
    tlpu_pack3_dec u_dec (
      .byte_i   (bytes_i[8*b +: 8]),
      .digits_o (digits3[10*b +: 10])
    );
  end

  wire [2*Cols-1:0] digits = fmt_i ? digits3 : bytes_i;
  for (genvar c = 0; c < Cols; c++) begin : g_mask
    assign add_o[c] = (digits[2*c +: 2] == 2'd1);
    assign sub_o[c] = (digits[2*c +: 2] == 2'd2);
  end
endmodule
