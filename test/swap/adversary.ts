/**
 * A chain-free hard phase for adversarial SWAP tests: a model chain of chequebooks (owner, token, trusted or not,
 * cover), and in-memory stand-ins for the issuer, the verifier and the receiver that follow the real rules
 * (cumulative cheques, stale and bouncing cheques refused, signatures that only a chequebook's owner can make).
 * The accounting code under test is the real engine; only what needs a chain is modelled here.
 *
 * Signatures are a keyed hash, not ECDSA, so that hundreds of runs stay fast: `r = keccak(owner secret, cheque)`,
 * `s = 1`, `v = 27` (a well-formed low-s signature that only the owner can compute).
 */
import { keccak256, solidityPacked, toBeHex, zeroPadValue } from "ethers";

import {
  ChequeError,
  KeyedMutex,
  MemoryChequeStore,
  MemoryLedgerStore,
  SwapAccounting,
  decodeSwapMessage,
  encodeSwapMessage,
  validateCheque,
  type ChequeStore,
  type LedgerStore,
  type SignedCheque,
  type SwapConfig,
  type SwapLogEvent,
  type SwapMessage,
} from "../../sdk/index.js";
import { Clock } from "./sim.js";

/** An address from a small number, for readable tests. */
export const addr = (n: number): string => checksum(zeroPadValue(toBeHex(n), 20));

export interface ModelBook {
  owner: string;
  token: string;
  trusted: boolean;
  /** What the chequebook can pay us in total: a cheque whose cumulative payout exceeds it bounces. */
  cover: bigint;
}

/** The chain as the test sees it. Cover never shrinks: a cheque once accepted stays cashable. */
export class ModelChain {
  readonly chainId = 31337n;
  readonly token = addr(0x70c);
  readonly books = new Map<string, ModelBook>();

  addBook(address: string, book: ModelBook): string {
    const a = checksum(address);
    this.books.set(a, book);
    return a;
  }

  sign(secret: string, chequebook: string, beneficiary: string, cumulativePayout: bigint): SignedCheque {
    const r = keccak256(solidityPacked(["string", "address", "address", "uint256"], [secret, chequebook, beneficiary, cumulativePayout]));
    return validateCheque({ chequebook, beneficiary, cumulativePayout, signature: r + "0".repeat(63) + "1" + "1b" });
  }

  signedByOwner(c: SignedCheque): boolean {
    const book = this.books.get(checksum(c.chequebook));
    return book !== undefined && this.sign(book.owner, c.chequebook, c.beneficiary, c.cumulativePayout).signature === c.signature;
  }
}

function checksum(a: string): string {
  return validateCheque({ chequebook: a, beneficiary: a, cumulativePayout: 0n, signature: "0x" + "1".repeat(64) + "0".repeat(63) + "1" + "1b" }).chequebook;
}

export { checksum };

/** Kills an incarnation of a node: after `dead`, its writes fail as if the process had stopped. */
export class Life {
  dead = false;
  check(): void {
    if (this.dead) throw new Error("crashed");
  }
}

/** Our chequebook, issuing to any beneficiary through the real store rules. */
export function modelIssuer(chain: ModelChain, chequebook: string, store: ChequeStore, life: Life, hooks: { afterIssue?: () => void } = {}) {
  const book = chain.books.get(chequebook)!;
  const mutex = new KeyedMutex();
  return {
    chequebook,
    async issueCheque(beneficiary: string, amount: bigint) {
      if (amount <= 0n) throw new ChequeError("INVALID_ARGUMENT", "amount must be positive");
      const to = checksum(beneficiary);
      return mutex.run(to, async () => {
        life.check();
        const last = await store.getIssued(chequebook, to);
        const cheque = chain.sign(book.owner, chequebook, to, (last?.cheque.cumulativePayout ?? 0n) + amount);
        life.check();
        await store.putIssued(cheque);
        hooks.afterIssue?.();
        return { cheque, amount, availableAfter: 0n, lowFunds: false };
      });
    },
    lastIssued(beneficiary: string) {
      return store.getIssued(chequebook, checksum(beneficiary));
    },
  };
}

