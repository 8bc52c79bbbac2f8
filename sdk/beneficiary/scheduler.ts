/**
 * The cash-out watcher: follows every chequebook we hold cheques from and cashes, through a {@link CashoutExecutor},
 * when its policies say so: above all when cover is about to go (a prepared hard-deposit decrease comes due, or
 * the chequebook can pay less than we are owed), and also past a threshold, on a period, or when the payout beats
 * the gas. It resumes from the last confirmed block it processed (kept in the store), reads logs in bounded ranges,
 * and re-reads each touched chequebook's state from the contract rather than trusting what a log says.
 */
import type { Provider } from "ethers";

import { chequebookAt, rpc } from "../chain/contracts.js";
import { guardProvider } from "../chain/guard.js";
import { ChequeError, isChequeError } from "../errors.js";
import { toAddress } from "../validate.js";
import type { CashoutExecutor, CashoutItemReport } from "./executor.js";
import { touchedChequebooks } from "./watch-logs.js";
import { coverRisk, fingerprint, owedAndPayable, readChequebookState, type ChequebookState, type WatchReason } from "./watch-policy.js";
import type { CashoutSchedulerOptions } from "./scheduler-options.js";
import type { WatchDecisionItem, WatchEvent } from "./watch-report.js";

export type { CashoutSchedulerOptions } from "./scheduler-options.js";

/** What one {@link CashoutScheduler.step} did. */
export interface StepResult {
  head: number;
  /** The last confirmed block processed. */
  cursor: number;
  /** More blocks are waiting to be read: step again now. */
  behind: boolean;
  decisions: WatchDecisionItem[];
  reports: CashoutItemReport[];
}

interface Book {
  chequebook: string;
  token?: string;
  held: bigint;
  state?: ChequebookState;
  dirty: boolean;
  /**
   * The fingerprint at which a cash-out was last asked for, and whether for cover: not asked again for the same
   * kind of reason until something moves.
   */
  tried?: { fingerprint: string; cover: boolean } | undefined;
  quoted?: { fingerprint: string; worth: boolean };
  warned?: string;
}

const READS_AT_ONCE = 8;
const TRANSIENT = new Set(["RPC_UNAVAILABLE", "RPC_TIMEOUT", "RPC_ERROR", "TIMEOUT", "STORE_BUSY", "STORE_FAILURE", "UNKNOWN"]);
/**
 * Outcomes after which nothing happened on chain, or what happened is not known yet (the transaction never left,
 * was dropped, or its block was reorganised away): the chequebook's state does not move, so it is tried again.
 */
const NOTHING_DONE = new Set(["NO_GAS_FUNDS", "TX_DROPPED", "TX_REORGED"]);
const COVER_FIRST: Record<WatchReason, number> = { COVER_DECREASE_DUE: 0, COVER_LIQUIDITY_SHORT: 0, THRESHOLD: 1, PERIOD: 1, PROFITABLE: 1 };
const isCover = (reason: WatchReason) => COVER_FIRST[reason] === 0;
const triedAt = (book: Book, fp: string, cover: boolean) => book.tried?.fingerprint === fp && book.tried.cover === cover;

function positiveInt(value: number | undefined, fallback: number, name: string, min = 0): number {
  const v = value ?? fallback;
  if (!(Number.isSafeInteger(v) && v >= min)) throw new ChequeError("INVALID_ARGUMENT", `${name} must be an integer of at least ${min}, got ${String(value)}`);
  return v;
}

/**
 * Watches the chequebooks we hold cheques from and cashes them when a policy says so.
 *
 * @example
 * const scheduler = new CashoutScheduler({ provider, store, beneficiary, executor: sequentialCashout(casher),
 *   onEvent: (e) => console.log(watchEventJson(e)) })
 * scheduler.start() // ... await scheduler.stop()
 */
export class CashoutScheduler {
  readonly #o: CashoutSchedulerOptions;
  readonly #provider: Provider;
  readonly #me: string;
  readonly #confirmations: number;
  readonly #range: number;
  readonly #margin: bigint;
  readonly #minPayout: bigint;
  readonly #refreshEvery: number;
  readonly #books = new Map<string, Book>();
  #cursorKey: string | undefined;
  #cursor: number | undefined;
  #lastRefresh = 0;
  #lastPeriod: bigint | undefined;
  #periodStart: bigint | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #running = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #ticking: Promise<void> | undefined;
  #failures = 0;

