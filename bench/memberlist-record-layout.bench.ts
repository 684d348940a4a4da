// Bytes per member record in the simulator's N² member tables, for today's layout and two
// candidates, measured on synthetic tables (N tables of N records, as in a converged simulated
// cluster). Not part of `pnpm bench`; run one layout per process:
//   cd bench && for l in today shared-identity columnar; do
//     LAYOUT=$l N=1000 node --expose-gc --import tsx memberlist-record-layout.bench.ts; done
// - today: one 9-field object per record (core/context.ts MemberRecord), a per-table
//   Map<name, record> and the probe-order array; stateChange holds a fractional time, so V8
//   boxes it in a separate heap number.
// - shared-identity: the 6 fields that only change with an alive message (name, addr, port,
//   address, meta, vsn) in one object shared by every table that holds the same alive message;
//   the record keeps that pointer, incarnation, state and stateChange.
// - columnar: per table, typed columns (incarnation, state, stateChange, probe order), an array
//   of pointers to shared identities, and an open-addressing index over process-wide name ids.

interface Identity {
  readonly name: string;
  readonly addr: Uint8Array;
  readonly port: number;
  readonly address: string;
  readonly meta: Uint8Array;
  readonly vsn: Uint8Array;
}

const n = Number.parseInt(process.env.N ?? "1000", 10);
const layout = process.env.LAYOUT ?? "today";
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with node --expose-gc");

const identities: Identity[] = Array.from({ length: n }, (_, i) => ({
  name: `node-${i}`,
  addr: new Uint8Array([127, 0, (i >> 8) & 255, i & 255]),
  port: 7946,
  address: `127.0.${(i >> 8) & 255}.${i & 255}:7946`,
  meta: new Uint8Array(0),
  vsn: new Uint8Array([1, 5, 2, 0, 0, 0]),
}));
const nameIds = new Map(identities.map((x, i) => [x.name, i]));

function todayTable(t: number): unknown {
  const byName = new Map<string, unknown>();
  const nodes: unknown[] = [];
  for (const x of identities) {
    const r = {
      name: x.name,
      addr: x.addr,
      port: x.port,
      address: x.address,
      meta: x.meta,
      vsn: x.vsn,
      incarnation: 1,
      state: 3,
      stateChange: Number.NEGATIVE_INFINITY,
    };
    byName.set(x.name, r);
    nodes.push(r);
    r.state = 0;
    r.stateChange = t + 0.5;
  }
  return { byName, nodes };
}

function sharedIdentityTable(t: number): unknown {
  const byName = new Map<string, unknown>();
  const nodes: unknown[] = [];
  for (const x of identities) {
    const r = { identity: x, incarnation: 1, state: 3, stateChange: Number.NEGATIVE_INFINITY };
    byName.set(x.name, r);
    nodes.push(r);
    r.state = 0;
    r.stateChange = t + 0.5;
  }
  return { byName, nodes };
}

function columnarTable(t: number): unknown {
  const capacity = 1 << Math.ceil(Math.log2(n * 1.5));
  const identity: Identity[] = new Array(n);
  const incarnation = new Uint32Array(n);
  const state = new Uint8Array(n);
  const stateChange = new Float64Array(n);
  const order = new Int32Array(n);
  const index = new Int32Array(capacity).fill(-1);
  identities.forEach((x, i) => {
    identity[i] = x;
    incarnation[i] = 1;
    stateChange[i] = t + 0.5;
    order[i] = i;
    let h = (nameIds.get(x.name) as number) & (capacity - 1);
    while (index[h] !== -1) h = (h + 1) & (capacity - 1);
    index[h] = i;
  });
  return { identity, incarnation, state, stateChange, order, index };
}

const build = {
  today: todayTable,
  "shared-identity": sharedIdentityTable,
  columnar: columnarTable,
}[layout];
if (build === undefined) throw new Error(`unknown LAYOUT ${layout}`);
gc();
const before = process.memoryUsage();
const tables = Array.from({ length: n }, (_, t) => build(t));
gc();
const after = process.memoryUsage();
const bytes = after.heapUsed - before.heapUsed + (after.arrayBuffers - before.arrayBuffers);
console.log(
  `${layout.padEnd(16)} N=${n}  ${(bytes / (n * n)).toFixed(1)} B per record (heap + array buffers)  rss ${Math.round(after.rss / 1e6)} MB  (${tables.length} tables)`,
);
