import { expect } from "chai";
import { AbiCoder, SigningKey, Wallet, concat, getBytes, id, keccak256 } from "ethers";

import {
  ChequeError,
  getCashoutTypedData,
  getChequeTypedData,
  hashBeneficiaryCashout,
  hashCashout,
  hashCheque,
  hashCustomDecreaseTimeout,
  isChequeError,
  recoverCashoutSigner,
  recoverChequeSigner,
  recoverCustomDecreaseTimeoutSigner,
  signBeneficiaryCashout,
  signCashout,
  signCheque,
  signCustomDecreaseTimeout,
  validateCheque,
} from "../../sdk/index.js";

const KEY = "0x" + "11".repeat(32);
const wallet = new Wallet(KEY);
const CHEQUEBOOK = "0x" + "ab".repeat(20);
const BENEFICIARY = "0x" + "cd".repeat(20);
const coder = AbiCoder.defaultAbiCoder();

/** The EIP-712 digest computed by hand, independently of ethers' TypedDataEncoder. */
function manualChequeDigest(chequebook: string, beneficiary: string, amount: bigint, chainId: bigint): string {
  const domain = keccak256(coder.encode(["bytes32", "bytes32", "bytes32", "uint256"], [
    id("EIP712Domain(string name,string version,uint256 chainId)"), id("Chequebook"), id("1.0"), chainId,
  ]));
  const struct = keccak256(coder.encode(["bytes32", "address", "address", "uint256"], [
    id("Cheque(address chequebook,address beneficiary,uint256 cumulativePayout)"), chequebook, beneficiary, amount,
  ]));
  return keccak256(concat(["0x1901", domain, struct]));
}

function expectCode(fn: () => unknown, code: string) {
  try {
    fn();
  } catch (e) {
    expect(isChequeError(e), String(e)).to.equal(true);
    expect((e as ChequeError).code).to.equal(code);
    return e as ChequeError;
  }
  throw new Error(`expected a ChequeError ${code}`);
}

