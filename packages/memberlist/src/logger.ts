/**
 * The logging shape shared by serf-ts libraries. Libraries default to `noopLogger`; the agent
 * supplies a real one. Messages are short sentences; structured details go into `fields`.
 */

/** Logs one message with optional structured fields. */
export type LogFn = (msg: string, fields?: Readonly<Record<string, unknown>>) => void;

/** Levelled logger; `child(component)` returns a logger tagged with a sub-component name. */
export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  child(component: string): Logger;
}

const noop: LogFn = () => {};

/** A logger that drops everything. */
export const noopLogger: Logger = {
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: () => noopLogger,
};
