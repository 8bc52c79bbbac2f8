/**
 * The chequebook and factory keep the external ABI of Swarm's ERC20SimpleSwap and SimpleSwapFactory v0.6.9:
 * every function selector and event topic Swarm tooling uses must be present, with the same outputs.
 */
import { expect } from "chai";
import { Interface } from "ethers";

import { ethers } from "./helpers/setup.js";

const SWARM_CHEQUEBOOK_FUNCTIONS = [
  "function init(address,address,uint256)",
  "function balance() view returns (uint256)",
  "function liquidBalance() view returns (uint256)",
  "function liquidBalanceFor(address) view returns (uint256)",
  "function issuer() view returns (address)",
  "function token() view returns (address)",
  "function paidOut(address) view returns (uint256)",
  "function totalPaidOut() view returns (uint256)",
  "function hardDeposits(address) view returns (uint256,uint256,uint256,uint256)",
  "function totalHardDeposit() view returns (uint256)",
  "function bounced() view returns (bool)",
  "function defaultHardDepositTimeout() view returns (uint256)",
  "function EIP712DOMAIN_TYPEHASH() view returns (bytes32)",
  "function CHEQUE_TYPEHASH() view returns (bytes32)",
  "function CASHOUT_TYPEHASH() view returns (bytes32)",
  "function CUSTOMDECREASETIMEOUT_TYPEHASH() view returns (bytes32)",
  "function cashChequeBeneficiary(address,uint256,bytes)",
  "function cashCheque(address,address,uint256,bytes,uint256,bytes)",
  "function increaseHardDeposit(address,uint256)",
  "function prepareDecreaseHardDeposit(address,uint256)",
  "function decreaseHardDeposit(address)",
  "function setCustomHardDepositTimeout(address,uint256,bytes)",
  "function withdraw(uint256)",
];

const SWARM_CHEQUEBOOK_EVENTS = [
  "event ChequeCashed(address indexed beneficiary, address indexed recipient, address indexed caller, uint256 totalPayout, uint256 cumulativePayout, uint256 callerPayout)",
  "event ChequeBounced()",
  "event HardDepositAmountChanged(address indexed beneficiary, uint256 amount)",
  "event HardDepositDecreasePrepared(address indexed beneficiary, uint256 decreaseAmount)",
  "event HardDepositTimeoutChanged(address indexed beneficiary, uint256 timeout)",
  "event Withdraw(uint256 amount)",
];

const SWARM_FACTORY_FUNCTIONS = [
  "function deploySimpleSwap(address,uint256,bytes32) returns (address)",
  "function deployedContracts(address) view returns (bool)",
  "function ERC20Address() view returns (address)",
  "function master() view returns (address)",
];

const SWARM_FACTORY_EVENTS = ["event SimpleSwapDeployed(address contractAddress)"];

function expectAbiCovers(contractName: string, ours: Interface, functions: string[], events: string[]) {
  const swarm = new Interface([...functions, ...events]);
  swarm.forEachFunction((fn) => {
    const mine = ours.getFunction(fn.selector);
    expect(mine, `${contractName} lacks ${fn.format()}`).to.not.equal(null);
    expect(mine!.outputs.map((o) => o.type), `${contractName}.${fn.name} outputs`).to.deep.equal(fn.outputs.map((o) => o.type));
    // `init` always reverts (chequebooks are initialised at creation), so ours is `pure`; its selector is the same.
    if (fn.name !== "init") {
      expect(mine!.stateMutability === "view" || mine!.stateMutability === "pure", `${fn.name} mutability`).to.equal(fn.constant);
    }
  });
  swarm.forEachEvent((ev) => {
    const mine = ours.getEvent(ev.topicHash);
    expect(mine, `${contractName} lacks ${ev.format()}`).to.not.equal(null);
    expect(mine!.inputs.map((i) => Boolean(i.indexed)), `${ev.name} indexed fields`).to.deep.equal(ev.inputs.map((i) => Boolean(i.indexed)));
  });
}

describe("ABI compatibility with Swarm v0.6.9", function () {
  it("the chequebook has every ERC20SimpleSwap function and event", async function () {
    const { interface: ours } = await ethers.getContractFactory("Chequebook");
    expectAbiCovers("Chequebook", ours, SWARM_CHEQUEBOOK_FUNCTIONS, SWARM_CHEQUEBOOK_EVENTS);
  });

  it("the factory has every SimpleSwapFactory function and event", async function () {
    const { interface: ours } = await ethers.getContractFactory("ChequebookFactory");
    expectAbiCovers("ChequebookFactory", ours, SWARM_FACTORY_FUNCTIONS, SWARM_FACTORY_EVENTS);
  });
});
