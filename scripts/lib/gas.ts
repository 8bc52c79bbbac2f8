/**
 * Gas measurement of every chequebook operation next to a plain OpenZeppelin ERC20 transfer measured in the same
 * run, with Swarm ERC20SimpleSwap v0.6.9's published figures and our targets. Used by `npm run bench:gas` and
 * `npm run bench`.
 */
import type { ContractTransactionResponse, Signer } from "ethers";

import { alignedTable } from "./table.js";
import { getCashoutTypedData, getChequeTypedData, getCustomDecreaseTimeoutTypedData } from "../../sdk/cheque/typed-data.js";

/** Swarm ERC20SimpleSwap v0.6.9 / SimpleSwapFactory, measured on the same EVM (figures from the project brief). */
export const SWARM: Record<string, number> = {
  chequebookDeploy: 141_905,
  cashChequeBeneficiaryFirst: 122_844,
  cashChequeBeneficiaryRepeat: 71_556,
  cashChequeRepeatWithFee: 88_136,
  withdraw: 48_036,
  erc20TransferExisting: 34_513,
};

/** Our targets from the brief. */
export const TARGET: Record<string, number> = {
  chequebookDeploy: 75_000,
  cashChequeBeneficiaryFirst: 100_000,
  cashChequeBeneficiaryRepeat: 55_000,
  cashChequeRepeatWithFee: 70_000,
};

export interface GasRow {
  key: string;
  label: string;
  gas: bigint;
}

/** Measures every operation's gasUsed on `ethers`' chain; `progress` is told each label as it is measured. */
export async function measureGas(
  ethers: any,
  progress: (label: string) => void = () => undefined
): Promise<{ rows: GasRow[]; transferExisting: bigint; transferFresh: bigint }> {
  const signers = await ethers.getSigners();
  const [, issuer, bee1, bee2, caller, holder, fresh1, fresh2, fresh3] = signers;
  const { chainId } = await ethers.provider.getNetwork();
  const UNIT = 10n ** 16n;

  const rows: GasRow[] = [];

  async function gasOf(tx: Promise<ContractTransactionResponse> | ContractTransactionResponse): Promise<bigint> {
    const receipt = await (await tx).wait();
    if (receipt === null) throw new Error("no receipt");
    if (receipt.logs.length === 0)
      throw new Error(`transaction ${receipt.hash} emitted no event: not a real measurement`);
    return receipt.gasUsed;
  }

  async function record(key: string, label: string, tx: Promise<ContractTransactionResponse>) {
    const gas = await gasOf(tx);
    rows.push({ key, label, gas });
    progress(label);
    return gas;
  }

  async function cheque(chequebook: string, beneficiary: string, cumulativePayout: bigint) {
    const { domain, types, message } = getChequeTypedData({ chequebook, beneficiary, cumulativePayout, chainId });
    return issuer.signTypedData(domain, types, message);
  }

  async function cashout(
    signer: Signer,
    chequebook: string,
    sender: string,
    requestPayout: bigint,
    recipient: string,
    callerPayout: bigint
  ) {
    const { domain, types, message } = getCashoutTypedData({
      chequebook,
      sender,
      requestPayout,
      recipient,
      callerPayout,
      chainId,
    });
    return signer.signTypedData(domain, types, message);
  }

  // Baseline: a plain OpenZeppelin ERC20 transfer, to a fresh holder and to an existing one.
  const token = await ethers.deployContract("TestToken");
  await token.mint(holder.address, 1_000_000n * UNIT);
  await token.mint(issuer.address, 1_000_000n * UNIT);
  await token.mint(caller.address, 1n);
  const transferFresh = await record(
    "erc20TransferFresh",
    "ERC20 transfer (fresh holder)",
    token.connect(holder).transfer(fresh1.address, UNIT)
  );
  const transferExisting = await record(
    "erc20TransferExisting",
    "ERC20 transfer (existing holder)",
    token.connect(holder).transfer(fresh1.address, UNIT)
  );

  // Factory and chequebook.
  const factoryFactory = await ethers.getContractFactory("ChequebookFactory");
  const factory = await factoryFactory.deploy(await token.getAddress());
  rows.push({
    key: "factoryDeploy",
    label: "factory deploy (with logic contract)",
    gas: (await (await factory.deploymentTransaction())!.wait())!.gasUsed,
  });
  const address = await factory
    .connect(issuer)
    .deploySimpleSwap.staticCall(issuer.address, 86_400n, ethers.id("bench"));
  await record(
    "chequebookDeploy",
    "chequebook deploy via factory",
    factory.connect(issuer).deploySimpleSwap(issuer.address, 86_400n, ethers.id("bench"))
  );
  if ((await ethers.provider.getCode(address)) === "0x") throw new Error(`no chequebook at ${address}`);
  const chequebook = await ethers.getContractAt("Chequebook", address);

  await token.connect(issuer).approve(address, ethers.MaxUint256);
  await record("deposit", "deposit", chequebook.connect(issuer).deposit(10_000n * UNIT));

  // cashChequeBeneficiary: first for a beneficiary (fresh recipient), then a repeat (existing recipient).
  await record(
    "cashChequeBeneficiaryFirst",
    "cashChequeBeneficiary, first",
    chequebook
      .connect(bee1)
      .cashChequeBeneficiary(bee1.address, 10n * UNIT, await cheque(address, bee1.address, 10n * UNIT))
  );
  await record(
    "cashChequeBeneficiaryRepeat",
    "cashChequeBeneficiary, repeat",
    chequebook
      .connect(bee1)
      .cashChequeBeneficiary(bee1.address, 20n * UNIT, await cheque(address, bee1.address, 20n * UNIT))
  );

  // cashCheque by a third party with a fee: first (fresh beneficiary, fresh recipient), then a repeat.
  await record(
    "cashChequeFirstWithFee",
    "cashCheque with fee, first",
    chequebook
      .connect(caller)
      .cashCheque(
        bee2.address,
        fresh2.address,
        10n * UNIT,
        await cashout(bee2, address, caller.address, 10n * UNIT, fresh2.address, UNIT),
        UNIT,
        await cheque(address, bee2.address, 10n * UNIT)
      )
  );
  await record(
    "cashChequeRepeatWithFee",
    "cashCheque with fee, repeat",
    chequebook
      .connect(caller)
      .cashCheque(
        bee2.address,
        fresh2.address,
        20n * UNIT,
        await cashout(bee2, address, caller.address, 20n * UNIT, fresh2.address, UNIT),
        UNIT,
        await cheque(address, bee2.address, 20n * UNIT)
      )
  );

  await record("withdraw", "withdraw", chequebook.connect(issuer).withdraw(UNIT));

  // Hard deposits.
  await record(
    "increaseHardDeposit",
    "increaseHardDeposit",
    chequebook.connect(issuer).increaseHardDeposit(bee1.address, 100n * UNIT)
  );
  await record(
    "prepareDecreaseHardDeposit",
    "prepareDecreaseHardDeposit",
    chequebook.connect(issuer).prepareDecreaseHardDeposit(bee1.address, 50n * UNIT)
  );
  await ethers.provider.send("evm_increaseTime", [86_401]);
  await record(
    "decreaseHardDeposit",
    "decreaseHardDeposit",
    chequebook.connect(caller).decreaseHardDeposit(bee1.address)
  );
  {
    const { domain, types, message } = getCustomDecreaseTimeoutTypedData({
      chequebook: address,
      beneficiary: bee1.address,
      decreaseTimeout: 3600n,
      chainId,
    });
    const sig = await bee1.signTypedData(domain, types, message);
    await record(
      "setCustomHardDepositTimeout",
      "setCustomHardDepositTimeout",
      chequebook.connect(issuer).setCustomHardDepositTimeout(bee1.address, 3600n, sig)
    );
  }

  // A repeat cash-out paid entirely from the beneficiary's hard deposit (50 left after the decrease).
  await record(
    "cashChequeBeneficiaryHardDeposit",
    "cashChequeBeneficiary, within hard deposit",
    chequebook
      .connect(bee1)
      .cashChequeBeneficiary(bee1.address, 30n * UNIT, await cheque(address, bee1.address, 30n * UNIT))
  );

  // A bouncing cash-out: drain the liquid balance, then cash more than is left.
  const liquid = await chequebook.liquidBalance();
  await chequebook.connect(issuer).withdraw(liquid - 5n * UNIT);
  await record(
    "cashChequeBeneficiaryBounce",
    "cashChequeBeneficiary, bouncing",
    chequebook
      .connect(fresh3)
      .cashChequeBeneficiary(fresh3.address, 1000n * UNIT, await cheque(address, fresh3.address, 1000n * UNIT))
  );

  return { rows, transferExisting, transferFresh };
}

