/**
 * Child process of the crash test, in one of three modes, printing each step only after the SDK call that did it
 * has returned (or, for `S` lines, as soon as a transaction was sent). The parent kills it at random.
 *
 * - `cheques`: receives cheques from a peer and issues cheques to peers in a loop (`R`, `I` lines).
 * - `cashout`: recovers interrupted cash-outs (`RECOVERED`), then receives a higher cheque and cashes it, in a loop
 *   (`S <hash>` when sent, `C <hash> <paid>` when recorded). With `recoverOnly` it exits after recovering.
 * - `deploy`: deploys (or resumes deploying) chequebooks with salts 1, 2, 3, ... (`S <hash>`, `D <address>`).
 */
import { pathToFileURL } from "node:url";

import { JsonRpcProvider, Wallet, toBeHex, zeroPadValue } from "ethers";

import { ChequeCasher, ChequeReceiver, ChequeVerifier, ChequebookIssuer, SqliteChequeStore, signCheque, type TxProgress } from "../../sdk/index.js";

export interface WorkerConfig {
  mode: "cheques" | "cashout" | "deploy";
  url: string;
  chainId: string;
  db: string;
  factory: string;
  token: string;
  peerKey: string;
  peerChequebook: string;
  myKey: string;
  myChequebook: string;
  payees: string[];
  recoverOnly?: boolean;
}

const line = (text: string) => new Promise<void>((resolve) => process.stdout.write(text + "\n", () => resolve()));
/** Pipes are written synchronously on Linux, so this line is out before the next step starts. */
const sent = (p: TxProgress) => {
  if (p.stage === "sent") process.stdout.write(`S ${p.hash}\n`);
};
const FAST = { pollMs: 20, droppedAfterMs: 2_000, onProgress: sent };

async function cheques(config: WorkerConfig, provider: JsonRpcProvider, store: SqliteChequeStore): Promise<void> {
  const chainId = BigInt(config.chainId);
  const me = new Wallet(config.myKey, provider);
  const peer = new Wallet(config.peerKey);
  const verifier = new ChequeVerifier({
    provider, chainId, beneficiary: me.address, trustedFactories: [config.factory], token: config.token, store, solvency: { policy: "flag" },
  });
  const receiver = new ChequeReceiver({ verifier, store });
  const issuer = await ChequebookIssuer.connect({ signer: me, chequebook: config.myChequebook, store, balanceCacheMs: 60_000 });
  for (let i = 0; ; i++) {
    const held = (await store.getReceived(config.peerChequebook, me.address))?.cheque.cumulativePayout ?? 0n;
    const cheque = await signCheque({ signer: peer, chequebook: config.peerChequebook, beneficiary: me.address, cumulativePayout: held + 1n, chainId });
    await receiver.receive(cheque);
    await line(`R ${cheque.cumulativePayout}`);
    const payee = config.payees[i % config.payees.length]!;
    const { cheque: issued } = await issuer.issueCheque(payee, 1n);
    await line(`I ${payee} ${issued.cumulativePayout} ${issued.signature}`);
  }
}

async function cashout(config: WorkerConfig, provider: JsonRpcProvider, store: SqliteChequeStore): Promise<void> {
  const chainId = BigInt(config.chainId);
  const me = new Wallet(config.myKey, provider);
  const peer = new Wallet(config.peerKey);
  const casher = new ChequeCasher({ signer: me, store, gasCostInToken: () => 0n, tx: FAST });
  // Feature-tested so that the test shows what happens without recovery, on code that has none.
  const recover = (casher as { recover?: () => Promise<unknown[]> }).recover;
  const recovered = typeof recover === "function" ? await recover.call(casher) : [];
  await line(`RECOVERED ${recovered.length}`);
  if (config.recoverOnly === true) return;
  for (;;) {
    const held = (await store.getReceived(config.peerChequebook, me.address))?.cheque.cumulativePayout ?? 0n;
    const cheque = await signCheque({ signer: peer, chequebook: config.peerChequebook, beneficiary: me.address, cumulativePayout: held + 1_000n, chainId });
    await store.putReceived(cheque);
    const r = await casher.cashOut(config.peerChequebook);
    await line(`C ${r.txHash} ${r.paid}`);
  }
}

async function deploy(config: WorkerConfig, provider: JsonRpcProvider, store: SqliteChequeStore): Promise<void> {
  const me = new Wallet(config.myKey, provider);
  for (let i = 1; ; i++) {
    const { chequebook } = await ChequebookIssuer.deploy({ signer: me, factory: config.factory, store, salt: zeroPadValue(toBeHex(i), 32), tx: FAST });
    await line(`D ${i} ${chequebook}`);
  }
}

/** Runs only as a process's entry point (mocha also loads every file under test/). */
async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2]!) as WorkerConfig;
  const provider = new JsonRpcProvider(config.url, BigInt(config.chainId), { staticNetwork: true });
  const store = SqliteChequeStore.open(config.db);
  if (config.mode === "cashout") await cashout(config, provider, store);
  else if (config.mode === "deploy") await deploy(config, provider, store);
  else await cheques(config, provider, store);
  await store.close();
  provider.destroy();
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
