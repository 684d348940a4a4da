/**
 * The agent's script event handler (Go `ScriptEventHandler`) as a queue: events are handled one
 * at a time in arrival order, and for each event the matching scripts run one after another in
 * configuration order — the same sequencing as Go, where the agent's event loop waits for every
 * script.
 *
 * Unlike Go, the caller never waits: `handleEvent` only enqueues. The queue is bounded; when it
 * is full the event is dropped, counted (`droppedEvents`) and logged (once per burst, plus a
 * summary when the queue accepts events again). Go would instead stall serf's event channel.
 */

import { type EventScript, eventFilterMatches } from "./event-filter.ts";
import { describeEvent, type HandlerEvent, type SelfMember } from "./events.ts";
import {
  type HandlerLogger,
  invokeEventScript,
  type ScriptInvokeOptions,
  type ScriptResult,
} from "./script-invoker.ts";

/** The invoker signature (replaceable in tests). */
export type ScriptInvoker = (
  script: string,
  self: SelfMember,
  event: HandlerEvent,
  logger: HandlerLogger,
  options: ScriptInvokeOptions,
) => Promise<ScriptResult>;

/** Options of `EventHandlerRunner`. */
export interface EventHandlerRunnerOptions {
  /** Handlers, e.g. `parseEventScripts(config.eventHandlers)`. */
  readonly scripts: readonly EventScript[];
  /** The local member at the time an event is handled (name and current tags). */
  readonly self: () => SelfMember;
  /** Logger for the `agent` component. */
  readonly logger: HandlerLogger;
  /** Events waiting at most; more are dropped. @default 16384 */
  readonly queueCapacity?: number;
  /** Passed to every invocation (environment, shell, timeout …). */
  readonly invokeOptions?: Omit<ScriptInvokeOptions, "signal">;
  /** @default invokeEventScript */
  readonly invoke?: ScriptInvoker;
}

/**
 * Events waiting for the handlers at most, by default. Go never drops (its event loop stalls
 * serf instead); 16384 absorbs the fault suite's flood (2,000 events in 60 s into 5 nodes on a
 * loaded 2-core machine, where 1024 overflowed) at a few MiB for typical payloads.
 */
export const DEFAULT_HANDLER_QUEUE_CAPACITY = 16384;

/** Prefix of serf's internal queries, which never reach handlers. */
const INTERNAL_QUERY_PREFIX = "_serf_";

export class EventHandlerRunner {
  private scripts: readonly EventScript[];
  private pendingScripts: readonly EventScript[] | undefined;
  private readonly queue: Array<{ event: HandlerEvent; onHandled: (() => void) | undefined }> = [];
  private readonly capacity: number;
  private readonly options: EventHandlerRunnerOptions;
  private readonly invoke: ScriptInvoker;
  private draining: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private closed = false;
  private dropped = 0;
  private droppedInBurst = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(options: EventHandlerRunnerOptions) {
    const capacity = options.queueCapacity ?? DEFAULT_HANDLER_QUEUE_CAPACITY;
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`queueCapacity must be a positive integer, got ${capacity}`);
    }
    this.options = options;
    this.capacity = capacity;
    this.scripts = options.scripts;
    this.invoke = options.invoke ?? invokeEventScript;
  }

  /**
   * Queues an event; returns at once. `false` when the event was dropped (queue full or runner
   * closed). `onHandled` runs once every matching script has finished with it (whatever their
   * exit status or timeout); never for a dropped event, nor for one cut short by `close()`.
   */
  handleEvent(event: HandlerEvent, onHandled?: () => void): boolean {
    if (this.closed) return false;
    if (this.queue.length >= this.capacity) {
      this.dropped++;
      this.droppedInBurst++;
      if (this.droppedInBurst === 1) {
        this.options.logger.warn(
          `Event handler queue full (${this.capacity} events), dropping event: ${describeEvent(event)}`,
        );
      }
      return false;
    }
    if (this.droppedInBurst > 0) {
      this.options.logger.warn(
        `Event handler queue accepting events again, dropped ${this.droppedInBurst} event(s)`,
      );
      this.droppedInBurst = 0;
    }
    this.queue.push({ event, onHandled });
    if (this.draining === undefined) this.draining = this.drain();
    return true;
  }

  /**
   * Replaces the handlers (SIGHUP). Takes effect from the next event to start, like Go's
   * `UpdateScripts`.
   */
  updateScripts(scripts: readonly EventScript[]): void {
    this.pendingScripts = scripts;
  }

  /** The handlers in use (pending updates not yet applied). */
  get currentScripts(): readonly EventScript[] {
    return this.scripts;
  }

  /** Events dropped because the queue was full. */
  get droppedEvents(): number {
    return this.dropped;
  }

  /** Events waiting (not counting the one being handled). */
  get queueLength(): number {
    return this.queue.length;
  }

  /** Resolves when the queue is empty and no script runs. */
  whenIdle(): Promise<void> {
    if (this.draining === undefined) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stops: drops queued events, kills a running script (SIGTERM, then SIGKILL) and resolves once
   * it is gone. Later events are refused.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.queue.length = 0;
    this.abort.abort();
    await this.draining;
  }

  private async drain(): Promise<void> {
    try {
      // The first event leaves the queue at once (it counts as running), but its scripts start
      // on a later turn of the event loop: events arrive from inside the gossip path (the
      // driver's pump), and spawning a process there would hold up packet handling.
      let item = this.queue.shift();
      let scripts = this.takeScripts();
      await new Promise<void>((resolve) => setImmediate(resolve));
      while (item !== undefined && !this.closed) {
        await this.handleOne(item.event, scripts);
        if (this.closed) break;
        try {
          item.onHandled?.();
        } catch (err) {
          this.options.logger.error(
            `Failed to record a handled event: ${err instanceof Error ? err.message : err}`,
          );
        }
        item = this.queue.shift();
        scripts = this.takeScripts();
      }
    } finally {
      this.draining = undefined;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /** The handlers for the event starting now (a pending update applies from here on). */
  private takeScripts(): readonly EventScript[] {
    if (this.pendingScripts !== undefined) {
      this.scripts = this.pendingScripts;
      this.pendingScripts = undefined;
    }
    return this.scripts;
  }

  private async handleOne(event: HandlerEvent, scripts: readonly EventScript[]): Promise<void> {
    // Serf answers its internal queries itself; never hand them to scripts.
    if (event.type === "query" && event.name.startsWith(INTERNAL_QUERY_PREFIX)) return;
    const { logger } = this.options;
    let self: SelfMember;
    try {
      self = this.options.self();
    } catch (err) {
      logger.error(`Failed to get the local member: ${err instanceof Error ? err.message : err}`);
      return;
    }
    const invokeOptions: ScriptInvokeOptions = {
      ...this.options.invokeOptions,
      signal: this.abort.signal,
    };
    for (const script of scripts) {
      if (this.closed) return;
      if (!eventFilterMatches(script, event)) continue;
      try {
        const result = await this.invoke(script.script, self, event, logger, invokeOptions);
        if (result.error !== undefined) {
          logger.error(`Error invoking script '${script.script}': ${result.error}`);
        }
      } catch (err) {
        const detail = err instanceof Error ? err.message : String(err);
        logger.error(`Error invoking script '${script.script}': ${detail}`);
      }
    }
  }
}