const CASH_KEYS = new Set([
  "cashChequeBeneficiaryFirst",
  "cashChequeBeneficiaryRepeat",
  "cashChequeFirstWithFee",
  "cashChequeRepeatWithFee",
  "cashChequeBeneficiaryBounce",
  "cashChequeBeneficiaryHardDeposit",
]);

/** The gas table as text. */
export function gasTable(rows: GasRow[], transferExisting: bigint, transferFresh: bigint): string {
  const fmt = (n: number | undefined) => (n === undefined ? "" : n.toLocaleString("en-US"));
  const header = ["operation", "gasUsed", "x ERC20 transfer", "Swarm v0.6.9", "vs Swarm", "target"];
  const table = rows.map((r) => {
    const gas = Number(r.gas);
    const swarm = SWARM[r.key];
    const target = TARGET[r.key];
    return [
      r.label,
      fmt(gas),
      CASH_KEYS.has(r.key) ? (gas / Number(transferExisting)).toFixed(2) : "",
      fmt(swarm),
      swarm === undefined ? "" : `${(((gas - swarm) / swarm) * 100).toFixed(0)}%`,
      target === undefined ? "" : `${fmt(target)} ${gas <= target ? "met" : "MISSED"}`,
    ];
  });
  return [
    alignedTable(header, table),
    "",
    `Ratios are against the ERC20 transfer to an existing holder measured above (${fmt(
      Number(transferExisting)
    )} gas; fresh holder ${fmt(Number(transferFresh))}).`,
  ].join("\n");
}
