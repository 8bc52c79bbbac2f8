/**
 * The cheque decoders against a hostile sender: any text, any bytes, any JSON value, and well-formed cheques with
 * one field blown up to megabytes. Properties:
 * - the only thing a decoder ever throws is a ChequeError with its documented code;
 * - the work is bounded by our limits, not by the sender's input: no expensive conversion (JSON.parse, BigInt,
 *   base64 decoding) is ever handed more than a few kilobytes. This is measured by counting the characters each
 *   conversion receives, not by timing.
 */
import { expect } from "chai";
import fc from "fast-check";
import { Wallet } from "ethers";

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
  validateCheque,
  type ChequeErrorCode,
  type SignedCheque,
} from "../../sdk/index.js";

/** The most any one conversion may be handed: generous for a cheque (a few hundred bytes), tiny next to an attack. */
const MAX_CONVERTED = 4096;
const MB = 1 << 20;

/** Records the size of every input handed to the expensive conversions while `fn` runs. */
function metered(fn: () => void): { largest: number; calls: number } {
  const seen = { largest: 0, calls: 0 };
  const record = (value: unknown) => {
    seen.calls++;
    const size = typeof value === "string" ? value.length : value instanceof Uint8Array ? value.length : 0;
    seen.largest = Math.max(seen.largest, size);
  };
  const originals = { BigInt: globalThis.BigInt, parse: JSON.parse, from: Buffer.from, atob: globalThis.atob };
  globalThis.BigInt = new Proxy(originals.BigInt, { apply: (t, self, args) => (record(args[0]), Reflect.apply(t, self, args)) });
  JSON.parse = new Proxy(originals.parse, { apply: (t, self, args) => (record(args[0]), Reflect.apply(t, self, args)) });
  Buffer.from = new Proxy(originals.from, { apply: (t, self, args) => (args[1] === "base64" && record(args[0]), Reflect.apply(t, self, args)) });
  globalThis.atob = new Proxy(originals.atob, { apply: (t, self, args) => (record(args[0]), Reflect.apply(t, self, args)) });
  try {
    fn();
  } finally {
    globalThis.BigInt = originals.BigInt;
    JSON.parse = originals.parse;
    Buffer.from = originals.from;
    globalThis.atob = originals.atob;
  }
  return seen;
}

/** Runs a decoder on hostile input: it may succeed or throw `code`, nothing else, and its work stays bounded. */
function hostile(code: ChequeErrorCode, decode: () => unknown): void {
  const work = metered(() => {
    try {
      decode();
    } catch (e) {
      if (!isChequeError(e, code)) throw new Error(`expected a ChequeError ${code}, got ${String(e)}`, { cause: e });
    }
  });
  expect(work.largest, "largest input handed to a conversion").to.be.at.most(MAX_CONVERTED);
}

/** Like {@link hostile}, and the input must be refused. */
function refused(code: ChequeErrorCode, decode: () => unknown): void {
  let threw = false;
  hostile(code, () => {
    try {
      decode();
    } catch (e) {
      threw = true;
      throw e;
    }
  });
  expect(threw, "the input was accepted").to.equal(true);
}

const wallet = new Wallet("0x" + "33".repeat(32));

