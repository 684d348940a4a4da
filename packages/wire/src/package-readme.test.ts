import { runReadmeExample } from "@serf-ts/testkit";
import { describe, expect, it } from "vitest";
import { crc32 } from "./codec.ts";
import { type AliveMessage, DecodeError, ErrorCode, type SerfMessage } from "./index.ts";
import type { HandshakeRequest, RequestHeader } from "./rpc/index.ts";

/** The README's example, extracted from its first `ts` block and run as a module. */
describe("README example", () => {
  it("runs as written: messages, packet, encryption, CRC, LZW, errors and RPC", async () => {
    const example = await runReadmeExample<{
      alive: AliveMessage;
      checksum: number;
      compressed: Uint8Array;
      data: Uint8Array;
      datagram: Uint8Array;
      decodeError: DecodeError | undefined;
      decompressed: Uint8Array;
      errors: DecodeError[];
      event: SerfMessage;
      gotAlive: unknown;
      gotEvent: SerfMessage | undefined;
      hadCrc: boolean;
      handshake: HandshakeRequest;
      header: RequestHeader;
      keyIndex: number;
      packet: Uint8Array;
      tags: Map<string, string> | undefined;
    }>(import.meta.url);
    // The datagram round-trips: both messages come back equal, the tags too.
    expect(example.errors).toEqual([]);
    expect(example.hadCrc).toBe(true);
    expect(example.keyIndex).toBe(0);
    expect(example.gotAlive).toEqual(example.alive);
    expect(example.gotEvent).toEqual(example.event);
    expect(example.tags).toEqual(new Map([["role", "web"]]));
    // hasCrc wrapper (0c + CRC-32 of the rest), then version-1 AES-GCM: 1 + 12 + 16 bytes more.
    expect(example.packet[0]).toBe(0x0c);
    const crc = new DataView(example.packet.buffer, example.packet.byteOffset).getUint32(1);
    expect(crc).toBe(crc32(example.packet.subarray(5)));
    expect(example.datagram.length).toBe(example.packet.length + 29);
    expect(example.datagram[0]).toBe(1);
    // Building blocks.
    expect(example.checksum).toBe(0xcbf43926);
    expect(example.compressed.length).toBeLessThan(example.data.length);
    expect(example.decompressed).toEqual(example.data);
    expect(example.decodeError).toBeInstanceOf(DecodeError);
    expect(example.decodeError?.code).toBe(ErrorCode.DECODE);
    // RPC.
    expect(example.header).toEqual({ command: "handshake", seq: 1 });
    expect(example.handshake).toEqual({ version: 1 });
  });
});
