/**
 * A child process of `npm run bench`: one of several processes receiving cheques durably into one shared
 * PostgreSQL store, from `books` chequebooks at once (its own beneficiary, so processes do not compete for the same
 * cheques). It signs its cheques, learns the chequebooks, prints `READY`; then for each `GO` line on stdin it
 * receives for `ms` milliseconds and prints `N <count> <elapsedMs>`; it exits when stdin closes.
 */
import { createInterface } from "node:readline";

import { JsonRpcProvider, Wallet } from "ethers";

import { ChequeReceiver, ChequeVerifier, PostgresChequeStore, signCheque, type SignedCheque } from "../../sdk/index.js";

export interface BenchPgWorkerConfig {
  db: string;
  rpc: string;
  chainId: string;
  factory: string;
  token: string;
  issuerKey: string;
  books: string[];
  perBook: number;
  ms: number;
}

const config = JSON.parse(process.argv[2]!) as BenchPgWorkerConfig;
const chainId = BigInt(config.chainId);
const issuer = new Wallet(config.issuerKey);
const beneficiary = Wallet.createRandom().address;
const signed: SignedCheque[][] = [];
for (const book of config.books) {
  const list: SignedCheque[] = [];
  for (let i = 0; i < config.perBook; i++) list.push(await signCheque({ signer: issuer, chequebook: book, beneficiary, cumulativePayout: BigInt(i + 1), chainId }));
  signed.push(list);
}
const provider = new JsonRpcProvider(config.rpc, chainId, { staticNetwork: true });
const store = await PostgresChequeStore.open(config.db);
const verifier = new ChequeVerifier({ provider, chainId, beneficiary, trustedFactories: [config.factory], token: config.token, store, solvency: { cacheMs: 3_600_000 } });
const receiver = new ChequeReceiver({ verifier, store });
for (const list of signed) await receiver.receive(list[0]!); // learn the chequebooks
const next = signed.map(() => 1);
process.stdout.write("READY\n");

for await (const _line of createInterface({ input: process.stdin })) {
  const start = performance.now();
  let n = 0;
  await Promise.all(
    signed.map(async (list, k) => {
      while (next[k]! < list.length && performance.now() - start < config.ms) {
        await receiver.receive(list[next[k]!++]!);
        n++;
      }
    }),
  );
  process.stdout.write(`N ${n} ${performance.now() - start}\n`);
}
await store.close();
provider.destroy();
