/**
 * A token that calls its holders back (ERC-777 hooks, bridged ERC-677 tokens) lets a hostile contract run code in
 * the middle of a chequebook call. The property: no call made from inside such a callback changes the chequebook,
 * so no beneficiary's hard deposit is ever paid to someone else and every event reports what really moved.
 */
import { expect } from "chai";
import type { ContractTransactionResponse, Interface } from "ethers";

import { UNIT, deployChequebook } from "../helpers/fixtures.js";
import { ethers, networkHelpers } from "../helpers/setup.js";
import { signCashout, signCheque } from "../helpers/signing.js";

/** A chequebook paying in a callback token: 1,000 tokens, 900 of them the victim's hard deposit. */
async function callbackFixture() {
  const [deployer, issuer, victim, beneficiary, attacker, recipient] = await ethers.getSigners();
  const token = await ethers.deployContract("CallbackToken");
  const factory = await ethers.deployContract("ChequebookFactory", [await token.getAddress()]);
  const chequebook = await deployChequebook(factory as never, deployer!, issuer!.address);
  const address = await chequebook.getAddress();
  const { chainId } = await ethers.provider.getNetwork();
  await token.mint(address, 1000n * UNIT);
  await chequebook.connect(issuer).increaseHardDeposit(victim!.address, 900n * UNIT);

  // The attacker's contract, registered for callbacks.
  const actor = await ethers.deployContract("ReentrantActor", [attacker!.address]);
  const actorAddress = await actor.getAddress();
  await actor.connect(attacker).execute(await token.getAddress(), token.interface.encodeFunctionData("setHooked", [true]));

  const cheque = (to: string, cumulativePayout: bigint) =>
    signCheque(issuer!, { chequebook: address, beneficiary: to, cumulativePayout, chainId });
  return { token, factory, chequebook, address, chainId, issuer: issuer!, victim: victim!, beneficiary: beneficiary!, attacker: attacker!, recipient: recipient!, deployer: deployer!, actor, actorAddress, cheque };
}

/** The same, with the attacker's contract as the chequebook's issuer. */
async function contractIssuerFixture() {
  const f = await callbackFixture();
  const chequebook = await deployChequebook(f.factory as never, f.deployer, f.actorAddress, 86_400n, ethers.id("actor"));
  const address = await chequebook.getAddress();
  await f.token.mint(address, 1000n * UNIT);
  const data = chequebook.interface.encodeFunctionData("increaseHardDeposit", [f.victim.address, 900n * UNIT]);
  await f.actor.connect(f.attacker).execute(address, data);
  return { ...f, chequebook, address };
}

const GUARD_SELECTOR = ethers.id("ReentrancyGuardReentrantCall()").slice(0, 10);

