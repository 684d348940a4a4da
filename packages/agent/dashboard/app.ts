/**
 * The serf-ts dashboard: members table (live over SSE, with a filter box), cluster map (2-D
 * projection of the Vivaldi coordinates), event timeline (newest first), and forms to send a
 * user event and run a query. preact + htm, bundled by esbuild into `dist/ui/app.js`.
 */

import type {
  HttpCoordinatesResponse,
  HttpMember,
  HttpMembersResponse,
  HttpQueryStreamEvent,
  HttpStatsResponse,
  HttpStreamEvent,
} from "@serf-ts/wire/http";
import { html } from "htm/preact";
import { render } from "preact";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import {
  ApiError,
  authRequired,
  getJson,
  postJson,
  readEvents,
  storedKey,
  storeKey,
} from "./api.ts";
import { projectCoordinates } from "./projection.ts";

interface TimelineEntry {
  readonly id: number;
  readonly at: Date;
  readonly type: string;
  readonly text: string;
}

const TIMELINE_MAX = 200;
const REFRESH_MS = 10_000;
let nextEntryId = 1;

function describe(e: HttpStreamEvent): string {
  if (e.type === "user" || e.type === "query") {
    const payload = e.payloadEncoding === "base64" ? `(base64) ${e.payload}` : e.payload;
    return `${e.name}${payload === "" ? "" : `: ${payload}`}`;
  }
  return e.members.map((m) => `${m.name} (${m.status})`).join(", ");
}

function formatRtt(ms: number | null): string {
  if (ms === null) return "–";
  return ms < 10 ? `${ms.toFixed(2)} ms` : `${ms.toFixed(1)} ms`;
}

function matchesFilter(m: HttpMember, filter: string): boolean {
  if (filter === "") return true;
  const f = filter.toLowerCase();
  const tags = Object.entries(m.tags).map(([k, v]) => `${k}=${v}`);
  return [m.name, m.address, m.status, ...tags].some((s) => s.toLowerCase().includes(f));
}

function MembersTable(props: { members: HttpMember[]; self: string }) {
  const [filter, setFilter] = useState("");
  const shown = props.members.filter((m) => matchesFilter(m, filter));
  return html`
    <section aria-labelledby="members-title">
      <h2 id="members-title">Members</h2>
      <label for="member-filter">Filter members</label>
      <input
        id="member-filter"
        type="search"
        placeholder="name, address, status or tag=value"
        value=${filter}
        onInput=${(e: Event) => setFilter((e.target as HTMLInputElement).value)}
      />
      <table id="members">
        <caption>
          ${shown.length} of ${props.members.length} members; RTT estimated from ${props.self}
        </caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Address</th>
            <th scope="col">Status</th>
            <th scope="col">Tags</th>
            <th scope="col">RTT</th>
          </tr>
        </thead>
        <tbody>
          ${shown.map(
            (m) => html`
              <tr key=${m.name} data-member=${m.name} data-status=${m.status}>
                <th scope="row">${m.name}${m.name === props.self ? html` <small>(this agent)</small>` : ""}</th>
                <td>${m.address}</td>
                <td><span class=${`status status-${m.status}`}>${m.status}</span></td>
                <td>
                  ${Object.entries(m.tags).map(([k, v]) => html`<span class="tag" key=${k}>${k}=${v}</span> `)}
                </td>
                <td class="num">${m.name === props.self ? "–" : formatRtt(m.rttMs)}</td>
              </tr>
            `,
          )}
        </tbody>
      </table>
    </section>
  `;
}

