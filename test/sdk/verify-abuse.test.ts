/**
 * Issue 9, points 6 and 7: the token is always checked, and a bad cheque costs the sender more than it costs us:
 * cheap local checks first, a gas cap on ERC-1271 calls, and refusals of unknown chequebooks remembered.
 */
import { expect } from "chai";
import { Wallet } from "ethers";

import { ChequeVerifier, MemoryChequeStore, signCheque, type ChequeStore } from "../../sdk/index.js";
import { deployChequebook } from "../helpers/fixtures.js";
import { ethers, networkHelpers } from "../helpers/setup.js";
import { UNIT, countCalls, rejection, sdkFixture, verifierFor, type SdkFixture } from "./helpers.js";

function chequeFor(f: SdkFixture, chequebook: string, cumulativePayout: bigint, signer = f.issuer) {
  return signCheque({ signer, chequebook, beneficiary: f.beneficiary.address, cumulativePayout, chainId: f.chainId });
}

describe("SDK verification under abuse", function () {
  let store: ChequeStore;
  beforeEach(function () {
    store = new MemoryChequeStore();
  });

  describe("the token (point 6)", function () {
    it("cannot be left out: a verifier without the accepted token is refused at construction", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      const options = { provider: ethers.provider, chainId: f.chainId, beneficiary: f.beneficiary.address, trustedFactories: [f.factoryAddress], store };
      expect(() => new ChequeVerifier(options as never)).to.throw().with.property("code", "INVALID_ARGUMENT");
    });

    it("a second trusted factory paying in a hostile token is refused with WRONG_TOKEN, and the refusal is remembered", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      // A token anyone mints at will and whose transfers fail: the chequebook looks rich and pays nothing.
      const junk = await ethers.deployContract("ReturnsFalseToken");
      await junk.setFailAll(true);
      const junkFactory = await ethers.deployContract("ChequebookFactory", [await junk.getAddress()]);
      const book = await deployChequebook(junkFactory as never, f.issuer, f.issuer.address);
      await junk.mint(await book.getAddress(), 10n ** 30n);
      const verifier = verifierFor(f, store, { trustedFactories: [f.factoryAddress, await junkFactory.getAddress()] });
      const c = await chequeFor(f, await book.getAddress(), 1000n * UNIT);
      expect((await rejection(() => verifier.verify(c))).code).to.equal("WRONG_TOKEN");
      const again = await countCalls(async () => expect((await rejection(() => verifier.verify(c))).code).to.equal("WRONG_TOKEN"));
      expect(again).to.deep.include({ call: 0, getCode: 0 });
    });
  });

  describe("minimum increment (point 7)", function () {
    it("refuses a cheque adding less than minIncrement with INCREMENT_TOO_SMALL before any RPC call", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      const verifier = verifierFor(f, store, { limits: { minIncrement: 100n } });
      await verifier.verify(await chequeFor(f, f.address, 100n));
      const tiny = await chequeFor(f, f.address, 101n);
      const counts = await countCalls(async () => {
        const e = await rejection(() => verifier.verify(tiny, { previous: 100n }));
        expect(e.code).to.equal("INCREMENT_TOO_SMALL");
        expect(e.details).to.deep.include({ increment: 1n, minIncrement: 100n });
      });
      expect(counts).to.deep.include({ call: 0, getCode: 0 });
      // Even from a chequebook never seen: the local checks come first.
      const unknown = await chequeFor(f, Wallet.createRandom().address, 1n);
      const fresh = await countCalls(async () => expect((await rejection(() => verifier.verify(unknown))).code).to.equal("INCREMENT_TOO_SMALL"));
      expect(fresh).to.deep.include({ call: 0, getCode: 0 });
    });
  });

  describe("unknown chequebooks are remembered (point 7)", function () {
    it("looks an unknown chequebook up once, then refuses from memory until the entry expires", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      let now = 1_000_000;
      const verifier = verifierFor(f, store, { limits: { unknownChequebooks: { ttlMs: 60_000 } }, now: () => now });
      const c = await chequeFor(f, f.other.address, 1n);
      const first = await countCalls(async () => expect((await rejection(() => verifier.verify(c))).code).to.equal("UNKNOWN_CHEQUEBOOK"));
      expect(first.getCode).to.equal(1);
      const second = await countCalls(async () => {
        const e = await rejection(() => verifier.verify(c));
        expect(e.code).to.equal("UNKNOWN_CHEQUEBOOK");
        expect(e.details.cached).to.equal(true);
      });
      expect(second).to.deep.include({ call: 0, getCode: 0 });
      now += 60_001;
      const later = await countCalls(() => rejection(() => verifier.verify(c)));
      expect(later.getCode).to.equal(1);
    });

    it("keeps at most maxEntries refusals, forgetting the oldest", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      const verifier = verifierFor(f, store, { limits: { unknownChequebooks: { maxEntries: 2 } } });
      const books = [Wallet.createRandom().address, Wallet.createRandom().address, Wallet.createRandom().address];
      for (const b of books) await rejection(async () => verifier.verify(await chequeFor(f, b, 1n)));
      const newest = await countCalls(async () => rejection(async () => verifier.verify(await chequeFor(f, books[2]!, 1n))));
      expect(newest.getCode).to.equal(0);
      const oldest = await countCalls(async () => rejection(async () => verifier.verify(await chequeFor(f, books[0]!, 1n))));
      expect(oldest.getCode).to.equal(1);
    });
  });

  describe("hostile ERC-1271 issuers (point 7)", function () {
    async function hostileFixture() {
      const f = await sdkFixture();
      const wallet = await ethers.deployContract("MaliciousERC1271Wallet");
      const book = await deployChequebook(f.factory, f.deployer, await wallet.getAddress());
      await f.token.mint(await book.getAddress(), 100n * UNIT);
      return { ...f, wallet, hostileAddress: await book.getAddress() };
    }

    it("caps the gas of isValidSignature: a gas-burning wallet's forged cheque is refused (INVALID_SIGNATURE), its eth_call capped", async function () {
      const f = await networkHelpers.loadFixture(hostileFixture);
      await f.wallet.setMode(3); // BurnsGas
      const verifier = verifierFor(f, store, { limits: { erc1271GasLimit: 50_000n } });
      await verifier.chequebookInfo(f.hostileAddress);
      const forged = await chequeFor(f, f.hostileAddress, 1n, f.other);
      const counts = await countCalls(async () => {
        const e = await rejection(() => verifier.verify(forged));
        expect(e.code).to.equal("INVALID_SIGNATURE");
        expect(e.details.reason).to.equal("erc1271-failed");
      });
      expect(counts.call).to.equal(1);
      expect(counts.gas).to.deep.equal([50_000n]);
    });

    it("uses a default gas cap when none is configured", async function () {
      const f = await networkHelpers.loadFixture(hostileFixture);
      await f.wallet.setMode(3);
      const verifier = verifierFor(f, store);
      await verifier.chequebookInfo(f.hostileAddress);
      const forged = await chequeFor(f, f.hostileAddress, 1n, f.other);
      const counts = await countCalls(async () => expect((await rejection(() => verifier.verify(forged))).code).to.equal("INVALID_SIGNATURE"));
      expect(counts.gas).to.deep.equal([300_000n]);
    });

    for (const [mode, name] of [[0, "a wrong magic value"], [1, "a revert"], [2, "a short return"]] as const) {
      it(`refuses ${name} from the wallet as INVALID_SIGNATURE, not as an outage`, async function () {
        const f = await networkHelpers.loadFixture(hostileFixture);
        await f.wallet.setMode(mode);
        const e = await rejection(async () => verifierFor(f, store).verify(await chequeFor(f, f.hostileAddress, 1n, f.other)));
        expect(e.code).to.equal("INVALID_SIGNATURE");
      });
    }
  });
});
