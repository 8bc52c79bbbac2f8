/** The SDK carries its own human-readable ABIs; they must match the compiled contracts exactly. */
import { expect } from "chai";
import { Interface } from "ethers";

import { CASHOUT_DELEGATE_ABI, CHEQUEBOOK_ABI, CHEQUEBOOK_FACTORY_ABI } from "../../sdk/index.js";
import { ethers } from "../helpers/setup.js";

function signatures(iface: Interface): string[] {
  return iface.fragments.filter((f) => f.type !== "constructor").map((f) => f.format("full")).sort();
}

describe("SDK ABIs", function () {
  for (const [name, abi] of [["Chequebook", CHEQUEBOOK_ABI], ["ChequebookFactory", CHEQUEBOOK_FACTORY_ABI], ["CashoutDelegate", CASHOUT_DELEGATE_ABI]] as const) {
    it(`match the compiled ${name} fragment for fragment`, async function () {
      const compiled = (await ethers.getContractFactory(name)).interface;
      expect(signatures(new Interface(abi))).to.deep.equal(signatures(compiled));
    });
  }
});
