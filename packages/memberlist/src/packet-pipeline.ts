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
 * Cluster label (memberlist >= 0.3, only when `label` is set; memberlist.md §11): outgoing
 * packets and the streams we dial get the `f4 | len | label` header outermost (after
 * encryption) and the label is GCM additional data (packets: the label bytes; streams: the 5
 * frame bytes then the label). Stream replies carry no header but use the same additional
 * data. Inbound packets / streams are checked like Go's `ingestPacket` / `handleConn` before
 * anything else. Without a label the bytes are exactly memberlist 0.2.2's.
 *
 * Everything here is synchronous (`node:crypto` AES-GCM), so the driver stays simple.
 */

import {
  DecodeError,
  DecryptError,
  type Keyring,
  type MemberlistMessage,
  MessageType,
  type PacketMessage,
  type StreamMessage,
  utf8Decode,
  utf8Encode,
} from "@serf-ts/wire";
import {
  decodePacket,
  type EncryptionVersion,
  encodeCompounds,
  encodeMessage,
  encodePacket,
  encodeStreamMessage,
  MAX_LABEL_BYTES,
  openPacket,
  StreamEncryptionMismatchError,
  StreamMessageReader,
  type StreamReadResult,
  sealOutgoingPacket,
  stripLabelHeader,
} from "@serf-ts/wire/codec";
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
  /**
   * Go `Label`: cluster label put on outgoing packets / dialed streams and required on inbound
   * ones; at most 255 UTF-8 bytes. @default "" (none: memberlist 0.2.2 bytes)
   */
  readonly label?: string | undefined;
  /**
   * Go `SkipInboundLabelCheck`: accept unlabelled inbound traffic as if it carried `label`;
   * labelled inbound traffic is then dropped. @default false
   */
  readonly skipInboundLabelCheck?: boolean | undefined;
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
  /**
   * Packets and streams dropped for their label header (label differs from ours, missing,
   * unexpected with `skipInboundLabelCheck`, or malformed). Also counted in `badPackets` /
   * `badStreams`.
   */
  rejectedLabels: number;
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

/** Go's `%q` for a label in log text (close enough for printable labels). */
function quote(label: string): string {
  return JSON.stringify(label);
}

/**
 * Thrown by an inbound stream reader when the stream's label header is not acceptable; the
 * pipeline has already counted and logged it. Close the connection without a reply.
 */
export class StreamLabelError extends Error {
  override readonly name = "StreamLabelError";
}