  /** @throws ChequeError INVALID_ARGUMENT for a bad address or option. */
  constructor(options: CashoutSchedulerOptions) {
    this.#o = options;
    this.#provider = guardProvider(options.provider);
    this.#me = toAddress(options.beneficiary, "beneficiary");
    this.#confirmations = positiveInt(options.confirmations, 2, "confirmations");
    this.#range = positiveInt(options.maxBlockRange, 1000, "maxBlockRange", 1);
    this.#refreshEvery = positiveInt(options.fullRefreshBlocks, 1000, "fullRefreshBlocks");
    const seconds = positiveInt(options.safetySeconds, 3600, "safetySeconds") + positiveInt(options.safetyBlocks, 0, "safetyBlocks") * positiveInt(options.blockTimeSeconds, 12, "blockTimeSeconds");
    this.#margin = BigInt(seconds);
    this.#minPayout = options.minPayout ?? 1n;
    if (this.#minPayout < 1n) throw new ChequeError("INVALID_ARGUMENT", "minPayout must be at least 1");
    if (options.periodSeconds !== undefined) positiveInt(options.periodSeconds, 0, "periodSeconds", 1);
    if (options.threshold !== undefined && options.threshold < 1n) throw new ChequeError("INVALID_ARGUMENT", "threshold must be at least 1");
    if (options.profit !== undefined && !((options.profit.margin ?? 2) >= 1)) throw new ChequeError("INVALID_ARGUMENT", "profit.margin must be at least 1");
  }

  /** The last confirmed block processed, once known. */
  get cursor(): number | undefined {
    return this.#cursor;
  }

  /** Whether the loop runs. */
  get running(): boolean {
    return this.#running;
  }

  #emit(event: WatchEvent): void {
    try {
      this.#o.onEvent?.(event);
    } catch {
      // a reporter's failure must not stop the watcher
    }
  }

