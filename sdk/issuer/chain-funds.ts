/**
 * The chain's side of what an issuer can still promise: the chequebook's figures, all read at one block.
 */
import type { Provider } from "ethers";

import { chequebookAt, rpc } from "../chain/contracts.js";
import type { ChainFunds } from "./funds.js";

/**
 * Reads the chequebook's balance, total paid out and total hard deposit at one block (a cash-out between two reads
 * would otherwise look like free money). With hard deposits, or when `withAccounts`, also the paid-out and hard
 * deposit of each of `beneficiaries()`, at the same block.
 *
 * @throws ChequeError RPC_UNAVAILABLE, RPC_ERROR.
 */
export async function readChainFunds(args: {
  provider: Provider;
  chequebook: string;
  beneficiaries: () => Promise<string[]>;
  withAccounts: boolean;
}): Promise<ChainFunds> {
  const { provider } = args;
  const book = chequebookAt(args.chequebook, provider);
  const blockTag = await rpc("reading the block number", () => provider.getBlockNumber());
  const read = <T>(name: string, ...rest: unknown[]) => book.getFunction(name)(...rest, { blockTag }) as Promise<T>;
  const [total, totalPaidOut, totalHardDeposit] = await rpc("reading the chequebook balance", () =>
    Promise.all([read<bigint>("balance"), read<bigint>("totalPaidOut"), read<bigint>("totalHardDeposit")]),
  );
  const funds: ChainFunds = { total, totalPaidOut, totalHardDeposit };
  if (totalHardDeposit > 0n || args.withAccounts) {
    const beneficiaries = [...new Set(await args.beneficiaries())];
    const rows = await rpc("reading the beneficiaries' accounts", () =>
      Promise.all(beneficiaries.map((b) => Promise.all([read<bigint>("paidOut", b), read<[bigint]>("hardDeposits", b)]))),
    );
    funds.accounts = new Map(beneficiaries.map((b, i) => [b, { paidOut: rows[i]![0], hardDeposit: rows[i]![1][0] }]));
  }
  return funds;
}
