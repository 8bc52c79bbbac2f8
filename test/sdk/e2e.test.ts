/**
 * End to end against a real JSON-RPC node in its own process: deploy, fund, issue, verify, cash, then restart the
 * SDK from its SQLite file and go on. Nothing here uses the in-process network.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";
import { JsonRpcProvider, NonceManager, type JsonRpcPayload, type JsonRpcResult } from "ethers";

import {
  ChequeCasher,
  ChequeReceiver,
  ChequeVerifier,
  ChequebookIssuer,
  SqliteChequeStore,
  decodeBeeCheque,
  encodeBeeCheque,
  erc20At,
} from "../../sdk/index.js";
import { deployArtifact, mint, startHardhatNode, type LocalNode } from "../../scripts/lib/local-node.js";

const UNIT = 10n ** 16n;
const TX = { pollMs: 50 };

/** A provider that counts the HTTP requests it makes (a batch of calls is one request). */
class CountingProvider extends JsonRpcProvider {
  requests = 0;
  methods: string[] = [];
  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    this.requests++;
    for (const p of Array.isArray(payload) ? payload : [payload]) this.methods.push(p.method);
    return super._send(payload);
  }
}

describe("SDK end to end on an external JSON-RPC node", function () {
  this.timeout(120_000);
  let node: LocalNode;
  let dir: string;

  before(async function () {
    node = await startHardhatNode();
    dir = await mkdtemp(join(tmpdir(), "cheque-e2e-"));
  });
  after(async function () {
    await node?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("deploys, issues, verifies, cashes, restarts from its SQLite file and continues", async function () {
    const provider = new CountingProvider(node.url);
    // The test's own deployments go through ethers' NonceManager; the SDK manages its nonces itself.
    const deployer = new NonceManager(node.wallet(0, provider));
    const issuerKey = node.wallet(1, provider);
    const beneficiaryKey = node.wallet(2, provider);
    const { chainId } = await provider.getNetwork();

    const token = await deployArtifact("TestToken", [], deployer);
    const factory = await deployArtifact("ChequebookFactory", [token], deployer);
    await mint(token, deployer, issuerKey.address, 150n * UNIT);

    // Issuer: deploy a chequebook through the SDK and fund it (EIP-2612 permit path).
    const issuerStore = SqliteChequeStore.open(join(dir, "issuer.db"));
    const { chequebook } = await ChequebookIssuer.deploy({ signer: issuerKey, factory, store: issuerStore, tx: TX });
    const issuer = await ChequebookIssuer.connect({ signer: issuerKey, chequebook, store: issuerStore, tx: TX });
    await issuer.deposit(100n * UNIT);
    // approve then deposit, back to back: the SDK must not reuse a nonce
    await issuer.deposit(50n * UNIT, { permit: false });
    expect((await issuer.balances()).total).to.equal(150n * UNIT);

    // Beneficiary: verify and store cheques as they arrive in Bee's JSON.
    const open = (path: string) => {
      const store = SqliteChequeStore.open(path);
      const verifier = new ChequeVerifier({ provider, chainId, beneficiary: beneficiaryKey.address, trustedFactories: [factory], token, store });
      return { store, receiver: new ChequeReceiver({ verifier, store }), casher: new ChequeCasher({ signer: beneficiaryKey, store, gasCostInToken: () => 0n, tx: TX }) };
    };
    const dbPath = join(dir, "beneficiary.db");
    let b = open(dbPath);
    for (const amount of [10n, 5n, 7n]) {
      const { cheque } = await issuer.issueCheque(beneficiaryKey.address, amount * UNIT);
      const before = provider.requests;
      const { increment } = await b.receiver.receive(decodeBeeCheque(encodeBeeCheque(cheque)));
      expect(increment).to.equal(amount * UNIT);
      // The latest block only: no block was mined since the previous cheque's cover was read, and figures at one
      // block never change (a new block costs the figures at it in one batch and a check of its hash: see
      // verify-one-block.test.ts and verify-block-cache.test.ts).
      if (amount === 7n) expect(provider.requests - before, "steady-state requests per cheque").to.equal(1);
    }
    const first = await b.casher.cashOut(chequebook);
    expect(first).to.deep.include({ paid: 22n * UNIT, bounced: false, stillOwed: 0n });

    // Restart: a new SDK on the same files, as after a process restart.
    await b.store.close();
    b = open(dbPath);
    expect((await b.receiver.best(chequebook))!.cheque.cumulativePayout).to.equal(22n * UNIT);
    const { cheque } = await issuer.issueCheque(beneficiaryKey.address, 3n * UNIT);
    const seen = provider.methods.length;
    await b.receiver.receive(cheque);
    const methods = provider.methods.slice(seen);
    // After a restart the chequebook's facts come from the store: no code or issuer lookups, only the cover read
    // (the latest block, then three eth_calls at it in one batch, plus the chequebook's immutable default decrease timeout, read once per
    // verifier in the same batch) and ethers' one-off chain-id check of the new verifier's provider use.
    expect(methods.filter((m) => m === "eth_getCode"), "no code lookups after a restart").to.deep.equal([]);
    expect(methods.filter((m) => m === "eth_call").length, "only the cover read").to.equal(4);
    expect((await b.casher.cashOut(chequebook)).paid).to.equal(3n * UNIT);
    expect((await b.casher.totalUncashed()).total).to.equal(0n);
    expect(await erc20At(token, provider).getFunction("balanceOf")(beneficiaryKey.address)).to.equal(25n * UNIT);
    expect((await b.store.listCashouts(chequebook)).map((r) => r.status)).to.deep.equal(["confirmed", "confirmed"]);

    await b.store.close();
    await issuerStore.close();
    provider.destroy();
  });
});
