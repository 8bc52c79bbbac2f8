/**
 * One in-process Hardhat network shared by every mocha test file, so that `loadFixture` snapshots work across
 * files. Import `ethers` and `networkHelpers` from here rather than connecting again.
 */
import { network } from "hardhat";

export const { ethers, networkHelpers } = await network.getOrCreate();
