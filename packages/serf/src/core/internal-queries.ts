/**
 * serf's internal queries (serf.md §8, Go `internal_query.go` and `keymanager.go`): the
 * answers a node gives to `_serf_conflict` and the key queries, the size-bounded key list,
 * and the initiator's aggregation of key responses into a {@link KeyResponse}.
 */

import {
  decodeSerfMessage,
  encodeKeyBase64,
  type Keyring,
  type KeyResponseMessage,
  type SerfMember,
  SerfMessageType,
} from "@serf-ts/wire";
import { decodeKeyRequestPayload, encodeKeyResponsePayload } from "@serf-ts/wire/codec";
import type { KeyOperation, KeyResponse, Member } from "./events.ts";
import { memberStatusCode } from "@serf-ts/wire";

/**
 * The keyring a driver lends the machine (the keyring itself, and its file, live in the
 * driver). Methods are synchronous; they throw an `Error` whose message is reported to the
 * query's initiator (Go puts `err.Error()` in the key response). A driver that persists the
 * keyring (Go `KeyringFile`) does it inside `install`/`use`/`remove` (or queues it) and throws
 * if that fails.
 */
export interface KeyringPort {
  /** Adds a key (16/24/32 bytes); re-adding is a no-op. */
  install(key: Uint8Array): void;
  /** Makes an installed key primary; throws "Requested key is not in the keyring" otherwise. */
  use(key: Uint8Array): void;
  /** Removes a key; throws "Removing the primary key is not allowed" for the primary. */
  remove(key: Uint8Array): void;
  /** All keys, primary first, and the primary key. */
  list(): { readonly keys: readonly Uint8Array[]; readonly primaryKey: Uint8Array };
}

/**
 * A {@link KeyringPort} over a `@serf-ts/wire` `Keyring` (in memory). `onChange` runs after a
 * successful install/use/remove (Go rewrites the keyring file then); if it throws, the error
 * is reported like a failed operation.
 */
export function keyringPort(keyring: Keyring, onChange?: (keyring: Keyring) => void): KeyringPort {
  return {
    install: (key) => {
      keyring.install(key);
      onChange?.(keyring);
    },
    use: (key) => {
      keyring.use(key);
      onChange?.(keyring);
    },
    remove: (key) => {
      keyring.remove(key);
      onChange?.(keyring);
    },
    list: () => ({ keys: keyring.keys(), primaryKey: keyring.primaryKey }),
  };
}

/** Query names of the key operations. */
export const KEY_QUERY_NAMES: Readonly<Record<KeyOperation, string>> = Object.freeze({
  install: "_serf_install-key",
  use: "_serf_use-key",
  remove: "_serf_remove-key",
  list: "_serf_list-keys",
});

/** Go `minEncodedKeyLength`: `QueryResponseSizeLimit / 25` keys at most in a list response. */
export const MIN_ENCODED_KEY_LENGTH = 25;

/** A node's answer to a key query (Go `nodeKeyResponse`). */
export type NodeKeyResponse = Omit<KeyResponseMessage, "type">;

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Go `handleInstallKey` / `handleUseKey` / `handleRemoveKey` / `handleListKeys`: what this
 * node answers to a key query. `keyring` undefined = encryption not enabled.
 */
export function answerKeyQuery(
  operation: KeyOperation,
  payload: Uint8Array,
  keyring: KeyringPort | undefined,
): NodeKeyResponse {
  const fail = (message: string): NodeKeyResponse => ({
    result: false,
    message,
    keys: null,
    primaryKey: "",
  });
  if (operation === "list") {
    // Go does not decode the request of a list.
    if (keyring === undefined) return fail("Keyring is empty (encryption not enabled)");
    const { keys, primaryKey } = keyring.list();
    return {
      result: true,
      message: "",
      keys: keys.map(encodeKeyBase64),
      primaryKey: encodeKeyBase64(primaryKey),
    };
  }
  let key: Uint8Array;
  try {
    key = decodeKeyRequestPayload(payload);
  } catch {
    return fail("");
  }
  if (keyring === undefined) return fail("No keyring to modify (encryption not enabled)");
  try {
    if (operation === "install") keyring.install(key);
    else if (operation === "use") keyring.use(key);
    else keyring.remove(key);
  } catch (err) {
    return fail(messageOf(err));
  }
  return { result: true, message: "", keys: null, primaryKey: "" };
}

