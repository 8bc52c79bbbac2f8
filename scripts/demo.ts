/**
 * The main job on an embedded chain: deploy a token, the factory and a chequebook; deposit; the issuer signs a
 * cheque off-chain; the beneficiary verifies it off-chain and cashes it on-chain; balances before and after.
 *
 *   npm run demo                  human output
 *   DEMO_JSON=1 npm run demo      one JSON object at the end
 *
 * Exits non-zero if any step does not have the expected effect.
 */
import { TypedDataEncoder, formatUnits, recoverAddress } from "ethers";
import { network } from "hardhat";

import { getCashoutTypedData, getChequeTypedData } from "../sdk/typed-data.js";

const json = process.env.DEMO_JSON === "1" || process.argv.includes("--json");
const log = (line: string) => {
  if (!json) console.log(line);
};
const step = (n: number, text: string) => log(`[${n}/7] ${text}`);

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`demo check failed: ${message}`);
}

const { ethers } = await network.getOrCreate();
const [deployer, issuer, beneficiary, relayer] = await ethers.getSigners();
if (!deployer || !issuer || !beneficiary || !relayer) throw new Error("the embedded chain has too few accounts");
const { chainId } = await ethers.provider.getNetwork();
const DECIMALS = 16;
const unit = 10n ** BigInt(DECIMALS);
const fmt = (v: bigint) => formatUnits(v, DECIMALS);

step(1, `deploying a test token and the chequebook factory on the embedded chain (chain id ${chainId})`);
const token = await ethers.deployContract("TestToken");
const factory = await ethers.deployContract("ChequebookFactory", [await token.getAddress()]);
log(`      token ${await token.getAddress()}\n      factory ${await factory.getAddress()}`);

step(2, "deploying the issuer's chequebook through the factory");
const salt = ethers.id("demo");
const predicted = await factory.predictSimpleSwapAddress(issuer.address, issuer.address, 86_400n, salt);
const deployReceipt = await (await factory.connect(issuer).deploySimpleSwap(issuer.address, 86_400n, salt)).wait();
check(deployReceipt !== null && (await factory.deployedContracts(predicted)), "chequebook not deployed at the predicted address");
const chequebook = await ethers.getContractAt("Chequebook", predicted);
log(`      chequebook ${predicted} (gas ${deployReceipt.gasUsed})`);

step(3, "issuer deposits 100 tokens");
await token.mint(issuer.address, 100n * unit);
await (await token.connect(issuer).approve(predicted, 100n * unit)).wait();
await (await chequebook.connect(issuer).deposit(100n * unit)).wait();
check((await chequebook.balance()) === 100n * unit, "deposit did not arrive");

const balances = async () => ({
  chequebook: await chequebook.balance(),
  issuer: await token.balanceOf(issuer.address),
  beneficiary: await token.balanceOf(beneficiary.address),
  relayer: await token.balanceOf(relayer.address),
  paidOut: await chequebook.paidOut(beneficiary.address),
});
const before = await balances();

step(4, "issuer signs two cumulative cheques off-chain: 30, then 45 tokens in total");
const sign = async (cumulativePayout: bigint) => {
  const { domain, types, message } = getChequeTypedData({ chequebook: predicted, beneficiary: beneficiary.address, cumulativePayout, chainId });
  return { cumulativePayout, signature: await issuer.signTypedData(domain, types, message), digest: TypedDataEncoder.hash(domain, types, message) };
};
const first = await sign(30n * unit);
const second = await sign(45n * unit);

step(5, "beneficiary verifies both off-chain: the signer must be the chequebook's issuer");
const onChainIssuer = await chequebook.issuer();
for (const c of [first, second]) {
  const signer = recoverAddress(c.digest, c.signature);
  check(signer === onChainIssuer, `cheque for ${fmt(c.cumulativePayout)} signed by ${signer}, not the issuer`);
  log(`      cheque ${fmt(c.cumulativePayout).padStart(6)} signed by ${signer}: valid`);
}

step(6, "beneficiary cashes the 30-token cheque itself; a relayer cashes the 45-token one for a 1-token fee");
const r1 = await (await chequebook.connect(beneficiary).cashChequeBeneficiary(beneficiary.address, first.cumulativePayout, first.signature)).wait();
const cashoutData = getCashoutTypedData({
  chequebook: predicted, sender: relayer.address, requestPayout: second.cumulativePayout, recipient: beneficiary.address, callerPayout: unit, chainId,
});
const cashoutSig = await beneficiary.signTypedData(cashoutData.domain, cashoutData.types, cashoutData.message);
const r2 = await (await chequebook.connect(relayer).cashCheque(beneficiary.address, beneficiary.address, second.cumulativePayout, cashoutSig, unit, second.signature)).wait();
check(r1 !== null && r2 !== null, "cash-out transactions have no receipt");
log(`      cashChequeBeneficiary gas ${r1.gasUsed}, cashCheque gas ${r2.gasUsed}`);

step(7, "balances before and after");
const after = await balances();
check(after.beneficiary - before.beneficiary === 44n * unit, "beneficiary should have received 44 tokens");
check(after.relayer - before.relayer === unit, "relayer should have earned 1 token");
check(before.chequebook - after.chequebook === 45n * unit, "chequebook should have paid out 45 tokens");
check(after.paidOut === 45n * unit, "paidOut should be 45 tokens");

const rows: Array<[string, bigint, bigint]> = [
  ["chequebook", before.chequebook, after.chequebook],
  ["issuer", before.issuer, after.issuer],
  ["beneficiary", before.beneficiary, after.beneficiary],
  ["relayer", before.relayer, after.relayer],
  ["paidOut(beneficiary)", before.paidOut, after.paidOut],
];
const w = Math.max(...rows.map((r) => r[0].length));
log(`      ${"account".padEnd(w)} | ${"before".padStart(10)} | ${"after".padStart(10)} | ${"change".padStart(10)}`);
log(`      ${"-".repeat(w)}-|-${"-".repeat(10)}-|-${"-".repeat(10)}-|-${"-".repeat(10)}`);
for (const [name, b, a] of rows) {
  const change = a - b;
  log(`      ${name.padEnd(w)} | ${fmt(b).padStart(10)} | ${fmt(a).padStart(10)} | ${((change > 0n ? "+" : "") + fmt(change)).padStart(10)}`);
}
log("demo: every step succeeded");

if (json) {
  const out = Object.fromEntries(rows.map(([name, b, a]) => [name, { before: b.toString(), after: a.toString() }]));
  console.log(JSON.stringify({ ok: true, chainId: chainId.toString(), chequebook: predicted, balances: out }));
}
