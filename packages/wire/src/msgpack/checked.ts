import { EncodeError } from "../errors.ts";
import type { MsgpackWriter } from "./writer.ts";

/** Largest values of Go's fixed-size integer types, for range checks before encoding. */
export const UINT8_MAX = 0xff;
export const UINT16_MAX = 0xffff;
export const UINT32_MAX = 0xffffffff;
export const INT32_MIN = -0x80000000;
export const INT32_MAX = 0x7fffffff;

/** Writes an unsigned Go integer after checking it fits the Go type (`max`). */
export function writeUint(w: MsgpackWriter, value: number, max: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new EncodeError(`${what}: ${value} is not an unsigned integer <= ${max}`);
  }
  w.uint(value);
}