/** Our verifier: trusted chequebooks in our token only. */
export function modelVerifier(chain: ModelChain, beneficiary: string) {
  return {
    beneficiary: checksum(beneficiary),
    chainId: chain.chainId,
    async chequebookInfo(chequebook: string) {
      const book = chain.books.get(checksum(chequebook));
      if (book === undefined || !book.trusted) throw new ChequeError("UNKNOWN_CHEQUEBOOK", `${chequebook} is not a trusted chequebook`);
      if (book.token !== chain.token) throw new ChequeError("WRONG_TOKEN", `${chequebook} pays in another token`);
      return { chequebook: checksum(chequebook), issuer: book.owner, token: book.token, factory: chain.token, issuerIsContract: false };
    },
  };
}

/** Our receiver: the verifier's checks in order, then the store; `calls` counts the verifications it ran. */
export function modelReceiver(chain: ModelChain, beneficiary: string, store: ChequeStore, life: Life, hooks: { afterStore?: () => void } = {}) {
  const verifier = modelVerifier(chain, beneficiary);
  const mutex = new KeyedMutex();
  const receiver = {
    calls: 0,
    async receive(cheque: unknown, options: { chainId?: bigint } = {}) {
      const c = validateCheque(cheque);
      receiver.calls++;
      return mutex.run(c.chequebook, async () => {
        if (c.beneficiary !== verifier.beneficiary) throw new ChequeError("WRONG_BENEFICIARY", "not ours");
        if (options.chainId !== undefined && options.chainId !== chain.chainId) throw new ChequeError("WRONG_CHAIN", "another chain");
        const previous = (await store.getReceived(c.chequebook, c.beneficiary))?.cheque.cumulativePayout ?? 0n;
        if (c.cumulativePayout <= previous) throw new ChequeError("STALE_CHEQUE", "not above what we hold");
        await verifier.chequebookInfo(c.chequebook);
        if (!chain.signedByOwner(c)) throw new ChequeError("INVALID_SIGNATURE", "not the owner's signature");
        const book = chain.books.get(c.chequebook)!;
        if (c.cumulativePayout > book.cover) throw new ChequeError("INSUFFICIENT_COVER", "bounces");
        life.check();
        await store.putReceived(c);
        hooks.afterStore?.();
        const cover = { liquidBalanceFor: book.cover, paidOut: 0n, hardDeposit: 0n, required: c.cumulativePayout };
        return { cheque: c, increment: c.cumulativePayout - previous, previous, flagged: false, cover };
      });
    },
  };
  return receiver;
}

// ----- the world of the adversarial model -----

export const T = 100n;
export const TERMS = { phase: "hard" as const, paymentThreshold: T, disconnectThreshold: 150n, minPeerPaymentThreshold: 10n, earlyPaymentPercent: 50, tokenPerUnit: 1n, cooldownMs: 50, paymentTimeoutMs: 5 };

// Addresses of the model.
export const ID = {
  bU: addr(0xb0), XU: addr(0xc0), bH: addr(0xb1), XH: addr(0xc1),
  bM1: addr(0xb2), bM2: addr(0xb3), XM1: addr(0xc2), XM2: addr(0xc3), XMu: addr(0xc4), XMt: addr(0xc5),
};
const BENEFICIARIES = [ID.bM1, ID.bM2, ID.bH, ID.bU];
const BOOKS = [ID.XM1, ID.XM2, ID.XH, ID.XMu, ID.XMt];
const OWNS = { H: { beneficiaries: [ID.bH], books: [ID.XH] }, M: { beneficiaries: [ID.bM1, ID.bM2], books: [ID.XM1, ID.XM2, ID.XMu, ID.XMt] } };

