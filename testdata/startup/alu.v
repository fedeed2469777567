// A 32-bit ALU for the Yosys synthesis runs of docs/benchmarks.md
// ("Hot functions first for large modules"): testdata/startup/synth.sh.
module alu(input [31:0] a, input [31:0] b, input [3:0] op, output reg [31:0] y, output zero);
  always @* begin
    case (op)
      4'd0: y = a + b;
      4'd1: y = a - b;
      4'd2: y = a & b;
      4'd3: y = a | b;
      4'd4: y = a ^ b;
      4'd5: y = a << b[4:0];
      4'd6: y = a >> b[4:0];
      4'd7: y = $signed(a) >>> b[4:0];
      4'd8: y = ($signed(a) < $signed(b)) ? 32'd1 : 32'd0;
      4'd9: y = (a < b) ? 32'd1 : 32'd0;
      4'd10: y = a * b;
      default: y = ~(a | b);
    endcase
  end
  assign zero = (y == 0);
endmodule