describe("SDK wire formats against a hostile sender", function () {
  this.timeout(120_000);
  let cheque: SignedCheque;
  before(async function () {
    cheque = await signCheque({ signer: wallet, chequebook: "0x" + "ab".repeat(20), beneficiary: "0x" + "cd".repeat(20), cumulativePayout: 10n ** 30n, chainId: 100n });
  });

  describe("fields blown up to megabytes are refused before any conversion", function () {
    const sizes = [100, 10_000, MB, 8 * MB];
    const digits = (n: number) => "9".repeat(n);
    const base64 = (n: number) => "A".repeat(n - (n % 4));

    for (const size of sizes) {
      it(`Bee JSON: a CumulativePayout of ${size} digits`, function () {
        const text = encodeBeeCheque(cheque).replace(/"CumulativePayout":\d+/, `"CumulativePayout":${digits(size)}`);
        refused("MALFORMED_WIRE", () => decodeBeeCheque(text));
      });
      it(`Bee JSON: a Signature of ${size} base64 characters`, function () {
        const text = encodeBeeCheque(cheque).replace(/"Signature":"[^"]*"/, `"Signature":"${base64(size)}"`);
        refused("MALFORMED_WIRE", () => decodeBeeCheque(text));
      });
      if (size > MAX_CONVERTED) {
        it(`Bee JSON and our JSON text: ${size} bytes of whitespace around a valid cheque`, function () {
          refused("MALFORMED_WIRE", () => decodeBeeCheque(" ".repeat(size) + encodeBeeCheque(cheque)));
          refused("MALFORMED_WIRE", () => chequeFromJson(" ".repeat(size) + JSON.stringify(chequeToJson(cheque))));
        });
      }
      it(`our JSON text: a cumulativePayout of ${size} digits`, function () {
        const text = JSON.stringify({ ...chequeToJson(cheque), cumulativePayout: digits(size) });
        refused("MALFORMED_WIRE", () => chequeFromJson(text));
      });
      it(`our JSON object: a cumulativePayout of ${size} digits, and a ${size}-character signature`, function () {
        refused("MALFORMED_WIRE", () => chequeFromJson({ ...chequeToJson(cheque), cumulativePayout: digits(size) }));
        refused("MALFORMED_WIRE", () => chequeFromJson({ ...chequeToJson(cheque), signature: "0x" + "1".repeat(size) }));
        refused("MALFORMED_WIRE", () => chequeFromJson({ ...chequeToJson(cheque), cumulativePayout: "0x" + "0".repeat(size) + "1" }));
      });
      it(`validateCheque: a cumulativePayout of ${size} digits`, function () {
        refused("MALFORMED_CHEQUE", () => validateCheque({ ...cheque, cumulativePayout: digits(size) }));
      });
      it(`binary: ${size} bytes`, function () {
        refused("MALFORMED_WIRE", () => decodeCheque(new Uint8Array(size).fill(1)));
      });
    }
  });

  describe("any input gives a result or the coded error, never anything else", function () {
    const runs = { numRuns: 400, endOnFailure: true };

    it("decodeBeeCheque on any text, and on JSON of any shape", function () {
      fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 600 }), (text) => hostile("MALFORMED_WIRE", () => decodeBeeCheque(text))), runs);
      fc.assert(fc.property(fc.json({ maxDepth: 4 }), (text) => hostile("MALFORMED_WIRE", () => decodeBeeCheque(text))), runs);
      fc.assert(fc.property(fc.anything(), (value) => hostile("MALFORMED_WIRE", () => decodeBeeCheque(value as string))), runs);
    });

    it("decodeBeeCheque on a valid cheque with one field replaced by any JSON value", function () {
      const valid = JSON.parse(encodeBeeCheque(cheque)) as Record<string, unknown>;
      const field = fc.constantFrom("Chequebook", "Beneficiary", "CumulativePayout", "Signature");
      fc.assert(
        fc.property(field, fc.jsonValue(), (key, value) => hostile("MALFORMED_WIRE", () => decodeBeeCheque(JSON.stringify({ ...valid, [key]: value })))),
        runs,
      );
    });

    it("chequeFromJson on any text, any value, and a valid cheque with one field replaced by anything", function () {
      fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 600 }), (text) => hostile("MALFORMED_WIRE", () => chequeFromJson(text))), runs);
      fc.assert(
        fc.property(fc.anything({ withNullPrototype: true, withBigInt: true, withMap: true, withSet: true, withTypedArray: true }), (value) =>
          hostile("MALFORMED_WIRE", () => chequeFromJson(value as string)),
        ),
        runs,
      );
      const field = fc.constantFrom("chequebook", "beneficiary", "cumulativePayout", "signature");
      fc.assert(
        fc.property(field, fc.anything({ withNullPrototype: true, withBigInt: true, withBoxedValues: true }), (key, value) =>
          hostile("MALFORMED_WIRE", () => chequeFromJson({ ...chequeToJson(cheque), [key]: value } as never)),
        ),
        runs,
      );
    });

    it("validateCheque on a valid cheque with one field replaced by anything", function () {
      const field = fc.constantFrom("chequebook", "beneficiary", "cumulativePayout", "signature");
      fc.assert(
        fc.property(field, fc.anything({ withNullPrototype: true, withBigInt: true, withBoxedValues: true }), (key, value) =>
          hostile("MALFORMED_CHEQUE", () => validateCheque({ ...cheque, [key]: value })),
        ),
        runs,
      );
    });

    it("an object whose fields throw when read is refused with the coded error", function () {
      const trap = new Proxy({}, { get: () => { throw new Error("boom"); }, has: () => { throw new Error("boom"); } });
      refused("MALFORMED_WIRE", () => chequeFromJson(trap as never));
      refused("MALFORMED_CHEQUE", () => validateCheque(trap));
    });

    it("decodeCheque on any bytes of any length, and on anything that is not bytes", function () {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => hostile("MALFORMED_WIRE", () => decodeCheque(bytes))), runs);
      fc.assert(
        fc.property(fc.uint8Array({ minLength: CHEQUE_BINARY_LENGTH - 1, maxLength: CHEQUE_BINARY_LENGTH - 1 }), (tail) =>
          hostile("MALFORMED_WIRE", () => decodeCheque(Uint8Array.of(1, ...tail))),
        ),
        runs,
      );
      fc.assert(fc.property(fc.anything(), (value) => hostile("MALFORMED_WIRE", () => decodeCheque(value as Uint8Array))), runs);
      // and the honest round trip still works under the meter
      hostile("MALFORMED_WIRE", () => expect(decodeCheque(encodeCheque(cheque))).to.deep.equal(cheque));
    });
  });
});
