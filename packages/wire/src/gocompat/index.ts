/**
 * `@serf-ts/wire/gocompat`: Go's text conventions that serf's users see, reproduced once for the
 * agent and the CLI alike. `strconv` (ParseBool, ParseInt, Quote, float formatting),
 * `time.ParseDuration` and `Duration.String`, Go's `flag` package, `encoding/json` decoding and
 * `encoding/base64`, and UTF-8 decoding the way Go's `range` does it.
 */

export { decodeGoBase64, GoBase64Error } from "./base64.ts";
export {
  formatGoDuration,
  formatGoDurationMs,
  GoDurationError,
  parseGoDuration,
  parseGoDurationMs,
} from "./duration.ts";
export { type FlagKind, GoFlagError, type GoFlagResult, parseGoFlags } from "./flag-set.ts";
export {
  decodeGoJsonStream,
  formatGoValue,
  GoJsonError,
  type GoJsonObject,
  type GoJsonValue,
  goKindName,
  goTypeName,
  unmarshalGoJson,
} from "./json.ts";
export { goQuote, isGoPrint, quoteJsonByte, timeQuote } from "./quote.ts";
export {
  formatGoFloat,
  GoNumError,
  type GoNumErrorKind,
  parseGoBool,
  parseGoInt,
} from "./strconv.ts";
export { decodeRune, decodeUtf8Go, RUNE_ERROR, utf8Bytes } from "./utf8.ts";
