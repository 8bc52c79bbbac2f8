/**
 * Child process of the crash test: receives cheques from a peer and issues cheques to peers in a loop, printing
 * each one only after the SDK call that accepted or issued it has returned. The parent kills it at random.
 */
import { pathToFileURL } from "node:url";

import { JsonRpcProvider, Wallet } from "ethers";

import { ChequeReceiver, ChequeVerifier, ChequebookIssuer, SqliteChequeStore, signCheque } from "../../sdk/index.js";

interface Config {
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
}

/** Runs only as a process's entry point (mocha also loads every file under test/). */
async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2]!) as Config;
  const chainId = BigInt(config.chainId);
  const provider = new JsonRpcProvider(config.url, chainId, { staticNetwork: true });
  const me = new Wallet(config.myKey, provider);
  const peer = new Wallet(config.peerKey);
  const store = SqliteChequeStore.open(config.db);
  const verifier = new ChequeVerifier({
    provider, chainId, beneficiary: me.address, trustedFactories: [config.factory], token: config.token, store, solvency: { policy: "flag" },
  });
  const receiver = new ChequeReceiver({ verifier, store });
  const issuer = await ChequebookIssuer.connect({ signer: me, chequebook: config.myChequebook, store, balanceCacheMs: 60_000 });

  const line = (text: string) => new Promise<void>((resolve) => process.stdout.write(text + "\n", () => resolve()));

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

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
