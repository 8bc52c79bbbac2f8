/**
 * The fast path (native libsecp256k1) and the pure-JS path (@noble/curves) must give the same bytes as each other
 * and as ethers, for the digest, the signature and the recovered signer, including on the hand-built vectors.
 */
import { expect } from "chai";
import { SigningKey, TypedDataEncoder, Wallet, verifyTypedData } from "ethers";

import {
  bytesToHex,
  chequeDigestBytes,
  cryptoBackend,
  getChequeTypedData,
  hexToBytes,
  nativeAvailable,
  recoverAddressLower,
  recoverChequeSigner,
  setCryptoBackend,
  signCheque,
  signDigest,
} from "../../sdk/index.js";

function randomCheque() {
  const hex = (n: number) => "0x" + Buffer.from(crypto.getRandomValues(new Uint8Array(n))).toString("hex");
  return { chequebook: hex(20), beneficiary: hex(20), cumulativePayout: BigInt(hex(1 + Math.floor(Math.random() * 31))), chainId: BigInt(1 + Math.floor(Math.random() * 1e9)) };
}

describe("SDK fast path", function () {
  const initial = cryptoBackend();
  after(function () {
    setCryptoBackend(initial);
  });

  it("loads the native binding on the platforms its package ships binaries for", function () {
    const shipped = ["linux-x64", "darwin-arm64", "win32-x64"].includes(`${process.platform}-${process.arch}`);
    if (shipped) {
      expect(nativeAvailable()).to.equal(true);
      expect(initial).to.equal("native");
    } else {
      expect(() => setCryptoBackend("native")).to.throw(/not available/);
    }
  });

  it("computes the same digest as ethers' TypedDataEncoder", function () {
    for (let i = 0; i < 200; i++) {
      const c = randomCheque();
      const { domain, types, message } = getChequeTypedData(c);
      expect(bytesToHex(chequeDigestBytes(c.chequebook, c.beneficiary, c.cumulativePayout, c.chainId))).to.equal(TypedDataEncoder.hash(domain, types, message));
    }
  });

  for (const backend of ["native", "js"] as const) {
    it(`signs and recovers byte for byte like ethers on the ${backend} path`, async function () {
      if (backend === "native" && !nativeAvailable()) {
        expect(() => setCryptoBackend("native")).to.throw();
        return;
      }
      setCryptoBackend(backend);
      for (let i = 0; i < 100; i++) {
        const wallet = Wallet.createRandom();
        const c = randomCheque();
        const { domain, types, message } = getChequeTypedData(c);
        const expected = (await wallet.signTypedData(domain, types, message)).toLowerCase();
        const digest = chequeDigestBytes(c.chequebook, c.beneficiary, c.cumulativePayout, c.chainId);
        expect(bytesToHex(signDigest(hexToBytes(wallet.privateKey), digest))).to.equal(expected);
        expect(recoverAddressLower(digest, hexToBytes(expected))).to.equal(wallet.address.toLowerCase());
        const cheque = await signCheque({ signer: wallet, ...c });
        expect(cheque.signature).to.equal(expected);
        expect(recoverChequeSigner({ cheque, chainId: c.chainId })).to.equal(verifyTypedData(domain, types, message, expected));
      }
    });
  }

  it("gives the same signatures on both paths for the same key and cheque, and the raw-key signature of the vectors", function () {
    if (!nativeAvailable()) return expect(cryptoBackend()).to.equal("js");
    for (let i = 0; i < 100; i++) {
      const wallet = Wallet.createRandom();
      const c = randomCheque();
      const digest = chequeDigestBytes(c.chequebook, c.beneficiary, c.cumulativePayout, c.chainId);
      setCryptoBackend("native");
      const a = bytesToHex(signDigest(hexToBytes(wallet.privateKey), digest));
      setCryptoBackend("js");
      const b = bytesToHex(signDigest(hexToBytes(wallet.privateKey), digest));
      expect(a).to.equal(b);
      expect(a).to.equal(new SigningKey(wallet.privateKey).sign(digest).serialized.toLowerCase());
    }
  });

  it("recovers nothing from a signature with a bad v, and a different signer from a tampered one", function () {
    for (const backend of nativeAvailable() ? (["native", "js"] as const) : (["js"] as const)) {
      setCryptoBackend(backend);
      const wallet = Wallet.createRandom();
      const c = randomCheque();
      const digest = chequeDigestBytes(c.chequebook, c.beneficiary, c.cumulativePayout, c.chainId);
      const sig = signDigest(hexToBytes(wallet.privateKey), digest);
      const badV = sig.slice();
      badV[64] = 29;
      expect(recoverAddressLower(digest, badV)).to.equal(undefined);
      const tampered = sig.slice();
      tampered[10] = tampered[10]! ^ 1;
      expect(recoverAddressLower(digest, tampered)).to.not.equal(wallet.address.toLowerCase());
    }
  });
});