function ClusterMap(props: { coords: HttpCoordinatesResponse | undefined; members: HttpMember[] }) {
  const status = new Map(props.members.map((m) => [m.name, m.status]));
  const points = projectCoordinates(
    (props.coords?.coordinates ?? []).map((c) => ({ node: c.node, vec: c.coordinate.vec })),
  );
  const W = 480;
  const H = 300;
  const PAD = 40;
  // Each axis fills the map (the second may be much flatter than the first); a floor keeps
  // sub-microsecond noise from being blown up into distance.
  const spanX = Math.max(1e-5, ...points.map((p) => Math.abs(p.x)));
  const spanY = Math.max(1e-5, spanX / 4, ...points.map((p) => Math.abs(p.y)));
  const sx = (W / 2 - PAD * 2) / spanX;
  const sy = (H / 2 - PAD) / spanY;
  return html`
    <section aria-labelledby="map-title">
      <h2 id="map-title">Cluster map</h2>
      <svg
        id="cluster-map"
        viewBox=${`0 0 ${W} ${H}`}
        role="img"
        aria-label=${`Network coordinates of ${points.length} nodes; distance approximates round-trip time`}
      >
        ${points.map((p, i) => {
          const st = status.get(p.node) ?? "none";
          const x = W / 2 + p.x * sx;
          const y = H / 2 + p.y * sy;
          const self = p.node === props.coords?.self;
          return html`
            <g key=${p.node} class=${`node status-${st}`} data-node=${p.node}>
              <title>${p.node}: ${st}</title>
              <circle cx=${x} cy=${y} r=${self ? 9 : 7} class=${self ? "self" : ""} />
              ${
                st === "failed"
                  ? html`<path d=${`M${x - 6} ${y - 6}L${x + 6} ${y + 6}M${x + 6} ${y - 6}L${x - 6} ${y + 6}`} class="cross" />`
                  : ""
              }
              <text x=${x} y=${i % 2 === 0 ? y - 14 : y + 22} text-anchor="middle">${p.node}${st === "failed" ? " (failed)" : ""}</text>
            </g>
          `;
        })}
      </svg>
      <p class="hint">2-D projection of the Vivaldi coordinates (each axis scaled to fit); failed nodes are crossed out.</p>
    </section>
  `;
}

function Timeline(props: { entries: TimelineEntry[] }) {
  return html`
    <section aria-labelledby="timeline-title">
      <h2 id="timeline-title">Event timeline</h2>
      <ol id="timeline" reversed>
        ${props.entries.map(
          (e) => html`
            <li key=${e.id} data-type=${e.type}>
              <time datetime=${e.at.toISOString()}>${e.at.toLocaleTimeString()}</time>
              <span class=${`etype etype-${e.type}`}>${e.type}</span>
              <span class="etext">${e.text}</span>
            </li>
          `,
        )}
      </ol>
    </section>
  `;
}

function EventForm() {
  const [name, setName] = useState("");
  const [payload, setPayload] = useState("");
  const [coalesce, setCoalesce] = useState(true);
  const [result, setResult] = useState("");
  const submit = async (e: Event) => {
    e.preventDefault();
    setResult("Sending…");
    try {
      await postJson("/v1/event", { name, payload, coalesce });
      setResult(`Sent user event ${name}.`);
    } catch (err) {
      setResult(`Failed: ${(err as Error).message}`);
    }
  };
  return html`
    <form id="event-form" onSubmit=${submit} aria-labelledby="event-title">
      <h3 id="event-title">Send a user event</h3>
      <label for="event-name">Name</label>
      <input id="event-name" required value=${name} onInput=${(e: Event) => setName((e.target as HTMLInputElement).value)} />
      <label for="event-payload">Payload</label>
      <input id="event-payload" value=${payload} onInput=${(e: Event) => setPayload((e.target as HTMLInputElement).value)} />
      <label class="inline"><input type="checkbox" id="event-coalesce" checked=${coalesce} onChange=${(e: Event) => setCoalesce((e.target as HTMLInputElement).checked)} /> Coalesce</label>
      <button type="submit">Send event</button>
      <p role="status" id="event-result">${result}</p>
    </form>
  `;
}

