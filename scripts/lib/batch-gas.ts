/**
 * Gas of batch cash-outs through the EIP-7702 delegate (contracts/CashoutDelegate.sol): repeat cash-outs of N
 * chequebooks in one transaction, per cheque including the transaction's own cost, and the largest batch whose
 * every item is paid within a 30M-gas block. Measured on a Prague chain with a 30M block gas limit (Osaka's
 * per-transaction cap of 2^24 would cut the largest batch; see the README).
 */
import { HDNodeWallet, Mnemonic } from "ethers";

import { getChequeTypedData } from "../../sdk/cheque/typed-data.js";
import { delegateAccount } from "../../sdk/beneficiary/delegation.js";

export const BATCH_SIZES = [1, 5, 10, 25, 50] as const;
export const BLOCK_GAS = 30_000_000n;
/** Each item's gas cap in the measured batches: a repeat cash-out needs about 35k inside a batch. */
const ITEM_CAP = 60_000n;

export interface BatchGas {
  /** Per cheque, the transaction included, by batch size. */
  perCheque: Record<number, bigint>;
  /** The largest batch paid in full within a 30M-gas transaction, and its gasUsed. */
  maxBatchIn30M: number;
  maxBatchGas: bigint;
  /** The one-off delegation transaction. */
  delegation: bigint;
}

/** Measures on `ethers` (a Hardhat connection with Prague rules and a 30M block gas limit). */
export async function measureBatchGas(ethers: any, progress: (label: string) => void = () => undefined): Promise<BatchGas> {
  const [deployer, issuer] = await ethers.getSigners();
  const { chainId } = await ethers.provider.getNetwork();
  const UNIT = 10n ** 16n;
  const wallet = HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase("test test test test test test test test test test test junk"), "m/44'/60'/0'/0/10").connect(ethers.provider);
  const me = wallet.address;
  const token = await ethers.deployContract("TestToken");
  const factory = await ethers.deployContract("ChequebookFactory", [await token.getAddress()]);
  const delegate = await ethers.deployContract("CashoutDelegate");
  const delegation = (await delegateAccount({ signer: wallet, delegate: await delegate.getAddress(), tx: { pollMs: 5 } })).gasUsed;
  const executor = delegate.attach(me).connect(wallet);

  const books: string[] = [];
  const paid = new Map<string, bigint>();
  async function grow(n: number) {
    while (books.length < n) {
      const salt = ethers.zeroPadValue(ethers.toBeHex(books.length + 1), 32);
      const address = await factory.connect(deployer).deploySimpleSwap.staticCall(issuer.address, 86_400n, salt);
      await (await factory.connect(deployer).deploySimpleSwap(issuer.address, 86_400n, salt)).wait();
      await (await token.mint(address, 1_000_000n * UNIT)).wait();
      books.push(address);
    }
  }
  async function batch(chequebooks: string[], gasLimit: bigint, cap = ITEM_CAP) {
    const items = [];
    for (const chequebook of chequebooks) {
      const cumulativePayout = (paid.get(chequebook) ?? 0n) + UNIT;
      const { domain, types, message } = getChequeTypedData({ chequebook, beneficiary: me, cumulativePayout, chainId });
      items.push({ chequebook, cumulativePayout, gasLimit: cap, issuerSig: await issuer.signTypedData(domain, types, message) });
    }
    const receipt = await (await executor.cashChequesBeneficiary(items, { gasLimit })).wait();
    // CashoutItemFailed(index, chequebook, reason) is the only event the account itself emits.
    const failedBooks = new Set<string>(
      receipt.logs.filter((l: { address: string }) => l.address.toLowerCase() === me.toLowerCase()).map((l: { topics: string[] }) => ethers.getAddress(ethers.dataSlice(l.topics[2], 12))),
    );
    for (const item of items) if (!failedBooks.has(item.chequebook)) paid.set(item.chequebook, item.cumulativePayout);
    return { gasUsed: receipt.gasUsed as bigint, failed: failedBooks.size };
  }
  const limitFor = (n: number) => 200_000n + BigInt(n) * (ITEM_CAP + 10_000n);
  // First cash-outs (not measured): every chequebook has paid the beneficiary once, as in the single "repeat" row.
  async function prime(n: number) {
    await grow(n);
    const fresh = books.slice(0, n).filter((b) => !paid.has(b));
    for (let i = 0; i < fresh.length; i += 100) {
      const { failed } = await batch(fresh.slice(i, i + 100), 100n * 200_000n, 150_000n);
      if (failed !== 0) throw new Error(`${failed} first cash-outs failed`);
    }
  }

  const perCheque: Record<number, bigint> = {};
  for (const n of BATCH_SIZES) {
    await prime(n);
    const { gasUsed, failed } = await batch(books.slice(0, n), limitFor(n));
    if (failed !== 0) throw new Error(`${failed} items of the batch of ${n} failed: not a real measurement`);
    perCheque[n] = gasUsed / BigInt(n);
    progress(`batch of ${n}`);
  }
  // gas(n) = fixed + n * marginal, from the two largest sizes; then the largest n whose batch really runs in full.
  const g25 = perCheque[25]! * 25n, g50 = perCheque[50]! * 50n;
  const marginal = (g50 - g25) / 25n;
  const fixed = g50 - 50n * marginal;
  let n = Number((BLOCK_GAS - fixed - ITEM_CAP - 10_000n) / marginal);
  await prime(n);
  for (;;) {
    const { gasUsed, failed } = await batch(books.slice(0, n), BLOCK_GAS);
    progress(`batch of ${n} in a 30M block: ${failed === 0 ? "paid in full" : `${failed} items short of gas`}`);
    if (failed === 0 && gasUsed <= BLOCK_GAS) return { perCheque, maxBatchIn30M: n, maxBatchGas: gasUsed, delegation };
    n -= failed;
  }
}
