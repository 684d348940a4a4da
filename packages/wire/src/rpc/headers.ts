/**
 * Request and response headers: `{Command, Seq}` before every request body and
 * `{Error, Seq}` before every response body and stream record.
 */

import type { MsgpackWriter } from "../msgpack/writer.ts";
import { decodeStruct, encodeStruct, SAFE_MAX, type StructCodec, writeUint } from "./codec.ts";
import type { RequestHeader, ResponseHeader } from "./types.ts";

export const requestHeaderCodec: StructCodec<RequestHeader> = {
  name: "requestHeader",
  write(w: MsgpackWriter, h: RequestHeader): void {
    w.mapHeader(2);
    w.str("Command").str(h.command);
    w.str("Seq");
    writeUint(w, h.seq, SAFE_MAX, "requestHeader.seq");
  },
  read: (r) => ({ command: r.str("Command"), seq: r.uint64("Seq") }),
};

export const responseHeaderCodec: StructCodec<ResponseHeader> = {
  name: "responseHeader",
  write(w: MsgpackWriter, h: ResponseHeader): void {
    w.mapHeader(2);
    w.str("Error").str(h.error);
    w.str("Seq");
    writeUint(w, h.seq, SAFE_MAX, "responseHeader.seq");
  },
  read: (r) => ({ error: r.str("Error"), seq: r.uint64("Seq") }),
};

/** `{Command, Seq}` as the Go client writes it. */
export function encodeRequestHeader(header: RequestHeader): Uint8Array {
  return encodeStruct(requestHeaderCodec, header);
}

/** Decodes one request header object. Throws `DecodeError`. */
export function decodeRequestHeader(frame: Uint8Array): RequestHeader {
  return decodeStruct(requestHeaderCodec, frame);
}

/** `{Error, Seq}` as the Go agent writes it. */
export function encodeResponseHeader(header: ResponseHeader): Uint8Array {
  return encodeStruct(responseHeaderCodec, header);
}

/** Decodes one response header object. Throws `DecodeError`. */
export function decodeResponseHeader(frame: Uint8Array): ResponseHeader {
  return decodeStruct(responseHeaderCodec, frame);
}