function QueryForm() {
  const [name, setName] = useState("");
  const [payload, setPayload] = useState("");
  const [timeout, setTimeoutText] = useState("");
  const [lines, setLines] = useState<string[]>([]);
  const [state, setState] = useState("");
  const submit = async (e: Event) => {
    e.preventDefault();
    setLines([]);
    setState("Running…");
    const got: string[] = [];
    try {
      await readEvents(
        "/v1/query",
        (_type, data) => {
          const ev = data as HttpQueryStreamEvent;
          if (ev.type === "ack") got.push(`ack from ${ev.from}`);
          else if (ev.type === "response") got.push(`response from ${ev.from}: ${ev.payload}`);
          else setState(`Done: ${ev.acks} acks, ${ev.responses} responses.`);
          setLines([...got]);
        },
        { body: { name, payload, ...(timeout === "" ? {} : { timeout }) } },
      );
    } catch (err) {
      setState(`Failed: ${(err as Error).message}`);
    }
  };
  return html`
    <form id="query-form" onSubmit=${submit} aria-labelledby="query-title">
      <h3 id="query-title">Run a query</h3>
      <label for="query-name">Name</label>
      <input id="query-name" required value=${name} onInput=${(e: Event) => setName((e.target as HTMLInputElement).value)} />
      <label for="query-payload">Payload</label>
      <input id="query-payload" value=${payload} onInput=${(e: Event) => setPayload((e.target as HTMLInputElement).value)} />
      <label for="query-timeout">Timeout (e.g. 2s; empty = default)</label>
      <input id="query-timeout" value=${timeout} onInput=${(e: Event) => setTimeoutText((e.target as HTMLInputElement).value)} />
      <button type="submit">Run query</button>
      <p role="status" id="query-state">${state}</p>
      <ul id="query-results">${lines.map((l, i) => html`<li key=${i}>${l}</li>`)}</ul>
    </form>
  `;
}

function KeyPrompt(props: { wrong: boolean; onKey: (key: string) => void }) {
  const [key, setKey] = useState("");
  return html`
    <main class="login">
      <form id="key-form" onSubmit=${(e: Event) => {
        e.preventDefault();
        props.onKey(key);
      }}>
        <h1>serf-ts dashboard</h1>
        <p>This agent requires its RPC auth key (<code>rpc_auth</code>).</p>
        ${props.wrong ? html`<p role="alert">That key was refused.</p>` : ""}
        <label for="auth-key">RPC auth key</label>
        <input id="auth-key" type="password" autocomplete="current-password" required value=${key}
          onInput=${(e: Event) => setKey((e.target as HTMLInputElement).value)} />
        <button type="submit">Open dashboard</button>
      </form>
    </main>
  `;
}