/** The hostile identities: M, and N, a second identity of the same attacker (cheap to make) sharing its addresses. */
export type Hostile = "M" | "N";

/** What a hostile identity does; `who` is M when not given. */
export type HostileOp =
  | { k: "mConnect"; who?: Hostile }
  | { k: "mLeave"; who?: Hostile }
  | { k: "hs"; ben: number; book: number; otherToken: boolean; threshold: bigint; who?: Hostile }
  | { k: "cheque"; book: number; delta: number; who?: Hostile }
  | { k: "replayH"; who?: Hostile }
  | { k: "ack"; accepted: boolean; pick: "last" | "issued" | "guess" | "none"; guess: number; reason: string; date: number; who?: Hostile }
  | { k: "malformed"; bytes: Uint8Array; who?: Hostile }
  | { k: "mServes"; n: number; who?: Hostile }
  | { k: "uServesM"; n: number; who?: Hostile };

export type Op =
  | HostileOp
  | { k: "hist"; client: "U" | "H"; n: number }
  | { k: "restart" }
  /** U dies at the next such point: after a cheque is stored, after one is issued, after any ledger write. */
  | { k: "crash"; at: "receive" | "issue" | "save" }
  /** Several hostile actions at once, not waiting for one another (messages and bookings race). */
  | { k: "burst"; ops: HostileOp[] };

/**
 * A ledger whose writes fail once the incarnation that owns it has crashed. `atOnce`: it writes each change at once
 * (`saveNow`, as a memory ledger does) rather than the changes of one turn together.
 */
function mortalLedger(inner: MemoryLedgerStore, life: Life, onSave: () => void, afterSave: () => void, atOnce: boolean): LedgerStore {
  const ledger: LedgerStore = {
    loadAll: () => inner.loadAll(),
    load: (peer) => inner.load(peer),
    save: async (l) => {
      life.check();
      onSave();
      await inner.save(structuredClone(l));
      afterSave();
    },
    close: async () => undefined,
  };
  if (atOnce) {
    ledger.saveNow = (l) => {
      life.check();
      onSave();
      inner.saveNow(structuredClone(l));
      afterSave();
    };
  }
  return ledger;
}

/** The world: U (restartable), H, M's mailbox, the links, and the model's counts of service. */
export class World {
  readonly chain = new ModelChain();
  readonly clock = new Clock();
  readonly uLedger = new MemoryLedgerStore();
  readonly uStore = new MemoryChequeStore();
  u!: { swap: SwapAccounting; life: Life; crashAt?: "receive" | "issue" | "save" };
  h!: SwapAccounting;
  linkUH = false;
  readonly links: Record<Hostile, boolean> = { M: false, N: false };
  readonly to: Record<Hostile, SwapMessage[]> = { M: [], N: [] };
  readonly hCheques: SignedCheque[] = [];
  readonly gave = { H: 0n, M: 0n, N: 0n };
  readonly got = { H: 0n, M: 0n, N: 0n };
  readonly mCum = new Map<string, bigint>();
  /** The most each party (H; the attacker's identities M and N together, as "M") earned at any time. */
  readonly earned = { H: 0n, M: 0n };
  /** Whether the second identity N did anything (then the attacker may have prepaid twice). */
  nActed = false;

  get linkUM(): boolean {
    return this.links.M;
  }
  set linkUM(v: boolean) {
    this.links.M = v;
  }
  /** What U sent M. */
  get toM(): SwapMessage[] {
    return this.to.M;
  }
  /** U's log events (every incarnation), ledger writes, and its current receiver. */
  readonly uLogs: SwapLogEvent[] = [];
  uSaves = 0;
  uReceiver!: ReturnType<typeof modelReceiver>;

  #deliveries = new Set<Promise<void>>();

