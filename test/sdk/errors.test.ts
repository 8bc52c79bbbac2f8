import { expect } from "chai";
import { makeError } from "ethers";

import { ChequeError, KeyedMutex, chequebookInterface, decodeRevert, isChequeError, toChequeError } from "../../sdk/index.js";

describe("SDK errors", function () {
  it("carry a stable code, details and the cause", function () {
    const cause = new Error("root");
    const e = new ChequeError("STALE_CHEQUE", "lower", { details: { held: 5n }, cause });
    expect(e).to.be.instanceOf(Error);
    expect(e.name).to.equal("ChequeError");
    expect(e.details).to.deep.equal({ held: 5n });
    expect(e.cause).to.equal(cause);
    expect(isChequeError(e)).to.equal(true);
    expect(isChequeError(e, "STALE_CHEQUE", "WRONG_CHAIN")).to.equal(true);
    expect(isChequeError(e, "WRONG_CHAIN")).to.equal(false);
    expect(isChequeError(new Error("x"))).to.equal(false);
  });

  describe("toChequeError", function () {
    it("decodes a custom error from revert data, however deeply the provider nests it", function () {
      const data = chequebookInterface.encodeErrorResult("ChequebookNoLiquidity", [7n]);
      for (const error of [{ data }, { info: { error: { data } } }, { error: { error: { data } } }]) {
        const e = toChequeError(error, "cash-out");
        expect(e.code).to.equal("CONTRACT_REVERT");
        expect(e.details).to.deep.include({ errorName: "ChequebookNoLiquidity", args: [7n] });
        expect(e.message).to.match(/^cash-out failed: the chequebook has nothing liquid/);
      }
      expect(decodeRevert("0x12345678")).to.equal(undefined);
    });

    const cases: Array<[string, unknown, string]> = [
      ["an ethers INSUFFICIENT_FUNDS", makeError("insufficient funds for intrinsic transaction cost", "INSUFFICIENT_FUNDS"), "NO_GAS_FUNDS"],
      ["a geth out-of-gas message", new Error("out of gas"), "OUT_OF_GAS"],
      ["a refused connection", Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:8545"), { code: "ECONNREFUSED" }), "RPC_UNAVAILABLE"],
      ["an ethers TIMEOUT", makeError("timeout", "TIMEOUT"), "RPC_UNAVAILABLE"],
      ["a revert without data", makeError("execution reverted", "CALL_EXCEPTION"), "CONTRACT_REVERT"],
      ["an unsupported method", makeError("could not coalesce error", "UNKNOWN_ERROR", { error: { code: -32601, message: "the method eth_foo does not exist" } }), "RPC_ERROR"],
      ["any other node error", makeError("bad request", "UNKNOWN_ERROR", { error: { code: -32602, message: "invalid params" } }), "RPC_ERROR"],
    ];
    for (const [what, error, code] of cases) {
      it(`maps ${what} to ${code}`, function () {
        const e = toChequeError(error, "doing it");
        expect(e.code).to.equal(code);
        expect(e.cause).to.equal(error);
      });
    }

    it("passes a ChequeError through unchanged", function () {
      const e = new ChequeError("TIMEOUT", "slow");
      expect(toChequeError(e, "x")).to.equal(e);
    });
  });

  describe("KeyedMutex", function () {
    it("runs work for one key in order and different keys concurrently", async function () {
      const mutex = new KeyedMutex();
      const log: string[] = [];
      const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
      await Promise.all([
        mutex.run("a", async () => { log.push("a1+"); await sleep(20); log.push("a1-"); }),
        mutex.run("a", async () => { log.push("a2+"); log.push("a2-"); }),
        mutex.run("b", async () => { log.push("b+"); log.push("b-"); }),
      ]);
      expect(log.indexOf("a2+")).to.be.greaterThan(log.indexOf("a1-"));
      expect(log.indexOf("b+")).to.be.lessThan(log.indexOf("a1-"));
    });

    it("goes on after a failure", async function () {
      const mutex = new KeyedMutex();
      await mutex.run("k", async () => { throw new Error("boom"); }).catch(() => undefined);
      expect(await mutex.run("k", async () => 42)).to.equal(42);
    });
  });
});
