/**
 * Test helpers of @serf-ts/wire (`@serf-ts/wire/testing`): loading the interop vectors
 * captured from Go agents, hex helpers, and typed views of memberlist vector layers.
 *
 * @packageDocumentation
 */
export type { Json, JsonObject, VectorFile } from "./vectors.ts";
export {
  asArray,
  asObject,
  bytesToHex,
  concatBytes,
  getArray,
  getBoolean,
  getBytesField,
  getHex,
  getNumber,
  getObject,
  getString,
  hexToBytes,
  loadVector,
  loadVectors,
  vectorsDir,
} from "./vectors.ts";
export type {
  MemberlistVectorCase,
  MessageLayerBytes,
  VectorEncryption,
} from "./memberlist-vectors.ts";
export {
  memberlistVectorCases,
  messageFromLayer,
  messageLayers,
  messageLayersWithBytes,
  pushPullFromLayer,
  serfBytesOfUserLayer,
  usesNonGoFormats,
} from "./memberlist-vectors.ts";
