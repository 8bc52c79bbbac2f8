/** Fixtures for batch cash-out tests: chequebooks, a delegated beneficiary key, hostile look-alikes. */
import { HDNodeWallet, Mnemonic, type Signer } from "ethers";

import { delegateAccount } from "../../sdk/index.js";
import { UNIT, deployChequebook } from "../helpers/fixtures.js";
import { ethers } from "../helpers/setup.js";
import { signCheque } from "../helpers/signing.js";

const MNEMONIC = "test test test test test test test test test test test junk";

/** The development key at `index` (the same account as `ethers.getSigners()[index]`), as a Wallet that can sign authorisations. */
export function devWallet(index: number): HDNodeWallet {
  return HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(MNEMONIC), `m/44'/60'/0'/0/${index}`).connect(ethers.provider);
}

export const FAST = { pollMs: 10, confirmations: 1 };

/**
 * A token, a factory, `count` funded chequebooks of one EOA issuer, the delegate, and the beneficiary (account 2)
 * delegated to it.
 */
export async function batchFixture(count = 4) {
  const [deployer, issuer, beneficiarySigner, caller, recipient, other] = await ethers.getSigners();
  const token = await ethers.deployContract("TestToken");
  const factory = await ethers.deployContract("ChequebookFactory", [await token.getAddress()]);
  const { chainId } = await ethers.provider.getNetwork();
  const books: Awaited<ReturnType<typeof deployChequebook>>[] = [];
  for (let i = 0; i < count; i++) {
    const book = await deployChequebook(factory, issuer!, issuer!.address, 86_400n, ethers.zeroPadValue(ethers.toBeHex(i + 1), 32));
    await token.mint(await book.getAddress(), 100n * UNIT);
    books.push(book);
  }
  const delegate = await ethers.deployContract("CashoutDelegate");
  const wallet = devWallet(2);
  await delegateAccount({ signer: wallet, delegate: await delegate.getAddress(), tx: FAST });
  const cheque = (signer: Signer, chequebook: string, beneficiary: string, cumulativePayout: bigint) =>
    signCheque(signer, { chequebook, beneficiary, cumulativePayout, chainId });
  return {
    deployer: deployer!, issuer: issuer!, beneficiarySigner: beneficiarySigner!, caller: caller!, recipient: recipient!, other: other!,
    token, factory, chainId, books, delegate, wallet, cheque,
  };
}

export { UNIT };
