/**
 * The dashboard's figures, all taken from the SDK's own reckonings: {@link ChequeCasher.totalUncashed} for the
 * chequebooks we hold cheques from (with {@link ChequeCasher.quote} for what a cash-out would cost),
 * {@link ChequebookIssuer.balances} for our chequebook, {@link SwapAccounting.peers} for the peers. The only reads of
 * its own are the hard deposit and liquid balance for us of each chequebook, at the same block as the block time
 * shown. Nothing here is a second implementation of a money rule.
 */
import { Contract, type Provider } from "ethers";

import type { ChequeCasher, CashoutStatus } from "../beneficiary/cashout.js";
import { chequebookAt, erc20At, rpc } from "../chain/contracts.js";
import { isChequeError } from "../errors.js";
import type { ChequebookBalances, ChequebookIssuer } from "../issuer/issuer.js";
import type { CashoutRecord, ChequeStore } from "../store/types.js";
import type { PeerSummary } from "../swap/engine.js";
import type { SwapPhase } from "../swap/wire.js";
import { alertsFor, type DashboardAlert } from "./alerts.js";
import type { DashboardEvent, DashboardEvents } from "./events.js";
import { SpendTracker } from "./spend.js";

export { alertsFor, type DashboardAlert } from "./alerts.js";

/** What the dashboard reads from. Each part is optional: the page shows what it is given. */
export interface DashboardSources {
  provider: Provider;
  store: ChequeStore;
  /** Our cheques received: uncashed amounts, cash-outs. */
  casher?: ChequeCasher;
  /** Our own chequebook: balance, outstanding promises, runway; deposits. */
  issuer?: ChequebookIssuer;
  /** The peers, from a running engine ({@link SwapAccounting.peers}) or from ledger records. */
  peers?: () => PeerSummary[] | Promise<PeerSummary[]>;
  /** The engine's phase and our thresholds (accounting units). */
  terms?: { phase: SwapPhase; paymentThreshold: bigint; disconnectThreshold: bigint };
  events?: DashboardEvents;
}

/** A peer's row. */
export interface PeerRow extends PeerSummary {
  status: "ready" | "connected" | "cooling-down" | "offline";
}

/** A chequebook we hold cheques from. */
export interface HeldRow extends CashoutStatus {
  /** What the chequebook could pay us now: its liquid balance plus our hard deposit. */
  liquidFor: bigint;
  hardDeposit: bigint;
  /** A prepared decrease of our hard deposit, and when it can be applied (unix seconds, chain time; 0 if none). */
  decreaseAmount: bigint;
  canBeDecreasedAt: bigint;
  /** What cashing out now would bring after gas (payable minus the gas cost in tokens), from the casher's quote. */
  profit?: { payable: bigint; gasCostInToken: bigint; net: bigint; worthIt: boolean };
  /** Why there is no quote (NOTHING_TO_CASH, CONTRACT_REVERT, ...). */
  quoteError?: string;
}

/** Our chequebook. */
export interface OwnFigures extends ChequebookBalances {
  chequebook: string;
  /** Token base units promised per hour, over the dashboard's sampling window (0 before two samples differ). */
  spendPerHour: bigint;
  /** How long `available` lasts at that rate, in seconds; absent while nothing is being spent. */
  runwaySeconds?: number;
}

/** Everything the page shows, at one moment. Bigints are served as decimal strings. */
export interface DashboardSnapshot {
  version: 1;
  /** Server time, unix milliseconds. */
  at: number;
  chain: { chainId: bigint; blockNumber: number; blockTime: number };
  token?: { address: string; decimals: number; symbol: string };
  node: { phase?: SwapPhase; paymentThreshold?: bigint; disconnectThreshold?: bigint; beneficiary?: string; chequebook?: string };
  peers: PeerRow[];
  held: { totalUncashed: bigint; chequebooks: HeldRow[] };
  own?: OwnFigures;
  alerts: DashboardAlert[];
  cashouts: CashoutRecord[];
  events: DashboardEvent[];
}

/** When the dashboard warns about our own chequebook. */
export interface AlertOptions {
  /** Warn when what our chequebook can still promise falls below this (token base units). Default 0: never. */
  lowFundsThreshold?: bigint;
  /** Warn when the runway at the current spending rate is shorter than this (seconds). Default 86,400. */
  runwayAlertSeconds?: number;
}

/** The state a snapshot needs between calls. */
export interface SnapshotState extends AlertOptions {
  spend: SpendTracker;
  token?: DashboardSnapshot["token"] | null;
}

const UINT = (x: unknown) => x as bigint;

/**
 * Reads every figure once.
 *
 * @throws ChequeError RPC_UNAVAILABLE, RPC_TIMEOUT (the chain); STORE_FAILURE.
 */
