/** How streams hand their frames to the connection. */

/**
 * Writes one complete frame (a header and its record, encoded together so that pairs never
 * interleave). Returns false once the connection is gone or was dropped for being too slow.
 */
export type FrameSink = (frame: Uint8Array) => boolean;

/** Reports a record that could not be encoded or sent (`what`: "event", "log", "query"). */
export type StreamFailure = (what: string, err: unknown) => void;
