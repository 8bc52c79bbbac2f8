import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";
import { Wallet, hexlify } from "ethers";

import { decodeSwapMessage, encodeSwapMessage, isChequeError, signCheque, type SwapMessage } from "../../sdk/index.js";
import { swap } from "../../sdk/swap/swap.pb.js";

function expectMalformed(bytes: Uint8Array) {
  try {
    decodeSwapMessage(bytes);
  } catch (e) {
    expect(isChequeError(e, "MALFORMED_WIRE"), String(e)).to.equal(true);
    return;
  }
  throw new Error("expected MALFORMED_WIRE");
}

describe("SWAP wire format", function () {
  it("round-trips every message, keeping amounts beyond 64 bits exact", async function () {
    const signed = await signCheque({ signer: new Wallet("0x" + "44".repeat(32)), chequebook: "0x" + "aa".repeat(20), beneficiary: "0x" + "bb".repeat(20), cumulativePayout: 2n ** 200n, chainId: 100n });
    const token = "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC";
    // [sent, what the peer decodes]
    const cases: Array<[SwapMessage, SwapMessage]> = [
      [{ type: "handshake", paymentThreshold: 2n ** 100n, phase: "soft" }, { type: "handshake", paymentThreshold: 2n ** 100n, phase: "soft" }],
      [
        { type: "handshake", paymentThreshold: 100n, phase: "hard", beneficiary: signed.beneficiary, chequebook: signed.chequebook, chainId: 100n, token: token.toLowerCase() },
        { type: "handshake", paymentThreshold: 100n, phase: "hard", beneficiary: signed.beneficiary, chequebook: signed.chequebook, chainId: 100n, token },
      ],
      [{ type: "cheque", date: 1_700_000_000, amount: 42, beneficiary: signed.beneficiary }, { type: "cheque", date: 1_700_000_000, amount: 42, beneficiary: signed.beneficiary }],
      [{ type: "cheque", date: 1, amount: 7, signed, chainId: 100n }, { type: "cheque", date: 1, amount: 7, signed, chainId: 100n, beneficiary: signed.beneficiary }],
      [{ type: "ack", accepted: true, amount: 42 }, { type: "ack", accepted: true, amount: 42 }],
      [
        { type: "ack", accepted: false, amount: 0, cumulativePayout: 2n ** 200n, reason: "INVALID_SIGNATURE" },
        { type: "ack", accepted: false, amount: 0, cumulativePayout: 2n ** 200n, reason: "INVALID_SIGNATURE" },
      ],
      [{ type: "ack", accepted: true, amount: 5, date: 1_700_000_001 }, { type: "ack", accepted: true, amount: 5, date: 1_700_000_001 }],
    ];
    for (const [sent, expected] of cases) {
      const decoded = decodeSwapMessage(encodeSwapMessage(sent));
      expect(decoded).to.deep.equal(expected);
      expect(decodeSwapMessage(encodeSwapMessage(decoded))).to.deep.equal(expected);
    }
  });

  it("keeps the spec's field numbers: a spec-only peer reads Handshake 1 and Cheque 1-3", function () {
    // Handshake.payment_threshold is field 1, bytes: tag 0x0a.
    const h = swap.Handshake.encode({ paymentThreshold: new Uint8Array([0x64]) }).finish();
    expect(hexlify(h)).to.equal("0x0a0164");
    // Cheque.beneficiary = 1 (bytes, 0x0a), date = 2 (varint, 0x10), amount = 3 (varint, 0x18).
    const c = swap.Cheque.encode({ beneficiary: new Uint8Array(20).fill(1), date: 5, amount: 7 }).finish();
    expect(hexlify(c)).to.equal("0x0a14" + "01".repeat(20) + "1005" + "1807");
  });

  it("refuses malformed bytes with MALFORMED_WIRE, never anything else", function () {
    expectMalformed(new Uint8Array([0xff, 0xff, 0xff]));
    expectMalformed(new Uint8Array()); // an empty envelope holds no message
    expectMalformed(swap.SwapMessage.encode({ handshake: { paymentThreshold: new Uint8Array(33).fill(1) } }).finish());
    expectMalformed(swap.SwapMessage.encode({ handshake: { beneficiary: new Uint8Array(19) } }).finish());
    expectMalformed(swap.SwapMessage.encode({ handshake: { phase: 7 as never } }).finish());
    expectMalformed(swap.SwapMessage.encode({ cheque: { chequebook: new Uint8Array(20).fill(2), beneficiary: new Uint8Array(20).fill(3), signature: new Uint8Array(64) } }).finish());
    for (let i = 0; i < 500; i++) {
      const random = new Uint8Array(1 + Math.floor(Math.random() * 80));
      crypto.getRandomValues(random);
      try {
        decodeSwapMessage(random);
      } catch (e) {
        expect(isChequeError(e, "MALFORMED_WIRE"), String(e)).to.equal(true);
      }
    }
  });

  it("refuses out-of-range fields when encoding", function () {
    expect(() => encodeSwapMessage({ type: "cheque", date: -1, amount: 1 })).to.throw(/date/);
    expect(() => encodeSwapMessage({ type: "ack", accepted: true, amount: 2 ** 32 })).to.throw(/amount/);
  });

  it("has generated code up to date with swap.proto (npm run proto)", function () {
    this.timeout(60_000);
    const dir = mkdtempSync(join(tmpdir(), "proto-"));
    try {
      const bin = join(process.cwd(), "node_modules", ".bin");
      execFileSync(join(bin, "pbjs"), ["-t", "static-module", "-w", "es6", "--es6", "--no-create", "--no-verify", "--no-convert", "--no-delimited", "--no-service", "-o", join(dir, "swap.pb.js"), "sdk/swap/swap.proto"]);
      expect(readFileSync(join(dir, "swap.pb.js"), "utf8")).to.equal(readFileSync("sdk/swap/swap.pb.js", "utf8"));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
