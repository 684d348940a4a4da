/**
 * The byte pipeline between the SWIM core (typed / already-encoded messages) and the transport
 * (datagrams and stream bytes), in the order Go memberlist 0.2.2 applies it (memberlist.md
 * §5, §7, §8).
 *
 * Packets out: encoded parts → compound (more than one part) → LZW when strictly shorter (if
 * compression is on) → hasCrc (when the transmit asks) → AES-GCM with the primary key,
 * version 1, no additional data (when a keyring is set and `gossipVerifyOutgoing`).
 *
 * Packets in: decrypt with any key (falling back to plaintext only when `gossipVerifyIncoming`
 * is false) → hasCrc check → compound / compress unwrapping → typed messages. Bad input never
 * throws: it is counted in `stats` and logged.
 *
 * Streams: one message per direction, always compressed when compression is on, encrypted in a
 * `0a` frame when a keyring is set and `gossipVerifyOutgoing`; a plaintext stream reaching a
 * node that requires encryption is answered with Go's errResp text.
 *
 * Everything here is synchronous (`node:crypto` AES-GCM), so the driver stays simple.
 */

import {
  decodePacket,
  type EncryptionVersion,
  encodeCompounds,
  encodeMessage,
  encodePacket,
  encodeStreamMessage,
  type Keyring,
  type MemberlistMessage,
  openIncomingPacket,
  type PacketMessage,
  StreamEncryptionMismatchError,
  type StreamMessage,
  StreamMessageReader,
  type StreamReadResult,
  sealOutgoingPacket,
} from "@serf-ts/wire";
import { type Logger, noopLogger } from "./logger.ts";
import type { Address } from "./transport.ts";

/** Bytes AES-GCM version 1 adds to every packet (version + nonce + tag). */
export const ENCRYPTION_OVERHEAD_BYTES = 29;

/** Options of a `PacketPipeline`; mirrors the Go config fields of the same meaning. */
export interface PacketPipelineOptions {
  /** Go `EnableCompression`. @default true */
  readonly enableCompression?: boolean;
  /**
   * Gossip keyring; encryption is enabled when set. Read on every packet, so key install/use
   * on the same object takes effect immediately; replace the object with `setKeyring`.
   */
  readonly keyring?: Keyring | undefined;
  /** Go `GossipVerifyIncoming`: drop packets/streams that are not encrypted. @default true */
  readonly gossipVerifyIncoming?: boolean;
  /** Go `GossipVerifyOutgoing`: encrypt what we send. @default true */
  readonly gossipVerifyOutgoing?: boolean;
  /** @default 1 (Go's choice for memberlist protocol >= 2) */
  readonly encryptionVersion?: EncryptionVersion;
  /** @default noopLogger */
  readonly logger?: Logger;
}

/** How one outgoing packet is framed. */
export interface OutgoingPacketOptions {
  /** Add the hasCrc wrapper (Go: destination known with PMax >= 5). */
  readonly crc: boolean;
}

/** Counters of the pipeline (monotonic). */
export interface PacketPipelineStats {
  packetsOut: number;
  packetsIn: number;
  /** Datagrams dropped as a whole (decrypt failure, bad CRC, empty, unusable). */
  badPackets: number;
  decryptFailures: number;
  /** Parts or layers that did not decode (the rest of the packet was still used). */
  decodeErrors: number;
  /** Compound parts lost because the packet ended early. */
  truncatedParts: number;
  /** Datagrams that were accepted as plaintext although a keyring is set. */
  plaintextAccepted: number;
  streamsOut: number;
  streamsIn: number;
  badStreams: number;
}

/** What `decodeIncoming` made of one datagram. */
export interface IncomingPacket {
  readonly messages: PacketMessage[];
  /** True when the datagram carried a valid hasCrc wrapper. */
  readonly hadCrc: boolean;
  /** True when it was decrypted. */
  readonly encrypted: boolean;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Encodes messages that are not already bytes. */
function toBytes(part: Uint8Array | MemberlistMessage): Uint8Array {
  return part instanceof Uint8Array ? part : encodeMessage(part);
}

/** Packet and stream framing, compression, checksums and encryption. */
export class PacketPipeline {
  readonly stats: PacketPipelineStats = {
    packetsOut: 0,
    packetsIn: 0,
    badPackets: 0,
    decryptFailures: 0,
    decodeErrors: 0,
    truncatedParts: 0,
    plaintextAccepted: 0,
    streamsOut: 0,
    streamsIn: 0,
    badStreams: 0,
  };
  readonly enableCompression: boolean;
  readonly gossipVerifyIncoming: boolean;
  readonly gossipVerifyOutgoing: boolean;
  readonly encryptionVersion: EncryptionVersion;
  #keyring: Keyring | undefined;
  readonly #logger: Logger;

  constructor(options: PacketPipelineOptions = {}) {
    this.enableCompression = options.enableCompression ?? true;
    this.gossipVerifyIncoming = options.gossipVerifyIncoming ?? true;
    this.gossipVerifyOutgoing = options.gossipVerifyOutgoing ?? true;
    this.encryptionVersion = options.encryptionVersion ?? 1;
    this.#keyring = options.keyring;
    this.#logger = options.logger ?? noopLogger;
  }