function Dashboard(props: { onUnauthorized: () => void }) {
  const [members, setMembers] = useState<HttpMember[]>([]);
  const [coords, setCoords] = useState<HttpCoordinatesResponse>();
  const [stats, setStats] = useState<HttpStatsResponse>();
  const [entries, setEntries] = useState<TimelineEntry[]>([]);
  const [live, setLive] = useState("connecting");
  const refreshTimer = useRef<number | undefined>(undefined);

  const onError = (err: unknown) => {
    if (err instanceof ApiError && err.status === 401) props.onUnauthorized();
  };

  /**
   * `full`: take the member list as the agent has it (at start, on (re)connecting the event
   * stream, after a member event). Otherwise (the periodic poll) only RTTs are refreshed:
   * who is alive or failed comes from the event stream.
   */
  const refresh = (full: boolean) => {
    getJson<HttpMembersResponse>("/v1/members").then((r) => {
      if (full) {
        setMembers([...r.members]);
        return;
      }
      const rtt = new Map(r.members.map((m) => [m.name, m.rttMs]));
      setMembers((old) => old.map((m) => ({ ...m, rttMs: rtt.get(m.name) ?? m.rttMs })));
    }, onError);
    getJson<HttpCoordinatesResponse>("/v1/coordinates").then(setCoords, onError);
    getJson<HttpStatsResponse>("/v1/stats").then(setStats, onError);
  };

  const scheduleRefresh = () => {
    window.clearTimeout(refreshTimer.current);
    refreshTimer.current = window.setTimeout(() => refresh(true), 300);
  };

  useEffect(() => {
    const interval = window.setInterval(() => refresh(false), REFRESH_MS);
    const abort = new AbortController();
    let retryMs = 1000;
    const connect = () => {
      if (abort.signal.aborted) return;
      setLive("connecting");
      // Whatever happened while not connected: start from the agent's list.
      refresh(true);
      readEvents(
        "/v1/events",
        (type, data) => {
          setLive("live");
          retryMs = 1000;
          const ev = data as HttpStreamEvent;
          setEntries((old) =>
            [{ id: nextEntryId++, at: new Date(), type, text: describe(ev) }, ...old].slice(
              0,
              TIMELINE_MAX,
            ),
          );
          if (ev.type !== "user" && ev.type !== "query") {
            setMembers((old) => {
              const byName = new Map(old.map((m) => [m.name, m]));
              for (const m of ev.members) {
                if (ev.type === "member-reap") byName.delete(m.name);
                else
                  byName.set(m.name, { ...m, rttMs: m.rttMs ?? byName.get(m.name)?.rttMs ?? null });
              }
              return [...byName.values()];
            });
            scheduleRefresh();
          }
        },
        { signal: abort.signal },
      )
        .then(
          () => undefined,
          (err: unknown) => onError(err),
        )
        .finally(() => {
          if (abort.signal.aborted) return;
          setLive("reconnecting");
          window.setTimeout(connect, retryMs);
          retryMs = Math.min(retryMs * 2, 10_000);
        });
      // Mark live once the stream is open even before the first event.
      window.setTimeout(() => setLive((s) => (s === "connecting" ? "live" : s)), 500);
    };
    connect();
    return () => {
      abort.abort();
      window.clearInterval(interval);
      window.clearTimeout(refreshTimer.current);
    };
  }, []);

  const self = stats?.agent?.name ?? coords?.self ?? "";
  const counts = useMemo(() => {
    const c: Record<string, number> = {};
    for (const m of members) c[m.status] = (c[m.status] ?? 0) + 1;
    return c;
  }, [members]);

  return html`
    <header>
      <h1>serf-ts dashboard</h1>
      <p>
        Agent <strong id="self-name">${self}</strong> ·
        ${Object.entries(counts).map(([s, n]) => html`<span class=${`status status-${s}`} key=${s}>${n} ${s}</span> `)}
        · <span id="live-state" role="status">${live}</span>
      </p>
    </header>
    <main>
      <${MembersTable} members=${members} self=${self} />
      <${ClusterMap} coords=${coords} members=${members} />
      <section aria-labelledby="actions-title">
        <h2 id="actions-title">Cluster actions</h2>
        <${EventForm} />
        <${QueryForm} />
      </section>
      <${Timeline} entries=${entries} />
    </main>
  `;
}

function App() {
  const [phase, setPhase] = useState<"checking" | "key" | "wrong-key" | "ready">("checking");
  useEffect(() => {
    authRequired().then(
      (required) => setPhase(required && storedKey() === "" ? "key" : "ready"),
      () => setPhase("ready"),
    );
  }, []);
  if (phase === "checking") return html`<p>Loading…</p>`;
  if (phase === "key" || phase === "wrong-key") {
    return html`<${KeyPrompt}
      wrong=${phase === "wrong-key"}
      onKey=${(key: string) => {
        storeKey(key);
        setPhase("ready");
      }}
    />`;
  }
  return html`<${Dashboard}
    onUnauthorized=${() => {
      storeKey("");
      setPhase("wrong-key");
    }}
  />`;
}

const root = document.getElementById("app");
if (root !== null) render(html`<${App} />`, root);
