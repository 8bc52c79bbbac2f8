/**
 * Child process of the ledger crash test: two nodes, U and H, each a real {@link SwapAccounting} in the hard phase on
 * its own SQLite file (the {@link SqliteLedgerStore} and the {@link SqliteChequeStore} share it), linked in this
 * process. The chain is modelled (`adversary.ts`: keyed-hash signatures, the real store rules), so a run takes no
 * node; everything the engine writes goes through the real SQLite stores.
 *
 * Each step one node serves (the same one for about 16 steps in a row) the other `n` messages: the consumer reserves (paying first if it must), the server
 * books (`provided`), then the consumer books (`r.apply()`). A line is printed only after the awaited call returned:
 *
 * - `U+ n` / `H+ n`: U (H) booked n served to the other (protocol `retrieve` for U, `push` for H);
 * - `U- n` / `H- n`: U (H) booked n consumed from the other;
 * - `UC <cumulative> <units>` / `HC ...`: a cheque was credited and the credit is durable (the engine logs it after
 *   the write); `UR ...` / `HR ...`: a cheque credited by crash recovery at start-up;
 * - `UO`, `HD <reason>` ...: an overpayment not credited, a disconnect (neither may happen here);
 * - `READY` once both handshakes are accepted; `HOLD <point>` when the worker froze at the point it was told to.
 *
 * With `hold`, the worker freezes the whole thread (no further step, write or callback) the `nth` time it reaches
 * `point`, right after printing `HOLD`, so the parent kills it exactly there. With `final`, it restarts, lets every
 * re-sent payment be answered, closes cleanly and exits 0.
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";

import {
  SqliteChequeStore,
  SqliteLedgerStore,
  SwapAccounting,
  type LedgerStore,
  type PeerLedger,
  type SwapLogEvent,
} from "../../sdk/index.js";
import { ID, Life, ModelChain, modelIssuer, modelReceiver, modelVerifier } from "./adversary.js";
import { seeded } from "../helpers/random.js";

/**
 * Where the worker can be frozen (and killed): a cheque's write-ahead record committed but the cheque not yet
 * verified or stored (`receiving`), a cheque stored but not booked, a cheque issued but not booked, just before or
 * after any ledger commit.
 */
export const HOLD_POINTS = [
  "U-receiving", "H-receiving", "U-stored", "U-issued", "H-stored", "H-issued",
  "U-ledger-before", "U-ledger-after", "H-ledger-before", "H-ledger-after",
] as const;
export type HoldPoint = (typeof HOLD_POINTS)[number];

export interface LedgerWorkerConfig {
  dir: string;
  /** Seeds the sizes and directions of the steps. */
  seed: number;
  hold?: { point: HoldPoint; nth: number };
  final?: boolean;
}

export type Side = "U" | "H";
export const SIDES = {
  U: { book: ID.XU, beneficiary: ID.bU, serves: "retrieve" },
  H: { book: ID.XH, beneficiary: ID.bH, serves: "push" },
} as const;
export const TERMS = { phase: "hard" as const, paymentThreshold: 100n, disconnectThreshold: 150n, minPeerPaymentThreshold: 10n, earlyPaymentPercent: 50, tokenPerUnit: 1n };
/** The most one step books. */
export const MAX_STEP = 5;

export const dbPath = (dir: string, side: Side) => join(dir, `${side}.db`);

/** Written synchronously (pipes are, on Linux): the line is out before the next step starts. */
const line = (text: string) => process.stdout.write(text + "\n");


