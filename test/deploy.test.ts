/**
 * The deployment scripts against two real chains in their own processes, a `hardhat node` and anvil: the factory
 * lands at the same address on both (and at the one recorded for chain 31337), then a chequebook is deployed,
 * funded, pays a cheque, and the cheque is verified, stored and cashed, all over JSON-RPC.
 */
import { expect } from "chai";
import { JsonRpcProvider, NonceManager } from "ethers";
import { artifacts } from "hardhat";

import { CREATE2_PROXY, deployChequebookFactory, readDeployment } from "../deploy/lib.js";
import {
  ChequeCasher,
  ChequeReceiver,
  ChequeVerifier,
  ChequebookIssuer,
  MemoryChequeStore,
  decodeBeeCheque,
  encodeBeeCheque,
  erc20At,
} from "../sdk/index.js";
import { mint, startAnvil, startHardhatNode, type LocalNode } from "../scripts/lib/local-node.js";

const UNIT = 10n ** 16n;

for (const [name, start] of [["a hardhat node", startHardhatNode], ["anvil", startAnvil]] as const) {
  describe(`deployment to ${name}`, function () {
    this.timeout(180_000);
    let node: LocalNode;
    before(async function () {
      node = await start();
    });
    after(async function () {
      await node?.stop();
    });

    it("deploys the factory deterministically, twice idempotently, then runs an issue, verify, cash round", async function () {
      const provider = new JsonRpcProvider(node.url, undefined, { cacheTimeout: -1 });
      const deployer = new NonceManager(node.wallet(0, provider));
      const artifactSet = { factory: await artifacts.readArtifact("ChequebookFactory"), testToken: await artifacts.readArtifact("TestToken") };
      const first = await deployChequebookFactory({ signer: deployer, network: name, token: "test", artifacts: artifactSet });
      const again = await deployChequebookFactory({ signer: deployer, network: name, token: "test", artifacts: artifactSet });
      const recorded = (await readDeployment(31337n))!;
      expect(first.factory).to.equal(recorded.factory);
      expect(first.token).to.equal(recorded.token);
      expect(again.factory).to.equal(first.factory);
      expect(await provider.getCode(CREATE2_PROXY)).to.not.equal("0x");

      const issuerKey = node.wallet(1, provider);
      const peerKey = node.wallet(2, provider);
      const issuerStore = new MemoryChequeStore();
      const { chequebook } = await ChequebookIssuer.deploy({ signer: issuerKey, factory: first.factory, store: issuerStore, tx: { pollMs: 50 } });
      await mint(first.token, deployer, issuerKey.address, 20n * UNIT);
      const issuer = await ChequebookIssuer.connect({ signer: issuerKey, chequebook, store: issuerStore, tx: { pollMs: 50 } });
      await issuer.deposit(20n * UNIT);
      const { cheque } = await issuer.issueCheque(peerKey.address, 7n * UNIT);

      const { chainId } = await provider.getNetwork();
      const peerStore = new MemoryChequeStore();
      const verifier = new ChequeVerifier({ provider, chainId, beneficiary: peerKey.address, trustedFactories: [first.factory], token: first.token, store: peerStore });
      const { increment } = await new ChequeReceiver({ verifier, store: peerStore }).receive(decodeBeeCheque(encodeBeeCheque(cheque)));
      expect(increment).to.equal(7n * UNIT);
      const { paid } = await new ChequeCasher({ signer: peerKey, store: peerStore, gasCostInToken: () => 0n, tx: { pollMs: 50 } }).cashOut(chequebook);
      expect(paid).to.equal(7n * UNIT);
      expect(await erc20At(first.token, provider).getFunction("balanceOf")(peerKey.address)).to.equal(7n * UNIT);
      provider.destroy();
    });
  });
}
