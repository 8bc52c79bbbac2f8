/**
 * readBlock: the block header the issuer's and the receiver's per-block caches are named by, read with a raw
 * eth_getBlockByNumber when the provider can send one. It must agree with ethers' getBlock on a real node, and a
 * node's answer that is not a block must be refused, never read as one.
 */
import { expect } from "chai";
import type { Provider } from "ethers";

import { isChequeError } from "../../sdk/index.js";
import { readBlock } from "../../sdk/chain/blocks.js";
import { ethers, networkHelpers } from "../helpers/setup.js";

/** A provider whose `send` answers `answer` to everything, and which has no `getBlock`. */
const answering = (answer: unknown) => ({ send: async () => answer }) as unknown as Provider;

describe("readBlock", function () {
  it("reads what ethers' getBlock reads (height, hash, time), for the latest block and by height", async function () {
    await networkHelpers.mine(3);
    const latest = await readBlock(ethers.provider, "latest");
    const expected = (await ethers.provider.getBlock("latest"))!;
    expect(latest).to.deep.equal({ number: expected.number, hash: expected.hash, timestamp: expected.timestamp });
    const earlier = (await ethers.provider.getBlock(expected.number - 1))!;
    expect(await readBlock(ethers.provider, expected.number - 1)).to.deep.equal({ number: earlier.number, hash: earlier.hash, timestamp: earlier.timestamp });
    expect(await readBlock(ethers.provider, expected.number + 1000)).to.equal(null);
  });

  it("asks getBlock when the provider cannot send a raw request", async function () {
    const block = { number: 7, hash: `0x${"ab".repeat(32)}`, timestamp: 1_700_000_000 };
    const provider = { getBlock: async (tag: unknown) => (tag === "latest" ? block : null) } as unknown as Provider;
    expect(await readBlock(provider, "latest")).to.deep.equal(block);
    expect(await readBlock(provider, 3)).to.equal(null);
  });

  it("refuses an answer that is not a block (RPC_ERROR), and reads a pending block's missing hash as null", async function () {
    const good = { number: "0x10", hash: `0x${"cd".repeat(32)}`, timestamp: "0x5" };
    for (const bad of [{ ...good, number: 16 }, { ...good, number: "0x" }, { ...good, hash: "0x1234" }, { ...good, timestamp: undefined }, "0x10", {}]) {
      let code = "none";
      try {
        await readBlock(answering(bad), "latest");
      } catch (e) {
        code = isChequeError(e) ? e.code : String(e);
      }
      expect(code, JSON.stringify(bad)).to.equal("RPC_ERROR");
    }
    expect(await readBlock(answering({ ...good, hash: null }), "latest")).to.deep.equal({ number: 16, hash: null, timestamp: 5 });
    expect(await readBlock(answering(good), 16)).to.deep.equal({ number: 16, hash: `0x${"cd".repeat(32)}`, timestamp: 5 });
  });
});
