/** The EIP-3009 mock behind the `exact` baseline: it must refuse what USDC refuses, or the baseline would be cheaper than real. */
import { expect } from "chai";
import { Signature, hexlify, randomBytes } from "ethers";

import { ethers, networkHelpers } from "../helpers/setup.js";

const TYPES = {
  TransferWithAuthorization: [
    { name: "from", type: "address" },
    { name: "to", type: "address" },
    { name: "value", type: "uint256" },
    { name: "validAfter", type: "uint256" },
    { name: "validBefore", type: "uint256" },
    { name: "nonce", type: "bytes32" },
  ],
};

async function tokenFixture() {
  const [relayer, from, to, other] = await ethers.getSigners();
  const token = await ethers.deployContract("Eip3009Token");
  await (await token.mint(from!.address, 1_000n)).wait();
  const { chainId } = await ethers.provider.getNetwork();
  const domain = { name: "Test USD", version: "1", chainId, verifyingContract: await token.getAddress() };
  return { relayer: relayer!, from: from!, to: to!, other: other!, token, domain };
}

describe("Eip3009Token (mock for the x402 exact baseline)", function () {
  async function authorization(f: Awaited<ReturnType<typeof tokenFixture>>, overrides: Partial<{ validAfter: bigint; validBefore: bigint; value: bigint }> = {}, signer = f.from) {
    const now = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
    const message = { from: f.from.address, to: f.to.address, value: 100n, validAfter: now - 600n, validBefore: now + 600n, nonce: hexlify(randomBytes(32)), ...overrides };
    const signature = await signer.signTypedData(f.domain, TYPES, message);
    return { message, signature };
  }
  const args = (m: { from: string; to: string; value: bigint; validAfter: bigint; validBefore: bigint; nonce: string }) => [m.from, m.to, m.value, m.validAfter, m.validBefore, m.nonce] as const;

  it("transfers with the payer's signature, by (v, r, s) or bytes, once per nonce", async function () {
    const f = await networkHelpers.loadFixture(tokenFixture);
    const a = await authorization(f);
    const { v, r, s } = Signature.from(a.signature);
    await expect(f.token.connect(f.relayer)["transferWithAuthorization(address,address,uint256,uint256,uint256,bytes32,uint8,bytes32,bytes32)"](...args(a.message), v, r, s))
      .to.emit(f.token, "AuthorizationUsed").withArgs(f.from.address, a.message.nonce);
    expect(await f.token.balanceOf(f.to.address)).to.equal(100n);
    expect(await f.token.authorizationState(f.from.address, a.message.nonce)).to.equal(true);
    await expect(f.token["transferWithAuthorization(address,address,uint256,uint256,uint256,bytes32,bytes)"](...args(a.message), a.signature))
      .to.be.revertedWithCustomError(f.token, "Eip3009AuthorizationUsed").withArgs(f.from.address, a.message.nonce);
    const b = await authorization(f);
    await f.token["transferWithAuthorization(address,address,uint256,uint256,uint256,bytes32,bytes)"](...args(b.message), b.signature);
    expect(await f.token.balanceOf(f.to.address)).to.equal(200n);
  });

  it("refuses another signer, a tampered value, an expired or a not yet valid authorization", async function () {
    const f = await networkHelpers.loadFixture(tokenFixture);
    const send = (m: Parameters<typeof args>[0], signature: string) => f.token["transferWithAuthorization(address,address,uint256,uint256,uint256,bytes32,bytes)"](...args(m), signature);
    const forged = await authorization(f, {}, f.other);
    await expect(send(forged.message, forged.signature)).to.be.revertedWithCustomError(f.token, "Eip3009InvalidSignature").withArgs(f.from.address);
    const a = await authorization(f);
    await expect(send({ ...a.message, value: 101n }, a.signature)).to.be.revertedWithCustomError(f.token, "Eip3009InvalidSignature");
    const now = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
    const expired = await authorization(f, { validBefore: now - 1n });
    await expect(send(expired.message, expired.signature)).to.be.revertedWithCustomError(f.token, "Eip3009AuthorizationExpired");
    const early = await authorization(f, { validAfter: now + 3600n });
    await expect(send(early.message, early.signature)).to.be.revertedWithCustomError(f.token, "Eip3009AuthorizationNotYetValid");
    expect(await f.token.balanceOf(f.to.address)).to.equal(0n);
  });
});
