/**
 * What an issuer can still promise, from the chain's figures and the store's cheques. A cheque is only worth what
 * the chequebook would pay on it, so the rule is: every cheque issued and not yet paid must be payable at once.
 *
 * The chequebook pays a beneficiary `b` first from its hard deposit `hd(b)`, then from the liquid balance
 * (`total - totalHardDeposit`), and `paidOut(b)` grows only by what was paid (a bounced cheque leaves its unpaid
 * rest owed). So the unpaid rests `owed(b) = issued(b) - paidOut(b)` are payable together exactly when
 *
 *     sum over b of max(0, owed(b) - hd(b))  <=  total - totalHardDeposit
 *
 * and a cheque adding `a` for `x` keeps this true when `a <= slack + max(0, hd(x) - owed(x))`, where `slack` is the
 * right side minus the left. Hard deposits of beneficiaries without cheques are not free money: they sit outside
 * the liquid balance. Without hard deposits this is `total - (totalIssued - totalPaidOut)`.
 */

/** The chain's figures at one block. */
export interface ChainFunds {
  total: bigint;
  totalPaidOut: bigint;
  totalHardDeposit: bigint;
  /**
   * Per beneficiary with cheques in the store: paid out and hard deposit. Read when `totalHardDeposit > 0`, and
   * before raising a hard deposit.
   */
  accounts?: ReadonlyMap<string, { paidOut: bigint; hardDeposit: bigint }>;
}

/** The last cumulative payout issued to each beneficiary. */
export type IssuedTotals = ReadonlyMap<string, bigint>;

const pos = (x: bigint) => (x > 0n ? x : 0n);

/**
 * What can still be promised to `beneficiary` (or, without one, to a beneficiary holding no hard deposit).
 * Beneficiaries missing from `chain.accounts` count as paid nothing and holding no hard deposit (conservative).
 */
export function availableFunds(args: { chain: ChainFunds; issued: IssuedTotals; totalIssued: bigint; beneficiary?: string }): bigint {
  const { chain, issued } = args;
  if (chain.totalHardDeposit === 0n || chain.accounts === undefined) {
    return chain.total - pos(args.totalIssued - chain.totalPaidOut);
  }
  const slack = liquidSlack(chain, chain.accounts, issued);
  if (args.beneficiary === undefined) return slack;
  const account = chain.accounts.get(args.beneficiary);
  const owed = pos((issued.get(args.beneficiary) ?? 0n) - (account?.paidOut ?? 0n));
  return slack + pos((account?.hardDeposit ?? 0n) - owed);
}

/**
 * How much the hard deposit of `beneficiary` can grow, leaving every issued cheque payable at once. Raising it by
 * `d` moves `d` out of the liquid balance, and relieves the liquid balance of at most what the beneficiary's own
 * cheques need beyond its deposit: so `d <= slack + max(0, owed(x) - hd(x))`. Money that backs another
 * beneficiary's cheque is never moved into a deposit it cannot be paid from. Needs `chain.accounts`.
 */
export function hardDepositRoom(args: { chain: ChainFunds; issued: IssuedTotals; beneficiary: string }): bigint {
  const { chain, issued } = args;
  const accounts = chain.accounts ?? new Map<string, { paidOut: bigint; hardDeposit: bigint }>();
  const account = accounts.get(args.beneficiary);
  const beyond = pos((issued.get(args.beneficiary) ?? 0n) - (account?.paidOut ?? 0n) - (account?.hardDeposit ?? 0n));
  return pos(liquidSlack(chain, accounts, issued) + beyond);
}

/** The liquid balance minus what all unpaid cheques need beyond their beneficiaries' hard deposits. */
function liquidSlack(chain: ChainFunds, accounts: NonNullable<ChainFunds["accounts"]>, issued: IssuedTotals): bigint {
  let fromLiquid = 0n;
  for (const [b, cumulative] of issued) {
    const account = accounts.get(b);
    fromLiquid += pos(cumulative - (account?.paidOut ?? 0n) - (account?.hardDeposit ?? 0n));
  }
  return pos(chain.total - chain.totalHardDeposit) - fromLiquid;
}
