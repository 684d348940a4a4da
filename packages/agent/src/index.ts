/**
 * @serf-ts/agent: the `serf agent` runtime. This entry is the product API: `Agent` and the agent
 * command, configuration (flags, JSON files, merging, validation with Go serf's messages),
 * errors, help texts, logging, the RPC server and HTTP listener, and event handler scripts.
 * The building blocks (mDNS discovery, syslog, script environment, tag and filter codecs,
 * address checks, HTTP helpers) are in `@serf-ts/agent/toolkit`.
 */

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
export { type ReadConfigOptions, type ReadConfigResult, readConfig } from "./config/read-config.ts";
export {
  type EventHandlerRunnerOptions,
  EventHandlerRunner,
  type ScriptInvoker,
} from "./event-handlers/event-handler-runner.ts";
export {
  type EventFilter,
  type EventScript,
  parseEventScripts,
  validateEventScripts,
} from "./event-handlers/event-filter.ts";
export {
  describeEvent,
  type HandlerEvent,
  type HandlerEventType,
  type MemberEventInput,
  type MemberEventType,
  type MemberInput,
  type QueryEventInput,
  type SelfMember,
  type TagsInput,
  type UserEventInput,
} from "./event-handlers/events.ts";
export {
  type HandlerLogger,
  invokeEventScript,
  type ScriptInvokeOptions,
  type ScriptResult,
} from "./event-handlers/script-invoker.ts";
export { checkLogLevel, LOG_LEVELS, LogLevel, parseLogLevel } from "./logging/log-level.ts";
export { type LogHandler, LogRing } from "./logging/log-ring.ts";
export {
  type ComponentLogger,
  type LogFn,
  Logger,
  type LoggerOptions,
  type LogOutput,
} from "./logging/logger.ts";
export type { SyslogSink } from "./logging/syslog.ts";
export type { AgentMdnsOptions } from "./discovery/agent-mdns.ts";
export type { MdnsLogger, MdnsSocketOptions } from "./discovery/mdns-common.ts";
export type {
  MdnsDiscoveryOptions,
  MdnsJoinResult,
  MdnsPeersHandler,
  MdnsQueryOptions,
  MdnsServiceEntry,
} from "./discovery/mdns-discovery.ts";
export type { MdnsServiceOptions, MdnsRecord, MdnsZoneOptions } from "./discovery/mdns-service.ts";
export { Agent, type AgentExit, type AgentOptions, type AgentUi } from "./agent.ts";
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
export type { SyslogConnection, SyslogSinkOptions } from "./agent-syslog.ts";
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
export {
  type HttpHandler,
  HttpError,
  type HttpRequest,
  HttpRouter,
  type RouteMatch,
} from "./http/router.ts";