  /**
   * Runs one step: reads the logs of at most `maxBlockRange` blocks after the cursor, re-reads the state of every
   * chequebook touched (all of them at the first step, so a decrease prepared while we were down is seen), decides,
   * cashes the chosen chequebooks in one call to the executor, then moves the cursor (at most to head -
   * confirmations) and stores it. Steps run one at a time. A failed step moves nothing: the next one reads the same
   * blocks again.
   *
   * @throws ChequeError RPC_*, WRONG_CHAIN, STORE_* (the loop of {@link start} reports them and backs off).
   */
  step(): Promise<StepResult> {
    const run = this.#queue.then(() => this.#step());
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Steps until caught up with the head; returns every step's result. */
  async poll(): Promise<StepResult[]> {
    const results: StepResult[] = [];
    do results.push(await this.step());
    while (results.at(-1)!.behind);
    return results;
  }

  async #step(): Promise<StepResult> {
    const provider = this.#provider;
    this.#cursorKey ??= `watch:cursor:${(await rpc("reading the chain id", () => provider.getNetwork())).chainId}:${this.#me.toLowerCase()}`;
    const head = await rpc("reading the block number", () => provider.getBlockNumber());
    if (this.#cursor === undefined) await this.#resume(head);
    if (this.#cursor! > head) {
      // The chain is shorter than our cursor (a deep reorganisation, or a development chain started again): read
      // every chequebook again and go on from the head.
      this.#cursor = Math.max(-1, head - this.#confirmations);
      for (const book of this.#books.values()) book.dirty = true;
    }
    const cursor = this.#cursor!;
    await this.#syncHeld();
    const from = cursor + 1;
    const to = Math.min(head, cursor + this.#range);
    let touched = 0;
    if (from <= to && this.#books.size > 0) {
      const followed = [...this.#books.values()].map((b) => ({ chequebook: b.chequebook, token: b.token! }));
      let found: Set<string>;
      try {
        found = await touchedChequebooks({ provider, followed, fromBlock: from, toBlock: to });
      } catch (error) {
        if (isChequeError(error, "WRONG_CHAIN")) throw error;
        // The logs only say where to look. A node refusing them (anyone can flood our chequebooks with dust
        // transfers past what a node answers per query) must not blind us: every chequebook is read instead, at
        // the head, which covers every block up to it.
        found = new Set(this.#books.keys());
      }
      for (const book of found) {
        this.#books.get(book)!.dirty = true;
        touched++;
      }
    }
    if (this.#refreshEvery > 0 && head - this.#lastRefresh >= this.#refreshEvery) {
      for (const book of this.#books.values()) book.dirty = true;
      this.#lastRefresh = head;
    }
    await this.#refresh(head);
    const block = await rpc("reading the head block", () => provider.getBlock(head));
    // Without the head's time no decrease could ever look due: a node that cannot say is a failed step.
    if (block === null) throw new ChequeError("RPC_ERROR", `the node does not know block ${head}, its own head: try again`, { details: { block: head } });
    const now = BigInt(block.timestamp);
    const decisions = await this.#decide(head, now);
    let reports: CashoutItemReport[] = [];
    if (decisions.length > 0) reports = await this.#cash(head, now, decisions);
    if (this.#periodStart !== undefined) {
      await this.#o.store.putMeta(`${this.#cursorKey}:period`, String(this.#periodStart));
      this.#lastPeriod = this.#periodStart;
      this.#periodStart = undefined;
    }
    const next = Math.max(cursor, Math.min(to, head - this.#confirmations));
    if (next !== cursor) {
      await this.#o.store.putMeta(this.#cursorKey, String(next));
      this.#cursor = next;
    }
    const behind = to < head - this.#confirmations;
    this.#emit({ type: "progress", cursor: this.#cursor!, head, behind, chequebooks: this.#books.size, touched });
    return { head, cursor: this.#cursor!, behind, decisions, reports };
  }

  async #resume(head: number): Promise<void> {
    const stored = await this.#o.store.getMeta(this.#cursorKey!);
    const resumed = stored !== undefined && /^-?[0-9]+$/.test(stored);
    const start = resumed ? Number(stored) : this.#o.fromBlock !== undefined ? this.#o.fromBlock - 1 : head - this.#confirmations;
    this.#cursor = Math.max(-1, start);
    // Kept at once: a restart before the cursor first moves must resume here, not at a later head.
    if (!resumed) await this.#o.store.putMeta(this.#cursorKey!, String(this.#cursor));
    this.#lastRefresh = head;
    const period = await this.#o.store.getMeta(`${this.#cursorKey!}:period`);
    if (period !== undefined && /^[0-9]+$/.test(period)) this.#lastPeriod = BigInt(period);
    await this.#syncHeld();
    this.#emit({ type: "started", cursor: this.#cursor, head, chequebooks: this.#books.size, resumed });
  }

  /** Follows every chequebook we hold a cheque from (a new one is read at once) and takes the held amounts. */
  async #syncHeld(): Promise<void> {
    for (const { cheque } of await this.#o.store.listReceived(this.#me)) {
      if (cheque.beneficiary.toLowerCase() !== this.#me.toLowerCase()) continue;
      const key = cheque.chequebook.toLowerCase();
      let book = this.#books.get(key);
      if (book === undefined) {
        book = { chequebook: cheque.chequebook, held: 0n, dirty: true };
        this.#books.set(key, book);
      }
      if (cheque.cumulativePayout > book.held) book.held = cheque.cumulativePayout;
      if (book.token === undefined) {
        const info = await this.#o.store.getChequebookInfo(cheque.chequebook);
        book.token = info?.token ?? ((await rpc("reading the chequebook's token", () => chequebookAt(cheque.chequebook, this.#provider).getFunction("token")())) as string);
      }
    }
  }

  async #refresh(block: number): Promise<void> {
    const dirty = [...this.#books.values()].filter((b) => b.dirty);
    // A few chequebooks at a time (five calls each): a restart with hundreds of them does not flood the node.
    for (let i = 0; i < dirty.length; i += READS_AT_ONCE) {
      await Promise.all(
        dirty.slice(i, i + READS_AT_ONCE).map(async (book) => {
          book.state = await readChequebookState(this.#provider, book.chequebook, this.#me, block);
          book.dirty = false;
        }),
      );
    }
  }

  async #decide(block: number, now: bigint): Promise<WatchDecisionItem[]> {
    const o = this.#o;
    const periodDue = o.periodSeconds !== undefined && this.#lastPeriod !== undefined && now - this.#lastPeriod >= BigInt(o.periodSeconds);
    // A new period starts once this step's cash-outs are done (a failed step leaves the period due).
    if (o.periodSeconds !== undefined && (this.#lastPeriod === undefined || periodDue)) this.#periodStart = now;
    const items: WatchDecisionItem[] = [];
    for (const book of this.#books.values()) {
      const state = book.state;
      if (state === undefined) continue;
      const { owed, payable } = owedAndPayable(state, book.held);
      if (owed === 0n) continue;
      const fp = fingerprint(state, book.held);
      let reason = o.cover === false ? undefined : coverRisk({ state, held: book.held, now, marginSeconds: this.#margin });
      if (payable < this.#minPayout) {
        if (reason !== undefined && book.warned !== fp) {
          book.warned = fp;
          this.#emit({ type: "at-risk", block, chequebook: book.chequebook, reason, code: payable === 0n ? "NOTHING_PAYABLE" : "BELOW_MIN_PAYOUT", owed, payable });
        }
        continue;
      }
      if (reason === undefined && o.threshold !== undefined && owed >= o.threshold) reason = "THRESHOLD";
      if (reason === undefined && periodDue) reason = "PERIOD";
      if (reason === undefined && o.profit !== undefined && !triedAt(book, fp, false)) {
        if (book.quoted?.fingerprint !== fp) book.quoted = { fingerprint: fp, worth: await this.#worth(book.chequebook) };
        if (book.quoted.worth) reason = "PROFITABLE";
      }
      // A refusal for another policy (a threshold cash-out too dear) never holds back a cash-out for cover.
      if (reason === undefined || (reason !== "PERIOD" && triedAt(book, fp, isCover(reason)))) continue;
      const item: WatchDecisionItem = { chequebook: book.chequebook, reason, owed, payable };
      if (state.decreaseAmount > 0n) item.canBeDecreasedAt = state.canBeDecreasedAt;
      items.push(item);
    }
    // The urgent first (a sequential executor reaches them first), the earliest decrease first among them.
    return items.sort((a, b) => COVER_FIRST[a.reason] - COVER_FIRST[b.reason] || Number((a.canBeDecreasedAt ?? 0n) - (b.canBeDecreasedAt ?? 0n)));
  }

  async #worth(chequebook: string): Promise<boolean> {
    const margin = BigInt(Math.round((this.#o.profit!.margin ?? 2) * 1000));
    try {
      const q = await this.#o.profit!.quote(chequebook);
      return q.payable * 1000n >= q.costInToken * margin;
    } catch (error) {
      if (isChequeError(error) && TRANSIENT.has(error.code)) throw error;
      return false; // nothing to cash, or the simulation reverts: not worth it
    }
  }

  async #cash(block: number, now: bigint, items: WatchDecisionItem[]): Promise<CashoutItemReport[]> {
    this.#emit({ type: "decision", block, now, items });
    const fps = new Map(items.map((i) => {
      const book = this.#books.get(i.chequebook.toLowerCase())!;
      return [i.chequebook.toLowerCase(), { fingerprint: fingerprint(book.state!, book.held), cover: isCover(i.reason) }] as const;
    }));
    const reports = await this.#o.executor.cashOut(items.map((i) => i.chequebook));
    this.#emit({ type: "cashout", block, items: reports });
    for (const report of reports) {
      const book = this.#books.get(report.chequebook.toLowerCase());
      if (book === undefined) continue;
      book.dirty = true;
      // A transient failure, or one that did nothing on chain, is tried again at the next step (for cover, also one
      // refused as too dear: gas may get cheaper before the cover goes); any other outcome waits until something moves.
      const tried = fps.get(report.chequebook.toLowerCase());
      const code = report.code ?? "UNKNOWN";
      const again = report.status === "skipped" && (TRANSIENT.has(code) || NOTHING_DONE.has(code) || (tried?.cover === true && code === "UNPROFITABLE_CASHOUT"));
      if (!again) book.tried = tried;
    }
    for (const item of items) this.#books.get(item.chequebook.toLowerCase())!.dirty = true;
    await this.#refresh(await rpc("reading the block number", () => this.#provider.getBlockNumber()));
    for (const book of this.#books.values()) {
      // Re-read after the cash-out: a chequebook whose state moved is decided afresh.
      if (book.tried !== undefined && book.state !== undefined && book.tried.fingerprint !== fingerprint(book.state, book.held)) book.tried = undefined;
    }
    return reports;
  }

  /**
   * Starts the loop: a step, then the next one at once while catching up, else after `pollMs`; after a failed step,
   * an `error` event and a back-off (doubling up to `backoff.maxMs`). Owns one timer; {@link stop} clears it.
   */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedule(0);
  }

  #schedule(ms: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#ticking = this.#tick();
    }, ms);
  }

  async #tick(): Promise<void> {
    let delay: number;
    try {
      const result = await this.step();
      this.#failures = 0;
      delay = result.behind ? 0 : (this.#o.pollMs ?? 4000);
    } catch (error) {
      this.#failures++;
      const base = this.#o.backoff?.baseMs ?? 1000;
      delay = Math.min(this.#o.backoff?.maxMs ?? 60_000, base * 2 ** Math.min(this.#failures - 1, 30));
      const code = isChequeError(error) ? error.code : "UNEXPECTED";
      this.#emit({ type: "error", code, message: error instanceof Error ? error.message : String(error), attempt: this.#failures, retryInMs: delay });
    }
    if (this.#running) this.#schedule(delay);
  }

  /** Stops the loop: clears its timer and waits for a step under way (and its cash-out) to finish. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#ticking;
    await this.#queue;
    this.#emit({ type: "stopped", cursor: this.#cursor });
  }
}