  /** The keyring in use (`undefined`: no encryption). */
  get keyring(): Keyring | undefined {
    return this.#keyring;
  }

  /** Replaces the keyring (`undefined` disables encryption). */
  setKeyring(keyring: Keyring | undefined): void {
    this.#keyring = keyring;
  }

  /** Go `EncryptionEnabled()`: a keyring with at least one key. */
  get encryptionEnabled(): boolean {
    return this.#keyring !== undefined && this.#keyring.size > 0;
  }

  /** True when outgoing traffic is encrypted. */
  get encryptsOutgoing(): boolean {
    return this.encryptionEnabled && this.gossipVerifyOutgoing;
  }

  /**
   * Bytes to subtract from the 1400-byte UDP budget when building gossip (Go subtracts 29 when
   * encryption is enabled).
   */
  get packetOverheadBytes(): number {
    return this.encryptionEnabled ? ENCRYPTION_OVERHEAD_BYTES : 0;
  }

  // -------------------------------------------------------------------------------------------
  // Packets

  /**
   * Frames encoded messages (type byte + body each, or typed messages) into datagrams ready to
   * send: normally one; more only when there are over 255 parts (split like newer memberlist
   * does, since a compound holds at most 255). Returns `[]` and logs if encoding fails.
   */
  encodeOutgoing(
    parts: readonly (Uint8Array | MemberlistMessage)[],
    opts: OutgoingPacketOptions,
  ): Uint8Array[] {
    if (parts.length === 0) return [];
    try {
      const encoded = parts.map(toBytes);
      const groups = encoded.length <= 255 ? [encoded] : encodeCompounds(encoded).map((c) => [c]);
      const out: Uint8Array[] = [];
      for (const group of groups) {
        let packet = encodePacket(group, { compress: this.enableCompression, crc: opts.crc });
        if (this.encryptsOutgoing) {
          packet = sealOutgoingPacket(packet, this.#keyring!, this.encryptionVersion);
        }
        out.push(packet);
      }
      this.stats.packetsOut += out.length;
      return out;
    } catch (err) {
      this.#logger.error("failed to encode packet", { err: errorText(err) });
      return [];
    }
  }

  /**
   * Turns one received datagram into typed messages. Never throws: undecryptable, corrupt or
   * empty packets yield no messages, bad parts are skipped; both are counted and logged.
   */
  decodeIncoming(datagram: Uint8Array, from: Address): IncomingPacket {
    this.stats.packetsIn++;
    let plain = datagram;
    let encrypted = false;
    if (this.encryptionEnabled) {
      try {
        plain = openIncomingPacket(datagram, this.#keyring!).packet;
        encrypted = true;
      } catch (err) {
        if (this.gossipVerifyIncoming) {
          this.stats.decryptFailures++;
          this.stats.badPackets++;
          this.#logger.error("Decrypt packet failed", { from, err: errorText(err) });
          return { messages: [], hadCrc: false, encrypted: false };
        }
        this.stats.plaintextAccepted++;
      }
    }
    const decoded = decodePacket(plain);
    this.stats.truncatedParts += decoded.truncated;
    if (decoded.truncated > 0) {
      this.#logger.warn("compound request had truncated messages", {
        from,
        truncated: decoded.truncated,
      });
    }
    if (decoded.errors.length > 0) {
      this.stats.decodeErrors += decoded.errors.length;
      if (decoded.messages.length === 0) this.stats.badPackets++;
      for (const err of decoded.errors) {
        this.#logger.error("failed to decode packet", { from, err: err.message });
      }
    }
    return { messages: decoded.messages, hadCrc: decoded.hadCrc, encrypted };
  }

  // -------------------------------------------------------------------------------------------
  // Streams

  /**
   * Encodes one stream message as Go writes it: compressed (no size check) when compression
   * is on, then an encrypted frame when we encrypt. Throws `EncodeError` (e.g. > 20 MiB).
   */
  encodeStream(msg: StreamMessage): Uint8Array {
    this.stats.streamsOut++;
    return encodeStreamMessage(msg, {
      compress: this.enableCompression,
      keyring: this.encryptsOutgoing ? this.#keyring : undefined,
      encryptionVersion: this.encryptionVersion,
    });
  }

  /** A reader for the one message arriving on a stream (request or reply). */
  createStreamReader(): StreamMessageReader {
    return new StreamMessageReader({
      keyring: this.encryptionEnabled ? this.#keyring : undefined,
      verifyIncoming: this.gossipVerifyIncoming,
    });
  }

  /**
   * The reply Go sends when it cannot read a stream request: an errResp with Go's text for
   * an encryption mismatch ("Encryption is configured but remote state is not encrypted" /
   * "Remote state is encrypted and encryption is not configured"), encoded like any of our
   * stream messages. `undefined` for other errors (Go just closes the connection).
   */
  errorReplyFor(err: unknown): Uint8Array | undefined {
    this.stats.badStreams++;
    if (!(err instanceof StreamEncryptionMismatchError)) return undefined;
    try {
      return this.encodeStream({ type: "error", error: err.message });
    } catch {
      return undefined;
    }
  }

  /** Counts an incoming stream message (for stats). */
  noteStreamIn(_result: StreamReadResult): void {
    this.stats.streamsIn++;
  }
}