describe("Chequebook under reentrancy through token callbacks", function () {
  it("a relayer contract cannot re-enter a cash-out to pay itself out of another beneficiary's hard deposit", async function () {
    const f = await networkHelpers.loadFixture(callbackFixture);
    const cashout = (requestPayout: bigint) =>
      signCashout(f.beneficiary, { chequebook: f.address, sender: f.actorAddress, requestPayout, recipient: f.recipient.address, callerPayout: UNIT, chainId: f.chainId });
    // The second authorisation is relayed from inside the callback that delivers the first one's fee, while the
    // first one's recipient share is booked as paid but still in the balance. The actor swallows a refusal.
    const inner = f.chequebook.interface.encodeFunctionData("cashCheque", [
      f.beneficiary.address, f.recipient.address, 200n * UNIT, await cashout(200n * UNIT), UNIT, await f.cheque(f.beneficiary.address, 200n * UNIT),
    ]);
    await f.actor.connect(f.attacker).arm(f.address, inner, 1, true);
    const outer = f.chequebook.interface.encodeFunctionData("cashCheque", [
      f.beneficiary.address, f.recipient.address, 100n * UNIT, await cashout(100n * UNIT), UNIT, await f.cheque(f.beneficiary.address, 100n * UNIT),
    ]);
    await f.actor.connect(f.attacker).execute(f.address, outer);

    expect(await f.actor.reentries()).to.equal(1n);
    expect(await f.actor.reentriesSucceeded()).to.equal(0n);
    expect(await f.actor.lastError()).to.equal(GUARD_SELECTOR);
    expect(await f.chequebook.paidOut(f.beneficiary.address)).to.equal(100n * UNIT);
    expect(await f.chequebook.totalHardDeposit()).to.be.at.most(await f.chequebook.balance());

    // The victim's fully covered cheque is paid in full.
    await expect(f.chequebook.connect(f.victim).cashChequeBeneficiary(f.victim.address, 900n * UNIT, await f.cheque(f.victim.address, 900n * UNIT)))
      .to.emit(f.chequebook, "ChequeCashed")
      .withArgs(f.victim.address, f.victim.address, f.victim.address, 900n * UNIT, 900n * UNIT, 0n)
      .and.to.not.emit(f.chequebook, "ChequeBounced");
  });

  describe("every state-changing function refuses a call from inside a callback", function () {
    // Arguments do not matter: the guard is checked before anything else.
    const calls: Array<[string, (f: Awaited<ReturnType<typeof contractIssuerFixture>>) => unknown[]]> = [
      ["cashChequeBeneficiary", (f) => [f.actorAddress, 20n * UNIT, "0x"]],
      ["cashCheque", (f) => [f.victim.address, f.recipient.address, UNIT, "0x", 0n, "0x"]],
      ["deposit", () => [1n]],
      ["depositWithPermit", () => [1n, 0n, 0, ethers.ZeroHash, ethers.ZeroHash]],
      ["withdraw", () => [UNIT]],
      ["increaseHardDeposit", (f) => [f.victim.address, UNIT]],
      ["prepareDecreaseHardDeposit", (f) => [f.victim.address, UNIT]],
      ["decreaseHardDeposit", (f) => [f.victim.address]],
      ["setCustomHardDepositTimeout", (f) => [f.victim.address, 1n, "0x"]],
      ["cancelCustomHardDepositTimeout", () => [1n]],
      // Read-only reentrancy: the liquidity views would count the payout in flight twice.
      ["liquidBalance", () => []],
      ["liquidBalanceFor", (f) => [f.victim.address]],
    ];
    for (const [name, args] of calls) {
      it(`${name}`, async function () {
        // A contract issuer cashes to itself (no signature needed) and calls back from the payout's callback.
        const f = await networkHelpers.loadFixture(contractIssuerFixture);
        const iface: Interface = f.chequebook.interface;
        await f.actor.connect(f.attacker).arm(f.address, iface.encodeFunctionData(name, args(f)), 1, false);
        const cash = f.chequebook.interface.encodeFunctionData("cashChequeBeneficiary", [f.actorAddress, 10n * UNIT, "0x"]);
        await expect(f.actor.connect(f.attacker).execute(f.address, cash)).to.be.revertedWithCustomError(
          f.chequebook,
          "ReentrancyGuardReentrantCall",
        );
      });
    }
  });

  it("a contract issuer cannot withdraw a hard deposit from inside a relayed cash-out's callback", async function () {
    const f = await networkHelpers.loadFixture(contractIssuerFixture);
    // The issuer's contract relays a cheque to the attacker's own key and takes a fee; from the fee's callback it
    // withdraws the "liquid" balance while the recipient's share is booked as paid but still in the balance.
    const cheque = await signCheque(f.attacker, { chequebook: f.address, beneficiary: f.attacker.address, cumulativePayout: 100n * UNIT, chainId: f.chainId });
    const cashout = await signCashout(f.attacker, { chequebook: f.address, sender: f.actorAddress, requestPayout: 100n * UNIT, recipient: f.attacker.address, callerPayout: UNIT, chainId: f.chainId });
    await f.actor.connect(f.attacker).arm(f.address, f.chequebook.interface.encodeFunctionData("withdraw", [99n * UNIT]), 1, true);
    const relay = f.chequebook.interface.encodeFunctionData("cashCheque", [f.attacker.address, f.attacker.address, 100n * UNIT, cashout, UNIT, cheque]);
    await f.actor.connect(f.attacker).execute(f.address, relay);
    expect(await f.actor.reentriesSucceeded()).to.equal(0n);
    expect(await f.actor.lastError()).to.equal(GUARD_SELECTOR);
    expect(await f.chequebook.totalHardDeposit()).to.equal(900n * UNIT);
    expect(await f.chequebook.balance()).to.equal(900n * UNIT);
  });

  it("Deposited reports what arrived even when the sender's hook re-enters deposit", async function () {
    const f = await networkHelpers.loadFixture(callbackFixture);
    await f.token.mint(f.actorAddress, 1000n * UNIT);
    await f.actor.connect(f.attacker).execute(await f.token.getAddress(), f.token.interface.encodeFunctionData("approve", [f.address, ethers.MaxUint256]));
    // ERC-777's tokensToSend runs before the balances move: a nested deposit there used to be counted twice.
    await f.actor.connect(f.attacker).arm(f.address, f.chequebook.interface.encodeFunctionData("deposit", [50n * UNIT]), 1, true);
    const before = await f.chequebook.balance();
    const tx: ContractTransactionResponse = await f.actor.connect(f.attacker).execute(f.address, f.chequebook.interface.encodeFunctionData("deposit", [100n * UNIT]));
    const receipt = (await tx.wait())!;
    const reported = receipt.logs
      .map((log) => f.chequebook.interface.parseLog(log))
      .filter((ev) => ev?.name === "Deposited")
      .reduce((sum, ev) => sum + (ev!.args.amount as bigint), 0n);
    const arrived = (await f.chequebook.balance()) - before;
    expect(reported).to.equal(arrived);
    expect(arrived).to.equal(100n * UNIT);
    expect(await f.actor.lastError()).to.equal(GUARD_SELECTOR);
  });
});
