import { expect } from "chai";
import { Wallet, decodeBase64, hexlify } from "ethers";

import {
  CHEQUE_BINARY_LENGTH,
  chequeFromJson,
  chequeToJson,
  decodeBeeCheque,
  decodeCheque,
  encodeBeeCheque,
  encodeCheque,
  isChequeError,
  signCheque,
  type SignedCheque,
} from "../../sdk/index.js";

const wallet = new Wallet("0x" + "22".repeat(32));
const BIG = 2n ** 70n + 12_345n; // far beyond 2^53

function expectWireError(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    expect(isChequeError(e, "MALFORMED_WIRE"), String(e)).to.equal(true);
    return;
  }
  throw new Error("expected MALFORMED_WIRE");
}

describe("SDK wire formats", function () {
  let cheque: SignedCheque;
  before(async function () {
    cheque = await signCheque({ signer: wallet, chequebook: "0x" + "ab".repeat(20), beneficiary: "0x" + "cd".repeat(20), cumulativePayout: BIG, chainId: 100n });
  });

  describe("Bee JSON", function () {
    it("encodes lowercase addresses, a bare integer and padded base64, in Bee's field order", function () {
      const text = encodeBeeCheque(cheque);
      expect(text).to.equal(
        `{"Chequebook":"0x${"ab".repeat(20)}","Beneficiary":"0x${"cd".repeat(20)}","CumulativePayout":${BIG},"Signature":"${Buffer.from(cheque.signature.slice(2), "hex").toString("base64")}"}`,
      );
      const sig = JSON.parse(text).Signature as string;
      expect(sig.endsWith("=")).to.equal(true); // 65 bytes: padded
      expect(hexlify(decodeBase64(sig))).to.equal(cheque.signature);
    });

    it("decodes amounts beyond 2^53 exactly, where JSON.parse loses them", function () {
      const text = encodeBeeCheque(cheque);
      expect(BigInt(JSON.parse(text).CumulativePayout)).to.not.equal(BIG);
      expect(decodeBeeCheque(text)).to.deep.equal(cheque);
    });

    it("accepts whitespace and any key order", function () {
      const o = JSON.parse(encodeBeeCheque(cheque));
      const text = `{ "Signature": "${o.Signature}",\n "CumulativePayout": ${BIG}, "Beneficiary": "${o.Beneficiary}", "Chequebook": "${o.Chequebook}" }`;
      expect(decodeBeeCheque(text)).to.deep.equal(cheque);
    });

    const bad: Array<[string, (text: string) => string]> = [
      ["non-JSON", () => "{not json"],
      ["an array", () => "[]"],
      ["a missing Signature", (t) => t.replace(/,"Signature":"[^"]*"/, "")],
      ["a string amount", (t) => t.replace(/"CumulativePayout":\d+/, `"CumulativePayout":"${BIG}"`)],
      ["a fractional amount", (t) => t.replace(/"CumulativePayout":\d+/, '"CumulativePayout":1.5')],
      ["an exponent amount", (t) => t.replace(/"CumulativePayout":\d+/, '"CumulativePayout":1e30')],
      ["a negative amount", (t) => t.replace(/"CumulativePayout":\d+/, '"CumulativePayout":-5')],
      ["a signature of 64 bytes", (t) => t.replace(/"Signature":"[^"]*"/, `"Signature":"${Buffer.alloc(64, 1).toString("base64")}"`)],
      ["a signature that is not base64", (t) => t.replace(/"Signature":"[^"]*"/, '"Signature":"***"')],
      ["a bad address", (t) => t.replace(/"Chequebook":"[^"]*"/, '"Chequebook":"0x12"')],
    ];
    for (const [what, mutate] of bad) {
      it(`refuses ${what} with MALFORMED_WIRE`, function () {
        expectWireError(() => decodeBeeCheque(mutate(encodeBeeCheque(cheque))));
      });
    }
  });

  describe("our JSON and binary forms", function () {
    it("round-trip a cheque", function () {
      expect(chequeFromJson(chequeToJson(cheque))).to.deep.equal(cheque);
      expect(chequeFromJson(JSON.stringify(chequeToJson(cheque)))).to.deep.equal(cheque);
      const bytes = encodeCheque(cheque);
      expect(bytes.length).to.equal(CHEQUE_BINARY_LENGTH);
      expect(decodeCheque(bytes)).to.deep.equal(cheque);
    });

    it("refuse malformed input with MALFORMED_WIRE", function () {
      const bytes = encodeCheque(cheque);
      expectWireError(() => decodeCheque(bytes.subarray(1)));
      const wrongVersion = bytes.slice();
      wrongVersion[0] = 9;
      expectWireError(() => decodeCheque(wrongVersion));
      const badSig = bytes.slice();
      badSig[137] = 5; // v = 5
      expectWireError(() => decodeCheque(badSig));
      expectWireError(() => chequeFromJson("{"));
      expectWireError(() => chequeFromJson({ ...chequeToJson(cheque), cumulativePayout: 5 as unknown as string }));
      expectWireError(() => chequeFromJson({ ...chequeToJson(cheque), signature: "0x00" }));
    });

    it("never throws anything but a ChequeError on random bytes", function () {
      for (let i = 0; i < 200; i++) {
        const random = new Uint8Array(CHEQUE_BINARY_LENGTH);
        crypto.getRandomValues(random);
        random[0] = 1;
        try {
          decodeCheque(random);
        } catch (e) {
          expect(isChequeError(e, "MALFORMED_WIRE")).to.equal(true);
        }
      }
    });
  });
});
