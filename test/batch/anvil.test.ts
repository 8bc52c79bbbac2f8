/**
 * EIP-7702 batch cash-out on anvil (Prague rules or later), over JSON-RPC in its own process: delegate the
 * beneficiary's EOA, cash three chequebooks (one forged) in one transaction, and clear the delegation.
 */
import { expect } from "chai";
import { Contract, JsonRpcProvider, NonceManager, ZeroAddress } from "ethers";

import { BatchCasher, MemoryChequeStore, chequebookInterface, delegateAccount, delegationOf, signCheque } from "../../sdk/index.js";
import { startAnvil, type LocalNode } from "../../scripts/lib/local-node.js";
import { deployBooks } from "./external.js";

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
    const { token, delegate, books } = await deployBooks({ deployer, issuer: issuer.address, count: 3, funding: 50n * UNIT });
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
