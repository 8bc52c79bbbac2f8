/**
 * EIP-7702 batch cash-out on anvil (Prague rules or later), over JSON-RPC in its own process: delegate the
 * beneficiary's EOA, cash three chequebooks (one forged) in one transaction, and clear the delegation.
 */
import { expect } from "chai";
import { Contract, JsonRpcProvider, NonceManager, ZeroAddress } from "ethers";

import { BatchCasher, MemoryChequeStore, chequebookInterface, delegateAccount, delegationOf, signCheque } from "../../sdk/index.js";
import { deployArtifact, mint, startAnvil, type LocalNode } from "../../scripts/lib/local-node.js";

const UNIT = 10n ** 16n;
const TX = { pollMs: 20 };

describe("batch cash-out on anvil", function () {
  this.timeout(180_000);
  let node: LocalNode;
  before(async function () {
    node = await startAnvil();
  });
  after(async function () {
    await node?.stop();
  });

  it("delegates the beneficiary's EOA and cashes a mixed batch in one transaction", async function () {
    const provider = new JsonRpcProvider(node.url, undefined, { cacheTimeout: -1 });
    const deployer = new NonceManager(node.wallet(0, provider));
    const issuer = node.wallet(1, provider);
    const bee = node.wallet(2, provider);
    const token = await deployArtifact("TestToken", [], deployer);
    const factoryAddress = await deployArtifact("ChequebookFactory", [token], deployer);
    const delegate = await deployArtifact("CashoutDelegate", [], deployer);
    const factory = new Contract(factoryAddress, ["function deploySimpleSwap(address issuer, uint256 timeout, bytes32 salt) returns (address)"], deployer);
    const books: string[] = [];
    for (let i = 1; i <= 3; i++) {
      const salt = `0x${i.toString(16).padStart(64, "0")}`;
      const address = (await factory.getFunction("deploySimpleSwap").staticCall(issuer.address, 86_400n, salt)) as string;
      await (await factory.getFunction("deploySimpleSwap")(issuer.address, 86_400n, salt)).wait();
      await mint(token, deployer, address, 50n * UNIT);
      books.push(address);
    }
    const { chainId } = await provider.getNetwork();
    const store = new MemoryChequeStore();
    for (const [i, chequebook] of books.entries()) {
      await store.putReceived(await signCheque({ signer: i === 1 ? deployer : issuer, chequebook, beneficiary: bee.address, cumulativePayout: BigInt(i + 1) * UNIT, chainId }));
    }

    await delegateAccount({ signer: bee, delegate, tx: TX });
    expect((await delegationOf(provider, bee.address)).delegate).to.equal(delegate);
    const batch = new BatchCasher({ signer: bee, store, delegate, gasCostInToken: () => 0n, token, tx: TX });
    const reports = await batch.cashOut(books);
    expect(reports.map((r) => [r.status, r.code ?? "", r.paid])).to.deep.equal([
      ["paid", "", UNIT],
      ["skipped", "SIMULATION_FAILED", 0n],
      ["paid", "", 3n * UNIT],
    ]);
    expect(reports[0]!.txHash).to.equal(reports[2]!.txHash);
    const receipt = await provider.getTransactionReceipt(reports[0]!.txHash!);
    const callers = receipt!.logs.flatMap((l) => {
      const parsed = chequebookInterface.parseLog(l);
      return parsed?.name === "ChequeCashed" ? [parsed.args.caller as string] : [];
    });
    expect(callers).to.deep.equal([bee.address, bee.address]);
    expect(await new Contract(token, ["function balanceOf(address) view returns (uint256)"], provider).getFunction("balanceOf")(bee.address)).to.equal(4n * UNIT);

    await delegateAccount({ signer: bee, delegate: ZeroAddress, tx: TX });
    expect(await delegationOf(provider, bee.address)).to.deep.equal({ contract: false });
    expect(await batch.supported()).to.equal(false);
    provider.destroy();
  });
});