describe("SDK cheques", function () {
  it("builds typed data without an EIP712Domain entry, ready for signTypedData", function () {
    const td = getChequeTypedData({ chequebook: CHEQUEBOOK, beneficiary: BENEFICIARY, cumulativePayout: 5n, chainId: 100 });
    expect(td.primaryType).to.equal("Cheque");
    expect(Object.keys(td.types)).to.deep.equal(["Cheque"]);
    expect(td.domain).to.deep.equal({ name: "Chequebook", version: "1.0", chainId: 100n });
    expect(td.message).to.deep.equal({ chequebook: CHEQUEBOOK, beneficiary: BENEFICIARY, cumulativePayout: 5n });
    expect(Object.keys(getCashoutTypedData({ chequebook: CHEQUEBOOK, sender: BENEFICIARY, requestPayout: 1n, recipient: BENEFICIARY, callerPayout: 0n, chainId: 1 }).types)).to.deep.equal(["Cashout"]);
  });

  it("hashes a cheque to the hand-computed EIP-712 digest", function () {
    for (const [amount, chainId] of [[1n, 1n], [2n ** 200n, 100n], [123_456_789n, 11155111n]] as const) {
      expect(hashCheque({ chequebook: CHEQUEBOOK, beneficiary: BENEFICIARY, cumulativePayout: amount, chainId })).to.equal(
        manualChequeDigest(CHEQUEBOOK, BENEFICIARY, amount, chainId),
      );
    }
  });

  it("signs exactly as a raw secp256k1 signature of the digest (deterministic RFC 6979, low s, v 27/28), as Bee does", async function () {
    const amount = 10n ** 22n + 7n;
    const cheque = await signCheque({ signer: wallet, chequebook: CHEQUEBOOK, beneficiary: BENEFICIARY, cumulativePayout: amount, chainId: 100n });
    const raw = new SigningKey(KEY).sign(manualChequeDigest(CHEQUEBOOK, BENEFICIARY, amount, 100n));
    expect(cheque.signature).to.equal(raw.serialized.toLowerCase());
    expect(getBytes(cheque.signature).length).to.equal(65);
    expect([27, 28]).to.include(getBytes(cheque.signature)[64]);
    // deterministic: signing again gives the same bytes
    const again = await signCheque({ signer: wallet, chequebook: CHEQUEBOOK, beneficiary: BENEFICIARY, cumulativePayout: amount, chainId: 100n });
    expect(again.signature).to.equal(cheque.signature);
  });

  it("signs the same bytes as a plain Wallet.signTypedData, and recovers the signer", async function () {
    const td = getChequeTypedData({ chequebook: CHEQUEBOOK, beneficiary: BENEFICIARY, cumulativePayout: 99n, chainId: 5n });
    const plain = await wallet.signTypedData(td.domain, td.types, td.message);
    const cheque = await signCheque({ signer: wallet, chequebook: CHEQUEBOOK, beneficiary: BENEFICIARY, cumulativePayout: 99n, chainId: 5n });
    expect(cheque.signature).to.equal(plain.toLowerCase());
    expect(recoverChequeSigner({ cheque, chainId: 5n })).to.equal(wallet.address);
    expect(recoverChequeSigner({ cheque, chainId: 6n })).to.not.equal(wallet.address);
  });

  it("normalises addresses to checksummed form", async function () {
    const cheque = await signCheque({ signer: wallet, chequebook: CHEQUEBOOK.toLowerCase(), beneficiary: BENEFICIARY, cumulativePayout: 1n, chainId: 1n });
    expect(cheque.chequebook).to.equal("0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB");
  });

  it("signs and recovers Cashout and CustomDecreaseTimeout authorisations", async function () {
    const cashout = { chequebook: CHEQUEBOOK, sender: BENEFICIARY, requestPayout: 10n, recipient: BENEFICIARY, callerPayout: 1n, chainId: 100n };
    const sig = await signCashout({ ...cashout, signer: wallet });
    expect(recoverCashoutSigner({ ...cashout, signature: sig })).to.equal(wallet.address);
    expect(recoverCashoutSigner({ ...cashout, callerPayout: 2n, signature: sig })).to.not.equal(wallet.address);
    expect(hashCashout(cashout)).to.match(/^0x[0-9a-f]{64}$/);
    const timeout = { chequebook: CHEQUEBOOK, beneficiary: BENEFICIARY, decreaseTimeout: 3600n, chainId: 100n };
    const tsig = await signCustomDecreaseTimeout({ ...timeout, signer: wallet });
    expect(recoverCustomDecreaseTimeoutSigner({ ...timeout, signature: tsig })).to.equal(wallet.address);
    expect(hashCustomDecreaseTimeout(timeout)).to.not.equal(hashCustomDecreaseTimeout({ ...timeout, decreaseTimeout: 3601n }));
  });

  it("signs a contract beneficiary's BeneficiaryCashout: it names the beneficiary, so one approval serves one identity", async function () {
    const cashout = { chequebook: CHEQUEBOOK, beneficiary: BENEFICIARY, sender: BENEFICIARY, requestPayout: 10n, recipient: BENEFICIARY, callerPayout: 1n, chainId: 100n };
    const sig = await signBeneficiaryCashout({ ...cashout, signer: wallet });
    const digest = hashBeneficiaryCashout(cashout);
    expect(SigningKey.recoverPublicKey(digest, sig)).to.equal(wallet.signingKey.publicKey);
    expect(digest).to.not.equal(hashBeneficiaryCashout({ ...cashout, beneficiary: CHEQUEBOOK }));
    expect(digest).to.not.equal(hashCashout(cashout));
    // The struct hash from the type string, by hand: the contract's BENEFICIARY_CASHOUT_TYPEHASH.
    const typehash = id("BeneficiaryCashout(address chequebook,address beneficiary,address sender,uint256 requestPayout,address recipient,uint256 callerPayout)");
    const struct = keccak256(coder.encode(["bytes32", "address", "address", "address", "uint256", "address", "uint256"], [typehash, CHEQUEBOOK, BENEFICIARY, BENEFICIARY, 10n, BENEFICIARY, 1n]));
    const domain = keccak256(coder.encode(["bytes32", "bytes32", "bytes32", "uint256"], [id("EIP712Domain(string name,string version,uint256 chainId)"), id("Chequebook"), id("1.0"), 100n]));
    expect(digest).to.equal(keccak256(concat(["0x1901", domain, struct])));
  });

  describe("validation", function () {
    const good = { chequebook: CHEQUEBOOK, beneficiary: BENEFICIARY, cumulativePayout: 1n, signature: "" };
    before(async function () {
      good.signature = (await signCheque({ signer: wallet, chequebook: CHEQUEBOOK, beneficiary: BENEFICIARY, cumulativePayout: 1n, chainId: 1n })).signature;
    });

    it("accepts a well-formed cheque and decimal-string amounts", function () {
      expect(validateCheque({ ...good, cumulativePayout: "1" }).cumulativePayout).to.equal(1n);
    });

    const bad: Array<[string, (g: typeof good) => unknown]> = [
      ["a non-object", () => "cheque"],
      ["null", () => null],
      ["a short chequebook address", (g) => ({ ...g, chequebook: "0x1234" })],
      ["a beneficiary with a bad checksum", (g) => ({ ...g, beneficiary: "0xABaBaBaBABabABabAbAbABAbABabababaBaBABaC" })],
      ["a negative amount", (g) => ({ ...g, cumulativePayout: -1n })],
      ["an amount beyond uint256", (g) => ({ ...g, cumulativePayout: 2n ** 256n })],
      ["a fractional amount", (g) => ({ ...g, cumulativePayout: 1.5 })],
      ["a 64-byte signature", (g) => ({ ...g, signature: g.signature.slice(0, -2) })],
      ["a signature with v = 0", (g) => ({ ...g, signature: g.signature.slice(0, -2) + "00" })],
      ["a high-s signature", (g) => ({ ...g, signature: g.signature.slice(0, 66) + "f".repeat(64) + "1b" })],
      ["a non-hex signature", (g) => ({ ...g, signature: "0x" + "zz".repeat(65) })],
    ];
    for (const [what, make] of bad) {
      it(`refuses ${what} with MALFORMED_CHEQUE`, function () {
        expectCode(() => validateCheque(make(good)), "MALFORMED_CHEQUE");
      });
    }

    it("refuses malformed arguments to signCheque with INVALID_ARGUMENT before signing", async function () {
      try {
        await signCheque({ signer: wallet, chequebook: "nope", beneficiary: BENEFICIARY, cumulativePayout: 1n, chainId: 1n });
        expect.fail("should throw");
      } catch (e) {
        expect(isChequeError(e, "INVALID_ARGUMENT")).to.equal(true);
        expect((e as ChequeError).details.field).to.equal("chequebook");
      }
    });
  });
});
