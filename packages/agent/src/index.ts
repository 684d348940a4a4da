/**
 * @serf-ts/agent: the `serf agent` runtime. This entry exports the parts that stand on their
 * own: configuration (flags, JSON files, merging, validation with Go serf's messages), event
 * handler scripts, and the logger.
 */

// Configuration
export {
  type AgentConfig,
  AgentDefaults,
  defaultConfig,
  emptyConfig,
  PROFILES,
  type Profile,
  type Tags,
  tagRecord,
} from "./config/agent-config.ts";
export {
  ConfigError,
  ConfigErrorCode,
  formatConfigError,
  isConfigError,
  OUTPUT_PREFIX,
} from "./config/config-error.ts";
export { CONFIG_KEYS, ConfigDecodeError, decodeConfig } from "./config/decode-config.ts";
export { AGENT_FLAGS, type AgentFlagName, type ParsedFlags, parseFlags } from "./config/flags.ts";
export { loadConfigFiles } from "./config/load-config-files.ts";
export { mergeConfig } from "./config/merge-config.ts";
export {
  type ReadConfigOptions,
  type ReadConfigResult,
  readConfig,
  systemInterfaceExists,
} from "./config/read-config.ts";
export {
  checkAdvertiseAddr,
  checkBindAddr,
  checkProfile,
  decodeEncryptKey,
  formatResolvedAddr,
  resolveAgentAddr,
} from "./config/setup-checks.ts";
export { InvalidTagError, marshalTags, unmarshalTags } from "./config/tags.ts";

// Event handlers
export {
  type EventHandlerRunnerOptions,
  EventHandlerRunner,
  type ScriptInvoker,
} from "./event-handlers/event-handler-runner.ts";
export {
  describeEventScript,
  EVENT_FILTER_EVENTS,
  type EventFilter,
  type EventScript,
  eventFilterMatches,
  isValidEventFilter,
  parseEventFilter,
  parseEventScript,
  parseEventScripts,
  validateEventScripts,
} from "./event-handlers/event-filter.ts";
export {
  describeEvent,
  type HandlerEvent,
  type HandlerEventType,
  MEMBER_EVENT_TYPES,
  type MemberEventInput,
  type MemberEventType,
  type MemberInput,
  type QueryEventInput,
  type SelfMember,
  type TagsInput,
  type UserEventInput,
} from "./event-handlers/events.ts";
export {
  eventStdin,
  type HandlerLogger,
  invokeEventScript,
  SCRIPT_OUTPUT_LIMIT_BYTES,
  type ScriptInvokeOptions,
  type ScriptResult,
  SLOW_SCRIPT_WARNING_MS,
  sanitizeTagName,
  scriptEnv,
} from "./event-handlers/script-invoker.ts";

// Logging
export {
  checkLogLevel,
  LOG_LEVELS,
  LogLevel,
  parseLogLevel,
  passesLevel,
} from "./logging/log-level.ts";
export { type LogHandler, LogRing } from "./logging/log-ring.ts";
export {
  type ComponentLogger,
  formatLogTimestamp,
  type LogFn,
  Logger,
  type LoggerOptions,
  type LogOutput,
} from "./logging/logger.ts";
export { type SyslogSink, SyslogPriority, toSyslog } from "./logging/syslog.ts";

// mDNS discovery (`serf agent -discover=CLUSTER`)
export { AgentMdns, type AgentMdnsOptions } from "./discovery/agent-mdns.ts";
export {
  loopbackMdnsSocketOptions,
  MDNS_IPV4_GROUP,
  MDNS_POLL_INTERVAL_MS,
  MDNS_PORT,
  MDNS_QUERY_TIMEOUT_MS,
  MDNS_QUIET_INTERVAL_MS,
  MDNS_RECORD_TTL_S,
  type MdnsLogger,
  type MdnsSocketOptions,
  mdnsInterfaceAddress,
  mdnsServiceName,
  mdnsServiceTxt,
} from "./discovery/mdns-common.ts";
export {
  MdnsDiscovery,
  type MdnsDiscoveryOptions,
  MdnsEntryCollector,
  type MdnsJoinResult,
  type MdnsPeersHandler,
  type MdnsQueryOptions,
  type MdnsServiceEntry,
  queryMdnsService,
} from "./discovery/mdns-discovery.ts";
export {
  answerMdnsQuery,
  MdnsService,
  type MdnsServiceOptions,
  type MdnsRecord,
  MdnsZone,
  type MdnsZoneOptions,
  serfMdnsZone,
} from "./discovery/mdns-service.ts";

// The agent
export {
  Agent,
  type AgentExit,
  type AgentOptions,
  type AgentUi,
} from "./agent.ts";
export { toRpcMember } from "./agent-rpc-mapping.ts";
export {
  type AgentCommandIo,
  type AgentSignal,
  type AgentSignalSource,
  prefixedUi,
  runAgentCommand,
} from "./agent-command.ts";
export { AgentError, AgentErrorCode } from "./agent-errors.ts";
export { AgentFileError, formatTagsFile, loadKeyringFile, loadTagsFile } from "./agent-files.ts";
export { AGENT_HELP, AGENT_SYNOPSIS, HELP_ADDITIONS } from "./agent-help.ts";
export {
  formatSyslogDatagram,
  openSyslogSink,
  SYSLOG_SOCKETS,
  type SyslogConnection,
  type SyslogSinkOptions,
} from "./agent-syslog.ts";

// The agent RPC server
export {
  type AgentBackend,
  type AgentEvent,
  type AgentKeyResult,
  type AgentMemberEvent,
  type AgentQuery,
  type AgentQueryEvent,
  type AgentQueryResponse,
  type AgentUserEvent,
  JoinError,
} from "./rpc/agent-backend.ts";
export { RpcListenError, RpcServer, type RpcServerOptions } from "./rpc/rpc-server.ts";
export type { RpcLogger } from "./rpc/rpc-session.ts";
export { type AgentHttpOptions, startAgentHttp } from "./http/agent-http.ts";
export {
  HttpListenError,
  HttpServer,
  type HttpServerLogger,
  type HttpServerOptions,
} from "./http/http-server.ts";
export { registerMetricsRoute } from "./http/metrics-route.ts";
export { sendError, sendJson, sendText } from "./http/respond.ts";
export {
  type HttpHandler,
  HttpError,
  type HttpRequest,
  HttpRouter,
  type RouteMatch,
} from "./http/router.ts";
