/**
 * Child process of the PostgreSQL fleet test: one of several processes sharing one PostgreSQL store. Prints each
 * step only after the SDK call that did it returned (`S` lines as soon as a transaction was sent).
 *
 * - `issue`: issues random small amounts from one chequebook to the payees in turn until the chequebook can promise
 *   no more (`I <payee> <cumulative> <signature>`, then `DONE`).
 * - `receive`: receives the given cheques in the given order (`R <chequebook> <cumulative> <increment>` when
 *   accepted; a stale one is skipped), then `DONE`.
 * - `cashout`: recovers interrupted cash-outs (`RECOVERED <n>`); unless `recoverOnly`, cashes the cheque held from
 *   the peer's chequebook and hangs (the parent kills it after the `S` line).
 */
import { pathToFileURL } from "node:url";

import { JsonRpcProvider, Wallet } from "ethers";

import { ChequeCasher, ChequeReceiver, ChequeVerifier, ChequebookIssuer, PostgresChequeStore, isChequeError, type SignedCheque, type TxProgress } from "../../sdk/index.js";

export interface FleetConfig {
  mode: "issue" | "receive" | "cashout";
  db: string;
  rpc: string;
  chainId: string;
  factory: string;
  token: string;
  key: string;
  chequebook?: string;
  payees?: string[];
  seed?: number;
  cheques?: Array<{ chequebook: string; beneficiary: string; cumulativePayout: string; signature: string }>;
  recoverOnly?: boolean;
  /** `receive`: after this many cheques (accepted or stale), print `PAUSED` and wait for standard input (the parent kills it). */
  pauseAfter?: number;
}

const line = (text: string) => new Promise<void>((resolve) => process.stdout.write(text + "\n", () => resolve()));

async function issue(config: FleetConfig, provider: JsonRpcProvider, store: PostgresChequeStore): Promise<void> {
  const issuer = await ChequebookIssuer.connect({ signer: new Wallet(config.key, provider), chequebook: config.chequebook!, store });
  let seed = config.seed ?? 1;
  const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 5) + 1;
  for (let i = 0; ; i++) {
    const payee = config.payees![i % config.payees!.length]!;
    try {
      const { cheque } = await issuer.issueCheque(payee, BigInt(random()));
      await line(`I ${payee} ${cheque.cumulativePayout} ${cheque.signature}`);
    } catch (error) {
      if (!isChequeError(error, "INSUFFICIENT_FUNDS")) throw error;
      if ((error.details.available as bigint) === 0n) break;
    }
  }
  await line("DONE");
}

async function receive(config: FleetConfig, provider: JsonRpcProvider, store: PostgresChequeStore): Promise<void> {
  const me = new Wallet(config.key);
  const verifier = new ChequeVerifier({
    provider, chainId: BigInt(config.chainId), beneficiary: me.address, trustedFactories: [config.factory], token: config.token, store, solvency: { policy: "flag" },
  });
  const receiver = new ChequeReceiver({ verifier, store });
  let handled = 0;
  for (const c of config.cheques!) {
    const cheque: SignedCheque = { ...c, cumulativePayout: BigInt(c.cumulativePayout) };
    try {
      const { increment } = await receiver.receive(cheque);
      await line(`R ${c.chequebook} ${c.cumulativePayout} ${increment}`);
    } catch (error) {
      if (!isChequeError(error, "STALE_CHEQUE")) throw error;
    }
    if (++handled === config.pauseAfter) {
      await line("PAUSED");
      await new Promise((resolve) => process.stdin.once("data", resolve));
    }
  }
  await line("DONE");
}

async function cashout(config: FleetConfig, provider: JsonRpcProvider, store: PostgresChequeStore): Promise<void> {
  const sent = (p: TxProgress) => {
    if (p.stage === "sent") process.stdout.write(`S ${p.hash}\n`);
  };
  const casher = new ChequeCasher({ signer: new Wallet(config.key, provider), store, gasCostInToken: () => 0n, tx: { pollMs: 20, droppedAfterMs: 2_000, onProgress: sent } });
  const recovered = await casher.recover();
  await line(`RECOVERED ${recovered.length}`);
  if (config.recoverOnly === true) return;
  await casher.cashOut(config.chequebook!);
  await line("CASHED");
}

/** Runs only as a process's entry point (mocha also loads every file under test/). */
async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2]!) as FleetConfig;
  const provider = new JsonRpcProvider(config.rpc, BigInt(config.chainId), { staticNetwork: true });
  const store = await PostgresChequeStore.open(config.db);
  if (config.mode === "issue") await issue(config, provider, store);
  else if (config.mode === "receive") await receive(config, provider, store);
  else await cashout(config, provider, store);
  await store.close();
  provider.destroy();
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