  /** `writeAtOnce`: U's ledger writes each change at once (`saveNow`) instead of the changes of a turn together. */
  constructor(readonly uConfig: Partial<SwapConfig> = {}, readonly writeAtOnce = false) {
    const c = this.chain;
    c.addBook(ID.XU, { owner: "U", token: c.token, trusted: true, cover: 10n ** 9n });
    c.addBook(ID.XH, { owner: "H", token: c.token, trusted: true, cover: 10n ** 9n });
    c.addBook(ID.XM1, { owner: "M", token: c.token, trusted: true, cover: 10n ** 9n });
    c.addBook(ID.XM2, { owner: "M", token: c.token, trusted: true, cover: 300n });
    c.addBook(ID.XMu, { owner: "M", token: c.token, trusted: false, cover: 10n ** 9n });
    c.addBook(ID.XMt, { owner: "M", token: addr(0x70d), trusted: true, cover: 10n ** 9n });
  }

  /** A world with H and U connected. */
  static async start(uConfig: Partial<SwapConfig> = {}): Promise<World> {
    const w = new World(uConfig);
    await w.openH();
    await w.openU();
    await w.connectUH();
    return w;
  }

  /** Runs steps in order. */
  async run(...ops: Op[]): Promise<void> {
    for (const o of ops) await this.step(o);
  }

  /** The cheques U sent M, as "beneficiary-suffix:cumulative". */
  chequesToM(): SignedCheque[] {
    return this.to.M.flatMap((m) => (m.type === "cheque" && m.signed !== undefined ? [m.signed] : []));
  }

  #deliver(work: () => Promise<unknown>): void {
    const d = new Promise<void>((resolve) => setImmediate(resolve)).then(work).then(
      () => undefined,
      () => undefined,
    );
    this.#deliveries.add(d);
    void d.finally(() => this.#deliveries.delete(d));
  }

  async openU(): Promise<void> {
    const life = new Life();
    const incarnation: World["u"] = { swap: undefined as never, life };
    const crash = (at: "receive" | "issue" | "save") => () => {
      if (incarnation.crashAt === at) life.dead = true;
    };
    const hard = {
      issuer: modelIssuer(this.chain, ID.XU, this.uStore, life, { afterIssue: crash("issue") }),
      receiver: modelReceiver(this.chain, ID.bU, this.uStore, life, { afterStore: crash("receive") }),
      verifier: modelVerifier(this.chain, ID.bU),
      store: this.uStore,
      token: this.chain.token,
    };
    this.uReceiver = hard.receiver;
    incarnation.swap = await SwapAccounting.open({
      config: { ...TERMS, ...this.uConfig },
      logger: (e) => this.uLogs.push(e),
      hooks: {
        send: (peer, bytes) => {
          if (life.dead) throw new Error("crashed");
          if (peer === "M" || peer === "N") {
            if (!this.links[peer]) throw new Error(`${peer} is not connected`);
            this.to[peer].push(decodeSwapMessage(bytes));
          }
          if (peer === "H" && this.linkUH) this.#deliver(() => this.h.handle("U", bytes));
        },
        disconnect: (peer) => {
          if (peer === "M" || peer === "N") this.links[peer] = false;
          if (peer === "H") this.#cutUH();
        },
        now: this.clock.now,
      },
      ledger: mortalLedger(this.uLedger, life, () => this.uSaves++, crash("save"), this.writeAtOnce),
      hard: hard as never,
    });
    this.u = incarnation;
  }

  async openH(): Promise<void> {
    const store = new MemoryChequeStore();
    const life = new Life();
    const hard = {
      issuer: modelIssuer(this.chain, ID.XH, store, life),
      receiver: modelReceiver(this.chain, ID.bH, store, life),
      verifier: modelVerifier(this.chain, ID.bH),
      store,
      token: this.chain.token,
    };
    this.h = await SwapAccounting.open({
      config: TERMS,
      hooks: {
        send: (_peer, bytes) => {
          if (!this.linkUH) throw new Error("not connected");
          const m = decodeSwapMessage(bytes);
          if (m.type === "cheque" && m.signed !== undefined) this.hCheques.push(m.signed);
          const u = this.u;
          this.#deliver(() => (u.life.dead ? Promise.resolve() : u.swap.handle("H", bytes)));
        },
        disconnect: () => this.#cutUH(),
        now: this.clock.now,
      },
      ledger: new MemoryLedgerStore(),
      hard: hard as never,
    });
  }

