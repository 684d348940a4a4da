import { describe, expect, it } from "vitest";
import { encodeRequest, encodeResponse } from "./bodies.ts";
import {
  hasRequestBody,
  hasResponseBody,
  isRpcCommand,
  isStreamCommand,
  RPC_COMMAND_SPECS,
  RpcCommand,
  responseBodyFollows,
} from "./commands.ts";
import {
  formatMultiError,
  illegalBase64Error,
  joinFailure,
  keyFailureError,
  queryLimitError,
  RpcError,
  responseLimitError,
  SerfCommandError,
  tagsLimitError,
  unknownLogLevelError,
  userEventLimitError,
} from "./error-strings.ts";
import { encodeRequestHeader, encodeResponseHeader } from "./headers.ts";

describe("RPC commands", () => {
  it("match the rpc.md §5 summary table", () => {
    // command: request body, response body, records
    const table = {
      handshake: "b--",
      auth: "b--",
      event: "b--",
      "force-leave": "b--",
      join: "bB-",
      members: "-B-",
      "members-filtered": "bB-",
      tags: "b--",
      stream: "b-r",
      monitor: "b-r",
      stop: "b--",
      leave: "---",
      query: "b-r",
      respond: "b--",
      "install-key": "bB-",
      "use-key": "bB-",
      "remove-key": "bB-",
      "list-keys": "-B-",
      stats: "-B-",
      "get-coordinate": "bB-",
    };
    expect(Object.keys(RPC_COMMAND_SPECS).sort()).toStrictEqual(Object.keys(table).sort());
    expect(Object.values(RpcCommand).sort()).toStrictEqual(Object.keys(table).sort());
    for (const [command, flags] of Object.entries(table)) {
      expect(isRpcCommand(command)).toBe(true);
      expect(hasRequestBody(command), command).toBe(flags[0] === "b");
      expect(hasResponseBody(command), command).toBe(flags[1] === "B");
      expect(isStreamCommand(command), command).toBe(flags[2] === "r");
    }
    for (const bogus of ["no-such-command", "", "Members", "__proto__", "toString"]) {
      expect(isRpcCommand(bogus)).toBe(false);
      expect(hasRequestBody(bogus)).toBe(false);
      expect(hasResponseBody(bogus)).toBe(false);
    }
  });

  it("send response bodies always, except after the header-only errors", () => {
    expect(responseBodyFollows("join", "")).toBe(true);
    expect(responseBodyFollows("join", "1 error occurred:\n\t* x\n\n")).toBe(true);
    expect(responseBodyFollows("install-key", keyFailureError(3, 3))).toBe(true);
    expect(responseBodyFollows("members", RpcError.AUTH_REQUIRED)).toBe(false);
    expect(responseBodyFollows("members", RpcError.HANDSHAKE_REQUIRED)).toBe(false);
    expect(responseBodyFollows("stream", "")).toBe(false);
    expect(responseBodyFollows("no-such-command", RpcError.UNSUPPORTED_COMMAND)).toBe(false);
  });

  it("encodeRequest / encodeResponse enforce body presence", () => {
    expect(Buffer.from(encodeRequest("members", 4))).toStrictEqual(
      Buffer.from(encodeRequestHeader({ command: "members", seq: 4 })),
    );
    const header: { error: string; seq: number } = { error: RpcError.AUTH_REQUIRED, seq: 4 };
    expect(Buffer.from(encodeResponse("members", header))).toStrictEqual(
      Buffer.from(encodeResponseHeader(header)),
    );
    const encode = encodeResponse as (c: string, h: typeof header, b?: unknown) => Uint8Array;
    const encodeReq = encodeRequest as (c: string, s: number, b?: unknown) => Uint8Array;
    const code = expect.objectContaining({ code: "SERF_ERR_ENCODE" });
    expect(() => encode("members", { error: "", seq: 1 })).toThrow(code);
    expect(() => encode("members", header, { members: [] })).toThrow(code);
    expect(() => encode("leave", { error: "", seq: 1 }, {})).toThrow(code);
    expect(() => encodeReq("handshake", 1)).toThrow(code);
    expect(() => encodeReq("members", 1, {})).toThrow(code);
    // The handshake example of rpc.md §3.
    expect(Buffer.from(encodeRequest("handshake", 0, { version: 1 })).toString("hex")).toBe(
      "82a7436f6d6d616e64a968616e647368616b65a353657100" + "81a756657273696f6e01",
    );
    expect(Buffer.from(encodeResponseHeader({ error: "", seq: 0 })).toString("hex")).toBe(
      "82a54572726f72a0a353657100",
    );
  });
});

describe("RPC error strings", () => {
  it("are exact", () => {
    expect(Object.values(RpcError)).toStrictEqual([
      "Unsupported command",
      "Unsupported IPC version",
      "Handshake already performed",
      "Handshake required",
      "Monitor already exists",
      "Invalid event filter",
      "Stream with given sequence exists",
      "No pending queries matching ID",
      "Authentication required",
      "Invalid authentication token",
    ]);
    expect(unknownLogLevelError("verbose")).toBe("Unknown log level: VERBOSE");
    expect(unknownLogLevelError("")).toBe("Unknown log level: ");
    expect(unknownLogLevelError("straße")).toBe("Unknown log level: STRAßE");
    expect(userEventLimitError(512)).toBe(
      "user event exceeds configured limit of 512 bytes before encoding",
    );
    expect(queryLimitError(1024)).toBe("query exceeds limit of 1024 bytes");
    expect(responseLimitError(1024)).toBe(
      "failed to respond to key query: response exceeds limit of 1024 bytes",
    );
    expect(tagsLimitError()).toBe("Encoded length of tags exceeds limit of 512 bytes");
    expect(keyFailureError(2, 2)).toBe("2/2 nodes reported failure");
    expect(illegalBase64Error(3)).toBe("illegal base64 data at input byte 3");
    expect(SerfCommandError.QUERY_RESERVED_PREFIX).toBe(
      "Queries cannot contain the '_serf_' prefix",
    );
    expect(SerfCommandError.RESPONSE_ALREADY_SENT).toBe(
      "failed to respond to key query: response already sent",
    );
    expect(
      formatMultiError([
        joinFailure("127.0.0.1", "dial tcp 127.0.0.1:1: connect: connection refused"),
      ]),
    ).toBe(
      "1 error occurred:\n\t* Failed to join 127.0.0.1: dial tcp 127.0.0.1:1: connect: connection refused\n\n",
    );
    expect(formatMultiError(["a", "b"])).toBe("2 errors occurred:\n\t* a\n\t* b\n\n");
  });
});