/** Reads the one request arriving on an inbound stream, label header checked first. */
export interface InboundStreamReader {
  /** Appends received bytes. */
  push(chunk: Uint8Array): void;
  /**
   * The request, or `undefined` when more bytes are needed. Throws `StreamLabelError` for an
   * unacceptable label, otherwise like `StreamMessageReader.read` (see `errorReplyFor`).
   */
  read(): StreamReadResult | undefined;
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
    rejectedLabels: 0,
  };
  readonly enableCompression: boolean;
  readonly gossipVerifyIncoming: boolean;
  readonly gossipVerifyOutgoing: boolean;
  readonly encryptionVersion: EncryptionVersion;
  /** Our cluster label ("" = none). */
  readonly label: string;
  readonly skipInboundLabelCheck: boolean;
  #keyring: Keyring | undefined;
  readonly #logger: Logger;

  constructor(options: PacketPipelineOptions = {}) {
    this.enableCompression = options.enableCompression ?? true;
    this.gossipVerifyIncoming = options.gossipVerifyIncoming ?? true;
    this.gossipVerifyOutgoing = options.gossipVerifyOutgoing ?? true;
    this.encryptionVersion = options.encryptionVersion ?? 1;
    this.#keyring = options.keyring;
    this.#logger = options.logger ?? noopLogger;
    this.label = options.label ?? "";
    this.skipInboundLabelCheck = options.skipInboundLabelCheck ?? false;
    if (utf8Encode(this.label).length > MAX_LABEL_BYTES) {
      throw new RangeError(`could not use ${quote(this.label)} as a label: too long`);
    }
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
    return (this.encryptionEnabled ? ENCRYPTION_OVERHEAD_BYTES : 0) + this.labelOverheadBytes;
  }

  /** Bytes the label header adds to every packet (Go `labelOverhead`): 0 or `2 + length`. */
  get labelOverheadBytes(): number {
    return this.label === "" ? 0 : 2 + utf8Encode(this.label).length;
  }

  /**
   * Go's inbound label check: the label to use as additional data, or `undefined` (logged)
   * when the traffic must be dropped. `header` is the label header's label (`null`: none).
   */
  #acceptLabel(header: string | null, kind: "packet" | "stream", from: Address) {
    let label = header ?? "";
    if (this.skipInboundLabelCheck) {
      if (header !== null) {
        this.#logger.error(`unexpected double ${kind} label header`, { from });
        return undefined;
      }
      label = this.label; // so the additional-data check still applies
    }
    if (label !== this.label) {
      this.#logger.error(`discarding ${kind} with unacceptable label ${quote(label)}`, { from });
      return undefined;
    }
    return label;
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
        let packet = encodePacket(group, {
          compress: this.enableCompression,
          crc: opts.crc,
          ...(this.label === "" ? {} : { label: this.label }),
        });
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
    const none: IncomingPacket = { messages: [], hadCrc: false, encrypted: false };
    let stripped: { label: string | null; rest: Uint8Array };
    try {
      stripped = stripLabelHeader(datagram);
    } catch (err) {
      this.stats.rejectedLabels++;
      this.stats.badPackets++;
      this.#logger.error(errorText(err), { from });
      return none;
    }
    const label = this.#acceptLabel(stripped.label, "packet", from);
    if (label === undefined) {
      this.stats.rejectedLabels++;
      this.stats.badPackets++;
      return none;
    }
    let plain = stripped.rest;
    let encrypted = false;
    if (this.encryptionEnabled) {
      try {
        const aad = label === "" ? undefined : utf8Encode(label);
        plain = openPacket(this.#keyring!, stripped.rest, aad).plaintext;
        encrypted = true;
      } catch (err) {
        if (this.gossipVerifyIncoming) {
          this.stats.decryptFailures++;
          this.stats.badPackets++;
          this.#logger.error("Decrypt packet failed", { from, err: errorText(err) });
          return none;
        }
        this.stats.plaintextAccepted++;
      }
    }
    if (plain[0] === MessageType.HAS_LABEL) {
      // A second label header: Go hands it to handleCommand, which rejects the type.
      this.stats.decodeErrors++;
      this.stats.badPackets++;
      this.#logger.error("failed to decode packet", {
        from,
        err: `msg type (${MessageType.HAS_LABEL}) not supported`,
      });
      return none;
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
   * Encodes the request of a stream we dial as Go writes it: compressed (no size check) when
   * compression is on, then an encrypted frame when we encrypt, then our label header (when
   * a label is set). Throws `EncodeError` (e.g. > 20 MiB).
   */
  encodeStream(msg: StreamMessage): Uint8Array {
    return this.#encodeStream(msg, true);
  }

  /**
   * Encodes the reply on a stream we accepted: like `encodeStream` but without a label header
   * (only the dialer writes one); the label is still GCM additional data.
   */
  encodeStreamReply(msg: StreamMessage): Uint8Array {
    return this.#encodeStream(msg, false);
  }

  #encodeStream(msg: StreamMessage, labelHeader: boolean): Uint8Array {
    this.stats.streamsOut++;
    return encodeStreamMessage(msg, {
      compress: this.enableCompression,
      keyring: this.encryptsOutgoing ? this.#keyring : undefined,
      encryptionVersion: this.encryptionVersion,
      ...(this.label === "" ? {} : { label: this.label, labelHeader }),
    });
  }

  /**
   * A reader for the reply on a stream we dialed (our label is the additional data). Without
   * a label it also reads requests as before; use `createInboundStreamReader` for those.
   */
  createStreamReader(): StreamMessageReader {
    return this.#messageReader(this.label);
  }

  #messageReader(label: string): StreamMessageReader {
    return new StreamMessageReader({
      keyring: this.encryptionEnabled ? this.#keyring : undefined,
      verifyIncoming: this.gossipVerifyIncoming,
      label,
    });
  }

  /**
   * A reader for the request on a stream we accepted (Go `handleConn`): the label header is
   * checked before anything else is read; an unacceptable one is counted, logged and thrown
   * as `StreamLabelError`.
   */
  createInboundStreamReader(from: Address): InboundStreamReader {
    let head = new Uint8Array(0);
    let inner: StreamMessageReader | undefined;
    const reject = (): never => {
      this.stats.rejectedLabels++;
      this.stats.badStreams++;
      throw new StreamLabelError("unacceptable stream label");
    };
    return {
      push: (chunk) => {
        if (inner !== undefined) {
          inner.push(chunk);
          return;
        }
        const next = new Uint8Array(head.length + chunk.length);
        next.set(head);
        next.set(chunk, head.length);
        head = next;
      },
      read: () => {
        if (inner === undefined) {
          if (head.length === 0) return undefined;
          let header: string | null = null;
          let end = 0;
          if (head[0] === MessageType.HAS_LABEL) {
            if (head.length < 2) return undefined;
            const size = head[1]!;
            if (size < 1) {
              this.#logger.error("failed to receive and remove the stream label header", {
                from,
                err: "label header cannot be empty when present",
              });
              return reject();
            }
            if (head.length < 2 + size) return undefined;
            header = utf8Decode(head.subarray(2, 2 + size));
            end = 2 + size;
          }
          const label = this.#acceptLabel(header, "stream", from);
          if (label === undefined) return reject();
          if (head.length > end && head[end] === MessageType.HAS_LABEL) {
            // A second header: Go's readStream sees an unknown message type.
            throw new DecodeError(`Received invalid msgType (${MessageType.HAS_LABEL})`);
          }
          if (head.length === end) return undefined; // wait for the first message byte
          inner = this.#messageReader(label);
          inner.push(head.subarray(end));
          head = new Uint8Array(0);
        }
        return inner.read();
      },
    };
  }

  /**
   * The reply Go sends when it cannot read a stream request (memberlist `handleConn` after a
   * `readStream` error): an errResp with Go's text for an encryption mismatch ("Encryption is
   * configured but remote state is not encrypted" / "Remote state is encrypted and encryption
   * is not configured") or a frame no key opens ("No installed keys could decrypt the
   * message"), encoded like any of our stream messages, so encrypted with our key: a joiner
   * with a wrong key then fails to read it and reports that text, as against Go. `undefined`
   * for other errors (no reply).
   */
  errorReplyFor(err: unknown): Uint8Array | undefined {
    this.stats.badStreams++;
    if (!(err instanceof StreamEncryptionMismatchError) && !(err instanceof DecryptError)) {
      return undefined;
    }
    try {
      return this.encodeStreamReply({ type: "error", error: err.message });
    } catch {
      return undefined;
    }
  }

  /** Counts an incoming stream message (for stats). */
  noteStreamIn(_result: StreamReadResult): void {
    this.stats.streamsIn++;
  }
}