  #cutUH(): void {
    this.linkUH = false;
    this.h.disconnected("U");
    if (!this.u.life.dead) this.u.swap.disconnected("H");
  }

  async connectUH(): Promise<void> {
    if (this.linkUH) return;
    this.linkUH = true;
    try {
      await this.u.swap.connect("H");
      await this.h.connect("U");
    } catch {
      this.#cutUH();
    }
    await this.settle();
  }

  async restartU(): Promise<void> {
    this.u.life.dead = true;
    this.links.M = this.links.N = false;
    if (this.linkUH) this.#cutUH();
    await this.settle();
    await this.openU();
    await this.connectUH();
  }

  async settle(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      await Promise.all([...this.#deliveries]);
      const idle = [this.h.idle()];
      if (!this.u.life.dead) idle.push(this.u.swap.idle());
      await Promise.all(idle);
      if (this.#deliveries.size === 0) return;
    }
  }

  /** M (or N) sends bytes to U; whatever U throws is U's refusal, not the model's business. */
  async fromM(message: SwapMessage | Uint8Array, who: Hostile = "M"): Promise<void> {
    if (this.u.life.dead) return;
    const bytes = message instanceof Uint8Array ? message : encodeSwapMessage(message);
    await this.u.swap.handle(who, bytes).catch(() => undefined);
  }

  async step(o: Op): Promise<void> {
    this.clock.advance(10);
    if (this.u.life.dead) await this.restartU();
    const u = this.u.swap;
    switch (o.k) {
      case "hist": {
        const [client, server] = o.client === "U" ? [u, this.h] : [this.h, u];
        try {
          const consume = await client.reserveConsume(o.client === "U" ? "H" : "U", "store", o.n);
          let provide;
          try {
            provide = await server.reserveProvide(o.client === "U" ? "U" : "H", "store", o.n);
          } catch (error) {
            consume.release();
            throw error;
          }
          if (o.client === "U") this.gave.H += BigInt(o.n);
          else this.got.H += BigInt(o.n);
          await provide.apply();
          await consume.apply();
        } catch {
          // refused: nothing served
        }
        break;
      }
      case "restart":
        await this.restartU();
        break;
      case "crash":
        this.u.crashAt = o.at;
        break;
      case "burst":
        await Promise.all(o.ops.map((h) => this.#hostile(h).catch(() => undefined)));
        break;
      default:
        await this.#hostile(o);
    }
    await this.settle();
    if (!this.linkUH && !this.u.life.dead) await this.connectUH();
  }

  /** One action of a hostile identity (M unless named). */
  async #hostile(o: HostileOp): Promise<void> {
    if (this.u.life.dead) return;
    const u = this.u.swap;
    const who = o.who ?? "M";
    if (who === "N") this.nActed = true;
    switch (o.k) {
      case "mConnect":
        if (this.links[who]) u.disconnected(who);
        this.links[who] = false;
        try {
          await u.connect(who);
          this.links[who] = true;
        } catch {
          // cooling down
        }
        break;
      case "mLeave":
        if (this.links[who]) u.disconnected(who);
        this.links[who] = false;
        break;
      case "hs":
        // A handshake comes with a connection.
        if (!this.links[who]) await u.connect(who).then(() => (this.links[who] = true), () => undefined);
        await this.fromM({
          type: "handshake", phase: "hard", paymentThreshold: o.threshold, chainId: this.chain.chainId,
          beneficiary: BENEFICIARIES[o.ben]!, chequebook: BOOKS[o.book]!, token: o.otherToken ? addr(0x70d) : this.chain.token,
        }, who);
        break;
      case "cheque": {
        const book = [ID.XM1, ID.XM2, ID.XH, ID.XMu][o.book]!;
        let cum = (this.mCum.get(book) ?? 0n) + BigInt(o.delta);
        if (cum <= 0n) cum = 1n;
        if (cum > (this.mCum.get(book) ?? 0n)) this.mCum.set(book, cum);
        // M signs with its own secret: valid on its chequebooks, forged on H's.
        const signed = this.chain.sign("M", book, ID.bU, cum);
        await this.fromM({ type: "cheque", date: 0, amount: Number(cum % 1000n), signed, chainId: this.chain.chainId }, who);
        break;
      }
      case "replayH": {
        const signed = this.hCheques.at(-1);
        if (signed !== undefined) await this.fromM({ type: "cheque", date: 0, amount: 1, signed, chainId: this.chain.chainId }, who);
        break;
      }
      case "ack": {
        const last = [...this.to[who]].reverse().find((m) => m.type === "cheque");
        // "issued": a perfect guess of the cheque U issued last to one of M's addresses, sent or not.
        const issued = o.pick === "issued" ? await this.#lastIssuedToM() : undefined;
        const cumulativePayout = o.pick === "last" && last?.type === "cheque" ? last.signed?.cumulativePayout : o.pick === "guess" ? BigInt(o.guess) : issued;
        const ack: SwapMessage = { type: "ack", accepted: o.accepted, amount: o.guess, reason: o.reason, date: o.date };
        if (cumulativePayout !== undefined) ack.cumulativePayout = cumulativePayout;
        await this.fromM(ack, who);
        break;
      }
      case "malformed":
        await this.fromM(o.bytes, who);
        break;
      case "mServes":
        try {
          await u.consumed(who, "store", o.n);
          this.gave[who] += BigInt(o.n);
        } catch {
          // not connected: nothing consumed
        }
        break;
      case "uServesM":
        try {
          const r = await u.reserveProvide(who, "store", o.n);
          this.got[who] += BigInt(o.n);
          await r.apply();
        } catch {
          // refused
        }
        break;
    }
  }

  async #lastIssuedToM(): Promise<bigint | undefined> {
    const issued = await Promise.all(OWNS.M.beneficiaries.map((b) => this.uStore.getIssued(ID.XU, b)));
    return issued.filter((i) => i !== undefined).sort((a, b) => b.issuedAt - a.issuedAt)[0]?.cheque.cumulativePayout;
  }

  /** The value of cheques U issued to `beneficiaries`, and of cheques U holds from `books`. */
  async promisedAndHeld(who: "H" | "M"): Promise<{ promised: bigint; held: bigint }> {
    let promised = 0n, held = 0n;
    for (const b of OWNS[who].beneficiaries) promised += (await this.uStore.getIssued(ID.XU, b))?.cheque.cumulativePayout ?? 0n;
    for (const x of OWNS[who].books) held += (await this.uStore.getReceived(x, ID.bU))?.cheque.cumulativePayout ?? 0n;
    return { promised, held };
  }

  async checkInvariant(trace: Op[]): Promise<void> {
    for (const who of ["H", "M"] as const) {
      const { promised, held } = await this.promisedAndHeld(who);
      // M and N are one attacker: what they gave and took counts together, and each identity may prepay T.
      const gave = who === "M" ? this.gave.M + this.gave.N : this.gave.H;
      const got = who === "M" ? this.got.M + this.got.N : this.got.H;
      const net = gave - got + held;
      if (net > this.earned[who]) this.earned[who] = net;
      const bound = this.earned[who] + (who === "M" && this.nActed ? 2n * T : T);
      if (promised > bound) {
        throw new Error(`${who} was promised ${promised} but earned at most ${bound} (now: gave ${gave}, got ${got}, paid ${held}) after ${JSON.stringify(trace, (_k, v) => (typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? `bytes(${v.length})` : v))}`);
      }
    }
  }
}