async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2]!) as LedgerWorkerConfig;
  const seen = new Map<string, number>();
  const at = (point: HoldPoint) => {
    const n = (seen.get(point) ?? 0) + 1;
    seen.set(point, n);
    if (config.hold?.point !== point || config.hold.nth !== n) return;
    line(`HOLD ${point}`);
    // Freeze the thread: nothing more happens in this process until the parent kills it.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
    process.exit(3);
  };

  const chain = new ModelChain();
  chain.addBook(ID.XU, { owner: "U", token: chain.token, trusted: true, cover: 10n ** 30n });
  chain.addBook(ID.XH, { owner: "H", token: chain.token, trusted: true, cover: 10n ** 30n });
  const life = new Life(); // never dies: the process does
  const engines = new Map<Side, SwapAccounting>();
  const stores: SqliteChequeStore[] = [];
  const deliveries = new Set<Promise<void>>();

  const open = async (me: Side, other: Side) => {
    const path = dbPath(config.dir, me);
    const store = SqliteChequeStore.open(path);
    stores.push(store);
    const inner = SqliteLedgerStore.open(path);
    const ledger: LedgerStore = {
      loadAll: () => inner.loadAll(),
      load: (peer) => inner.load(peer),
      save: (l) => ledger.saveMany!([l]),
      saveMany: async (ls: PeerLedger[]) => {
        at(`${me}-ledger-before`);
        await inner.saveMany(ls);
        at(`${me}-ledger-after`);
      },
      close: () => inner.close(),
    };
    const log = (e: SwapLogEvent) => {
      if (e.event === "cheque_received") line(`${me}C ${String(e.cumulativePayout)} ${String(e.credited)}`);
      else if (e.event === "recovered_credit") line(`${me}R ${String(e.cumulativePayout)} ${String(e.units)}`);
      else if (e.event === "overpayment_not_credited") line(`${me}O ${String(e.offered)}`);
      else if (e.event === "disconnected" || e.event === "cheque_rejected" || e.event === "payment_refused") line(`${me}D ${e.event} ${String(e.reason)}`);
    };
    const receiver = modelReceiver(chain, SIDES[me].beneficiary, store, life, { afterStore: () => at(`${me}-stored`) });
    const engine = await SwapAccounting.open({
      config: TERMS,
      ledger,
      logger: log,
      hooks: {
        send: (_peer, bytes) => {
          const d = new Promise<void>((resolve) => setImmediate(resolve))
            .then(() => engines.get(other)?.handle(me, bytes))
            .catch((error: unknown) => void line(`${me}D delivery ${String(error).slice(0, 100).replace(/\n/g, " ")}`));
          deliveries.add(d);
          void d.finally(() => deliveries.delete(d));
        },
        disconnect: (_peer, reason) => void line(`${me}D disconnect ${reason}`),
      },
      hard: {
        issuer: modelIssuer(chain, SIDES[me].book, store, life, { afterIssue: () => at(`${me}-issued`) }),
        receiver: {
          receive: (cheque: unknown, options?: { chainId?: bigint }) => {
            at(`${me}-receiving`); // the engine handed the cheque over once its write-ahead record was durable
            return receiver.receive(cheque, options);
          },
        },
        verifier: modelVerifier(chain, SIDES[me].beneficiary),
        store,
        token: chain.token,
      },
    });
    engines.set(me, engine);
    return engine;
  };

  const u = await open("U", "H");
  const h = await open("H", "U");
  await u.connect("H");
  await h.connect("U");
  await u.ready("H");
  await h.ready("U");
  line("READY");

  if (config.final === true) {
    // Let every re-sent payment be answered, then stop cleanly.
    do {
      await Promise.all([...deliveries, u.idle(), h.idle()]);
    } while (deliveries.size > 0);
    await u.close();
    await h.close();
    for (const s of stores) await s.close();
    return;
  }

  const random = seeded(config.seed);
  // Service flows one way for a while (about 16 steps), so that debts build up and are paid in both directions.
  let uServes = random(2) === 0;
  for (;;) {
    if (random(16) === 0) uServes = !uServes;
    const n = 1 + random(MAX_STEP);
    const [server, consumer, s, c] = uServes ? ([u, h, "U", "H"] as const) : ([h, u, "H", "U"] as const);
    const r = await consumer.reserveConsume(s, SIDES[s].serves, n);
    await server.provided(c, SIDES[s].serves, n);
    line(`${s}+ ${n}`);
    await r.apply();
    line(`${c}- ${n}`);
  }
}

/** Runs only as a process's entry point (mocha also loads every file under test/). */
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
