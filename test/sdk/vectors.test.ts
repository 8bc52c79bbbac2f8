/** The shared cheque vectors (also checked by test/solidity/Vectors.t.sol) hold for the SDK, on both crypto paths. */
import { readFileSync } from "node:fs";

import { expect } from "chai";
import { Wallet } from "ethers";

import {
  bytesToHex,
  cryptoBackend,
  decodeBeeCheque,
  domainSeparatorBytes,
  encodeBeeCheque,
  hashCheque,
  nativeAvailable,
  recoverChequeSigner,
  setCryptoBackend,
  signCheque,
} from "../../sdk/index.js";

interface Vector {
  privateKey: string;
  signer: string;
  chainId: string;
  chequebook: string;
  beneficiary: string;
  cumulativePayout: string;
  domainSeparator: string;
  digest: string;
  signature: string;
}

const { vectors } = JSON.parse(readFileSync("test/vectors/cheques.json", "utf8")) as { vectors: Vector[] };

describe("SDK against the shared cheque vectors", function () {
  const initial = cryptoBackend();
  after(() => setCryptoBackend(initial));

  for (const backend of nativeAvailable() ? (["native", "js"] as const) : (["js"] as const)) {
    it(`reproduces every vector on the ${backend} path`, async function () {
      setCryptoBackend(backend);
      expect(vectors.length).to.equal(4);
      for (const v of vectors) {
        const fields = { chequebook: v.chequebook, beneficiary: v.beneficiary, cumulativePayout: BigInt(v.cumulativePayout), chainId: BigInt(v.chainId) };
        expect(bytesToHex(domainSeparatorBytes(BigInt(v.chainId)))).to.equal(v.domainSeparator);
        expect(hashCheque(fields)).to.equal(v.digest);
        const cheque = await signCheque({ signer: new Wallet(v.privateKey), ...fields });
        expect(cheque.signature).to.equal(v.signature);
        expect(recoverChequeSigner({ cheque, chainId: BigInt(v.chainId) })).to.equal(v.signer);
        expect(decodeBeeCheque(encodeBeeCheque(cheque))).to.deep.equal(cheque);
      }
    });
  }
});