export async function collectSnapshot(src: DashboardSources, state: SnapshotState): Promise<DashboardSnapshot> {
  const at = Date.now();
  const provider = src.provider;
  const [network, block] = await rpc("reading the chain", () => Promise.all([provider.getNetwork(), provider.getBlock("latest")]));
  const blockTag = block?.number ?? "latest";
  const blockTime = block?.timestamp ?? Math.floor(at / 1000);
  const [peers, held, own, cashouts] = await Promise.all([
    peerRows(src, at),
    heldRows(src, blockTag),
    ownFigures(src, state, at),
    src.store.listCashouts(),
  ]);
  const snapshot: DashboardSnapshot = {
    version: 1, at, chain: { chainId: network.chainId, blockNumber: block?.number ?? 0, blockTime },
    node: {}, peers, held, alerts: [], cashouts: cashouts.slice(0, 50), events: src.events?.recent() ?? [],
  };
  if (src.terms !== undefined) Object.assign(snapshot.node, src.terms);
  if (src.issuer !== undefined) snapshot.node.chequebook = src.issuer.chequebook;
  if (held.beneficiary !== undefined) snapshot.node.beneficiary = held.beneficiary;
  if (own !== undefined) snapshot.own = own;
  const token = await tokenInfo(src, state, held.chequebooks[0]?.chequebook);
  if (token !== undefined) snapshot.token = token;
  snapshot.alerts = alertsFor({ held: held.chequebooks, own, blockTime, ...state });
  return snapshot;
}

async function peerRows(src: DashboardSources, now: number): Promise<PeerRow[]> {
  if (src.peers === undefined) return [];
  const peers = await src.peers();
  return peers.map((p) => ({
    ...p,
    status: p.connected ? (p.ready ? "ready" : "connected") : p.cooldownUntil > now ? "cooling-down" : "offline",
  }));
}

async function heldRows(src: DashboardSources, blockTag: number | "latest"): Promise<{ totalUncashed: bigint; chequebooks: HeldRow[]; beneficiary?: string }> {
  if (src.casher === undefined) return { totalUncashed: 0n, chequebooks: [] };
  const casher = src.casher;
  const { total, chequebooks } = await casher.totalUncashed();
  const rows = await Promise.all(
    chequebooks.map(async (status): Promise<HeldRow> => {
      const book = chequebookAt(status.chequebook, src.provider);
      const [deposit, liquidFor] = await rpc("reading a chequebook's cover", () =>
        Promise.all([book.getFunction("hardDeposits")(status.beneficiary, { blockTag }) as Promise<bigint[]>, book.getFunction("liquidBalanceFor")(status.beneficiary, { blockTag })]),
      );
      const row: HeldRow = { ...status, liquidFor: UINT(liquidFor), hardDeposit: deposit[0]!, decreaseAmount: deposit[1]!, canBeDecreasedAt: deposit[3]! };
      if (status.payable > 0n) {
        try {
          const q = await casher.quote(status.chequebook);
          row.profit = { payable: q.payable, gasCostInToken: q.costInToken, net: q.payable - q.costInToken, worthIt: q.worthIt };
        } catch (error) {
          row.quoteError = isChequeError(error) ? error.code : "UNKNOWN";
        }
      } else row.quoteError = "NOTHING_TO_CASH";
      return row;
    }),
  );
  const out: { totalUncashed: bigint; chequebooks: HeldRow[]; beneficiary?: string } = { totalUncashed: total, chequebooks: rows };
  if (rows[0] !== undefined) out.beneficiary = rows[0].beneficiary;
  return out;
}

async function ownFigures(src: DashboardSources, state: SnapshotState, now: number): Promise<OwnFigures | undefined> {
  if (src.issuer === undefined) return undefined;
  const balances = await src.issuer.balances();
  state.spend.sample(now, balances.totalIssued);
  const spendPerHour = state.spend.perHour();
  const own: OwnFigures = { chequebook: src.issuer.chequebook, ...balances, spendPerHour };
  const runway = state.spend.runwaySeconds(balances.available);
  if (runway !== undefined) own.runwaySeconds = runway;
  return own;
}

/** The token's address, decimals and symbol, read once (a token without `symbol` shows none). */
async function tokenInfo(src: DashboardSources, state: SnapshotState, fallbackBook: string | undefined): Promise<DashboardSnapshot["token"]> {
  if (state.token !== undefined) return state.token ?? undefined;
  const book = src.issuer?.chequebook ?? fallbackBook;
  if (book === undefined) return undefined;
  try {
    const address = (await chequebookAt(book, src.provider).getFunction("token")()) as string;
    const token = erc20At(address, src.provider);
    const decimals = Number(await token.getFunction("decimals")());
    const symbol = await (new Contract(address, ["function symbol() view returns (string)"], src.provider).getFunction("symbol")() as Promise<string>).then((s) => (/^[A-Za-z0-9.$_-]{1,16}$/.test(s) ? s : ""), () => "");
    state.token = { address, decimals, symbol };
    return state.token;
  } catch {
    return undefined;
  }
}

/** Serialises a snapshot (or any API answer) as JSON, bigints as decimal strings. */
export function toApiJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
}
