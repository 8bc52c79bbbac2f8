/**
 * Writes test/vectors/cheques.json: cheques signed with ethers' own typed-data signing (not the SDK), that the
 * Solidity tests and the SDK tests both check against. Run: node --import tsx scripts/tools/make-vectors.ts
 */
import { writeFile } from "node:fs/promises";

import { TypedDataEncoder, Wallet, id } from "ethers";

const cases = [
  { key: id("vector key 1"), chainId: 1n, cumulativePayout: 1n },
  { key: id("vector key 2"), chainId: 100n, cumulativePayout: 10n ** 16n * 1_234n },
  { key: id("vector key 3"), chainId: 11155111n, cumulativePayout: 2n ** 64n + 1n },
  { key: id("vector key 4"), chainId: 31337n, cumulativePayout: 2n ** 200n - 7n },
];
const types = { Cheque: [{ name: "chequebook", type: "address" }, { name: "beneficiary", type: "address" }, { name: "cumulativePayout", type: "uint256" }] };
const vectors = [];
for (const [i, c] of cases.entries()) {
  const wallet = new Wallet(c.key);
  const message = { chequebook: new Wallet(id(`chequebook ${i}`)).address, beneficiary: new Wallet(id(`beneficiary ${i}`)).address, cumulativePayout: c.cumulativePayout };
  const domain = { name: "Chequebook", version: "1.0", chainId: c.chainId };
  vectors.push({
    privateKey: c.key,
    signer: wallet.address,
    chainId: c.chainId.toString(),
    chequebook: message.chequebook,
    beneficiary: message.beneficiary,
    cumulativePayout: c.cumulativePayout.toString(),
    domainSeparator: TypedDataEncoder.hashDomain(domain),
    digest: TypedDataEncoder.hash(domain, types, message),
    signature: (await wallet.signTypedData(domain, types, message)).toLowerCase(),
  });
}
await writeFile("test/vectors/cheques.json", JSON.stringify({ description: "Cheques signed with ethers' signTypedData; checked by test/solidity/Vectors.t.sol and test/sdk/vectors.test.ts", vectors }, null, 2) + "\n");
console.log(`wrote ${vectors.length} vectors`);
