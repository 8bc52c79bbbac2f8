/**
 * The recovery of a cash-out whose process died before its transaction was remembered looks for it in the logs of
 * the last `recoveryLookbackBlocks` blocks. Nodes cap the block range of one log query (often at 500 to 10,000
 * blocks): the look-back must be read in pages such a node answers, or every later cash-out fails behind the
 * recovery.
 */
import { expect } from "chai";
import { HDNodeWallet, Mnemonic, type Provider } from "ethers";

import { ChequeCasher, MemoryChequeStore, signCheque } from "../../sdk/index.js";
import { ethers, networkHelpers } from "../helpers/setup.js";
import { UNIT, sdkFixture, withGetLogs } from "./helpers.js";

const MAX_RANGE = 300;

/** The chain's node, refusing log queries over more than MAX_RANGE blocks as public nodes do. */
const rangeCapped = (): Provider =>
  withGetLogs((getLogs) => async (filter) => {
    const head = await ethers.provider.getBlockNumber();
    const span = Number(filter.toBlock ?? head) - Number(filter.fromBlock ?? 0) + 1;
    if (span > MAX_RANGE) throw Object.assign(new Error(`query exceeds max block range ${MAX_RANGE}`), { code: -32600 });
    return getLogs(filter);
  });

describe("SDK cash-out: recovery against a node capping log ranges", function () {
  it("settles a cash-out left pending without its transaction and cashes again, with the default look-back", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const store = new MemoryChequeStore();
    const cheque = await signCheque({ signer: f.issuer, chequebook: f.address, beneficiary: f.beneficiary.address, cumulativePayout: 40n * UNIT, chainId: f.chainId });
    await store.putReceived(cheque);
    // A process died between recording the cash-out as pending and remembering its transaction (it never left).
    await store.putCashout({ id: `${f.address}:${f.beneficiary.address}:${40n * UNIT}:1`, chequebook: f.address, beneficiary: f.beneficiary.address, cumulativePayout: 40n * UNIT, status: "pending", updatedAt: 1 });
    await networkHelpers.mine(12_000); // a chain with some history
    const wallet = HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase("test test test test test test test test test test test junk"), "m/44'/60'/0'/0/2").connect(rangeCapped());
    expect(wallet.address).to.equal(f.beneficiary.address);
    const casher = new ChequeCasher({ signer: wallet, store, gasCostInToken: () => 0n, tx: { pollMs: 10, droppedAfterMs: 150 } });
    const result = await casher.cashOut(f.address);
    expect(result.paid).to.equal(40n * UNIT);
    expect((await store.listCashouts(f.address)).map((r) => r.status).sort()).to.deep.equal(["confirmed", "dropped"]);
  });
});
