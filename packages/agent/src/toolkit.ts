/**
 * @serf-ts/agent/toolkit: the building blocks of the agent that stand on their own — mDNS
 * discovery and its zone, syslog sinks, event filters and the script environment, tag codecs,
 * address and profile checks, HTTP reply helpers, log formatting.
 */

export { systemInterfaceExists } from "./config/read-config.ts";
export {
  checkAdvertiseAddr,
  checkBindAddr,
  checkProfile,
  decodeEncryptKey,
  formatResolvedAddr,
  resolveAgentAddr,
} from "./config/setup-checks.ts";
export { InvalidTagError, marshalTags, unmarshalTags } from "./config/tags.ts";
export {
  describeEventScript,
  EVENT_FILTER_EVENTS,
  eventFilterMatches,
  isValidEventFilter,
  parseEventFilter,
  parseEventScript,
} from "./event-handlers/event-filter.ts";
export { MEMBER_EVENT_TYPES } from "./event-handlers/events.ts";
export {
  eventStdin,
  SCRIPT_OUTPUT_LIMIT_BYTES,
  SLOW_SCRIPT_WARNING_MS,
  sanitizeTagName,
  scriptEnv,
} from "./event-handlers/script-invoker.ts";
export { passesLevel } from "./logging/log-level.ts";
export { formatLogTimestamp } from "./logging/logger.ts";
export { SyslogPriority, toSyslog } from "./logging/syslog.ts";
export { AgentMdns } from "./discovery/agent-mdns.ts";
export {
  loopbackMdnsSocketOptions,
  MDNS_IPV4_GROUP,
  MDNS_POLL_INTERVAL_MS,
  MDNS_PORT,
  MDNS_QUERY_TIMEOUT_MS,
  MDNS_QUIET_INTERVAL_MS,
  MDNS_RECORD_TTL_S,
  mdnsInterfaceAddress,
  mdnsServiceName,
  mdnsServiceTxt,
} from "./discovery/mdns-common.ts";
export { MdnsDiscovery, MdnsEntryCollector, queryMdnsService } from "./discovery/mdns-discovery.ts";
export { answerMdnsQuery, MdnsService, MdnsZone, serfMdnsZone } from "./discovery/mdns-service.ts";
export { toRpcMember } from "./agent-rpc-mapping.ts";
export { formatSyslogDatagram, openSyslogSink, SYSLOG_SOCKETS } from "./agent-syslog.ts";
export { sendError, sendJson, sendText } from "./http/respond.ts";
export { AGENT_COALESCING_WINDOWS } from "./event-handlers/coalescing-windows.ts";
