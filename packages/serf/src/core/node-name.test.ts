import { describe, expect, it } from "vitest";
import { MAX_NODE_NAME_LENGTH, nodeNameError } from "./node-name.ts";

describe("nodeNameError (Go ValidateNodeNames)", () => {
  it("accepts letters, digits, dashes and dots up to 128 bytes", () => {
    expect(nodeNameError("web-1.dc1")).toBeUndefined();
    expect(nodeNameError("a".repeat(MAX_NODE_NAME_LENGTH))).toBeUndefined();
  });

  it("refuses other characters and longer names with Go's texts", () => {
    expect(nodeNameError("web_1")).toBe(
      "Node name contains invalid characters web_1 , Valid characters include all alpha-numerics and dashes and '.' ",
    );
    expect(nodeNameError("caf\u00e9")).toMatch(/^Node name contains invalid characters café ,/);
    expect(nodeNameError("a".repeat(129))).toBe(
      "Node name is 129 characters. Valid length is between 1 and 128 characters",
    );
  });
});
