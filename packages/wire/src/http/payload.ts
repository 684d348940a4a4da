/**
 * Payloads in the HTTP API's JSON: the text when the bytes are valid UTF-8, else base64
 * (`payloadEncoding` says which). Browser-safe (no Node `Buffer`).
 */

import type { PayloadEncoding } from "./schemas.ts";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function base64(bytes: Uint8Array): string {
  let binary = "";
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary);
}

/** `{payload, payloadEncoding}` of a payload (`null` = none = empty text). */
export function encodeHttpPayload(bytes: Uint8Array | null): {
  payload: string;
  payloadEncoding: PayloadEncoding;
} {
  if (bytes === null || bytes.length === 0) return { payload: "", payloadEncoding: "utf8" };
  try {
    return { payload: strictUtf8.decode(bytes), payloadEncoding: "utf8" };
  } catch {
    return { payload: base64(bytes), payloadEncoding: "base64" };
  }
}
