/**
 * The main job on an embedded chain, through the SDK: an issuer deploys and funds a chequebook and pays a peer
 * with cheques; the peer verifies each cheque as it arrives (in Bee's JSON), keeps it in a SQLite file, and cashes
 * it, once itself and once through a relayer that earns a fee. Balances before and after.
 *
 *   npm run demo:sdk              human output
 *   DEMO_JSON=1 npm run demo:sdk  one JSON object at the end
 *
 * Exits non-zero if any step does not have the expected effect.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { formatUnits } from "ethers";
import { network } from "hardhat";

import {
  ChequeCasher,
  ChequeReceiver,
  ChequeVerifier,
  ChequebookIssuer,
  SqliteChequeStore,
  decodeBeeCheque,
  encodeBeeCheque,
  signCashout,
  type TxProgress,
} from "../sdk/index.js";

const json = process.env.DEMO_JSON === "1" || process.argv.includes("--json");
const log = (line: string) => {
  if (!json) console.log(line);
};
const step = (n: number, text: string) => log(`[${n}/8] ${text}`);
const progress = (p: TxProgress) => {
  if (p.stage === "sent") log(`      tx ${p.hash.slice(0, 10)}… sent (nonce ${p.nonce})`);
  if (p.stage === "confirmed") log(`      tx ${p.hash.slice(0, 10)}… confirmed (${p.confirmations} confirmation${p.confirmations === 1 ? "" : "s"})`);
};

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`demo check failed: ${message}`);
}

const { ethers } = await network.getOrCreate();
const [deployer, issuerKey, peerKey, relayerKey] = await ethers.getSigners();
if (!deployer || !issuerKey || !peerKey || !relayerKey) throw new Error("the embedded chain has too few accounts");
const { chainId } = await ethers.provider.getNetwork();
const unit = 10n ** 16n;
const fmt = (v: bigint) => formatUnits(v, 16);
const dir = await mkdtemp(join(tmpdir(), "chequebook-demo-"));
const tx = { pollMs: 20, onProgress: progress };

try {
  step(1, `deploying a test token and the chequebook factory on the embedded chain (chain id ${chainId})`);
  const token = await ethers.deployContract("TestToken");
  const factory = await ethers.deployContract("ChequebookFactory", [await token.getAddress()]);
  const tokenAddress = await token.getAddress();
  const factoryAddress = await factory.getAddress();
  log(`      token ${tokenAddress}\n      factory ${factoryAddress}`);
  await token.mint(issuerKey.address, 100n * unit);

  step(2, "the issuer deploys its chequebook through the factory and deposits 100 tokens (one transaction, EIP-2612 permit)");
  const issuerStore = SqliteChequeStore.open(join(dir, "issuer.db"));
  const { chequebook } = await ChequebookIssuer.deploy({ signer: issuerKey, factory: factoryAddress, store: issuerStore, salt: ethers.id("demo"), tx });
  const issuer = await ChequebookIssuer.connect({ signer: issuerKey, chequebook, store: issuerStore, tx, lowFundsThreshold: 20n * unit });
  await issuer.deposit(100n * unit);
  log(`      chequebook ${chequebook}`);
  check((await issuer.balances()).total === 100n * unit, "the deposit did not arrive");

  const balances = async () => ({
    chequebook: (await issuer.balances()).total,
    peer: await token.balanceOf(peerKey.address),
    relayer: await token.balanceOf(relayerKey.address),
  });
  const before = await balances();

  step(3, "the peer opens its SQLite cheque store and a verifier that trusts this factory and token");
  const peerStore = SqliteChequeStore.open(join(dir, "peer.db"));
  const verifier = new ChequeVerifier({ provider: ethers.provider, chainId, beneficiary: peerKey.address, trustedFactories: [factoryAddress], token: tokenAddress, store: peerStore });
  const receiver = new ChequeReceiver({ verifier, store: peerStore });

  step(4, "the issuer pays 30, then 15 more: each cheque is committed, sent in Bee's JSON, verified and stored");
  for (const amount of [30n, 15n]) {
    const { cheque, availableAfter } = await issuer.issueCheque(peerKey.address, amount * unit);
    const wire = encodeBeeCheque(cheque);
    const { increment } = await receiver.receive(decodeBeeCheque(wire));
    check(increment === amount * unit, `the peer should be credited ${amount}`);
    log(`      cheque for ${fmt(cheque.cumulativePayout)} in total: credited ${fmt(increment)}; the issuer can still promise ${fmt(availableAfter)}`);
  }

  step(5, "a forged cheque and a replayed one are refused, and nothing is stored for them");
  const forged = { ...(await issuer.lastIssued(peerKey.address))!.cheque, cumulativePayout: 99n * unit };
  for (const [what, cheque] of [["forged", forged], ["replayed", (await issuer.lastIssued(peerKey.address))!.cheque]] as const) {
    try {
      await receiver.receive(cheque);
      check(false, `the ${what} cheque was accepted`);
    } catch (e) {
      log(`      ${what}: refused with ${(e as { code?: string }).code}`);
    }
  }
  check((await receiver.best(chequebook))!.cheque.cumulativePayout === 45n * unit, "the best cheque held should be 45");

  step(6, "the peer cashes its best cheque");
  const casher = new ChequeCasher({ signer: peerKey, store: peerStore, gasCostInToken: () => 0n, tx });
  const cashed = await casher.cashOut(chequebook);
  check(cashed.paid === 45n * unit && !cashed.bounced && cashed.stillOwed === 0n, "the peer should have been paid 45");
  log(`      paid ${fmt(cashed.paid)}, bounced ${cashed.bounced}, still owed ${fmt(cashed.stillOwed)}, gas ${cashed.gasUsed}`);

  step(7, "the issuer pays 10 more; a relayer cashes it for the peer and keeps a 1-token fee");
  const { cheque } = await issuer.issueCheque(peerKey.address, 10n * unit);
  await receiver.receive(cheque);
  const authorisation = await signCashout({ signer: peerKey, chequebook, sender: relayerKey.address, requestPayout: cheque.cumulativePayout, recipient: peerKey.address, callerPayout: unit, chainId });
  const relayer = new ChequeCasher({ signer: relayerKey, store: SqliteChequeStore.open(join(dir, "relayer.db")), gasCostInToken: () => 0n, tx });
  const relayed = await relayer.cashOutFor({ cheque, authorisation, recipient: peerKey.address, callerPayout: unit });
  check(relayed.paid === 10n * unit && relayed.callerPayout === unit, "the relayer should have cashed 10 and kept 1");

  step(8, "balances before and after");
  const after = await balances();
  check(after.peer - before.peer === 54n * unit, "the peer should have received 54 tokens");
  check(after.relayer - before.relayer === unit, "the relayer should have earned 1 token");
  check(before.chequebook - after.chequebook === 55n * unit, "the chequebook should have paid out 55 tokens");
  check((await casher.totalUncashed()).total === 0n, "nothing should be left uncashed");

  const rows: Array<[string, bigint, bigint]> = [
    ["chequebook", before.chequebook, after.chequebook],
    ["peer", before.peer, after.peer],
    ["relayer", before.relayer, after.relayer],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  log(`      ${"account".padEnd(w)} | ${"before".padStart(8)} | ${"after".padStart(8)} | ${"change".padStart(8)}`);
  log(`      ${"-".repeat(w)}-|-${"-".repeat(8)}-|-${"-".repeat(8)}-|-${"-".repeat(8)}`);
  for (const [name, b, a] of rows) {
    const change = a - b;
    log(`      ${name.padEnd(w)} | ${fmt(b).padStart(8)} | ${fmt(a).padStart(8)} | ${((change > 0n ? "+" : "") + fmt(change)).padStart(8)}`);
  }
  log("demo: every step succeeded");
  if (json) {
    const out = Object.fromEntries(rows.map(([name, b, a]) => [name, { before: b.toString(), after: a.toString() }]));
    console.log(JSON.stringify({ ok: true, chainId: chainId.toString(), chequebook, balances: out }));
  }
  await Promise.all([issuerStore.close(), peerStore.close()]);
} finally {
  await rm(dir, { recursive: true, force: true });
}