/**
 * Go `keyListResponseWithCorrectSize`: encodes the list response, cutting the key list (from
 * `limit / 25` entries down) until the whole query response fits `limit`.
 * @param encodeResponse the full encoded query response (type byte included) for a payload.
 * @returns the encoded query response, or `undefined` when nothing fits.
 */
export function fitKeyListResponse(
  resp: NodeKeyResponse,
  encodeResponse: (payload: Uint8Array) => Uint8Array,
  limit: number,
): { raw: Uint8Array; payload: Uint8Array; truncated: boolean } | undefined {
  const maxListKeys = Math.floor(limit / MIN_ENCODED_KEY_LENGTH);
  const actual = resp.keys?.length ?? 0;
  let current = resp;
  for (let i = maxListKeys; i >= 0; i--) {
    const payload = encodeKeyResponsePayload(current);
    const raw = encodeResponse(payload);
    if (raw.length > limit) {
      current = {
        ...current,
        keys: current.keys === null ? null : current.keys.slice(0, i),
        message: `truncated key list response, showing first ${i} of ${actual} keys`,
      };
      continue;
    }
    return { raw, payload, truncated: actual > i };
  }
  return undefined;
}

/** A serf `Member` in wire shape (conflict responses). */
export function memberToWire(m: Member): SerfMember {
  return {
    name: m.name,
    addr: m.addr,
    port: m.port,
    tags: new Map(Object.entries(m.tags)),
    status: memberStatusCode(m.status),
    protocolMin: m.protocolMin,
    protocolMax: m.protocolMax,
    protocolCur: m.protocolCur,
    delegateMin: m.delegateMin,
    delegateMax: m.delegateMax,
    delegateCur: m.delegateCur,
  };
}

function goBytes(payload: Uint8Array): string {
  // Go prints a []byte with %v: "[8 1 2]".
  return `[${Array.from(payload).join(" ")}]`;
}

/** The initiator's side of a key operation (Go `streamKeyResp` + `handleKeyRequest`). */
export class KeyResponseAggregator {
  readonly numNodes: number;
  private numResp = 0;
  private numErr = 0;
  private readonly messages = new Map<string, string>();
  private readonly keys = new Map<string, number>();
  private readonly primaryKeys = new Map<string, number>();

  constructor(numNodes: number) {
    this.numNodes = numNodes;
  }

  /**
   * Adds one (deduplicated) response.
   * @returns true when every live member answered (Go stops reading then).
   */
  add(from: string, payload: Uint8Array): boolean {
    this.numResp++;
    let decoded: KeyResponseMessage | undefined;
    if (payload.length < 1 || payload[0] !== SerfMessageType.KEY_RESPONSE) {
      this.messages.set(from, `Invalid key query response type: ${goBytes(payload)}`);
      this.numErr++;
    } else {
      try {
        const msg = decodeSerfMessage(payload);
        if (msg.type === "key-response") decoded = msg;
      } catch {
        decoded = undefined;
      }
      if (decoded === undefined) {
        this.messages.set(from, `Failed to decode key query response: ${goBytes(payload)}`);
        this.numErr++;
      }
    }
    if (decoded !== undefined) {
      if (!decoded.result) {
        this.messages.set(from, decoded.message);
        this.numErr++;
      }
      if (decoded.result && decoded.message.length > 0) this.messages.set(from, decoded.message);
      for (const key of decoded.keys ?? []) this.keys.set(key, (this.keys.get(key) ?? 0) + 1);
      this.primaryKeys.set(decoded.primaryKey, (this.primaryKeys.get(decoded.primaryKey) ?? 0) + 1);
    }
    return this.numResp === this.numNodes;
  }

  /** The aggregated response. */
  response(): KeyResponse {
    return {
      messages: new Map(this.messages),
      numNodes: this.numNodes,
      numResp: this.numResp,
      numErr: this.numErr,
      keys: new Map(this.keys),
      primaryKeys: new Map(this.primaryKeys),
    };
  }

  /** Go's error for the whole operation, if any. */
  error(): string | undefined {
    if (this.numErr !== 0) return `${this.numErr}/${this.numNodes} nodes reported failure`;
    if (this.numResp !== this.numNodes) {
      return `${this.numResp}/${this.numNodes} nodes reported success`;
    }
    return undefined;
  }
}
