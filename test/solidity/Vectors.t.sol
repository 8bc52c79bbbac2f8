// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";

import {ChequeHashing} from "../../contracts/libraries/ChequeHashing.sol";
import {TestBase} from "./Vm.sol";

/// @dev The shared cheque vectors (test/vectors/cheques.json, signed with ethers' signTypedData): the contract's
/// hashing gives the same domain separators and digests, and the signatures recover to the vectors' signers.
contract VectorsTest is TestBase {
    function test_chequeVectorsMatchContractHashing() public view {
        string memory json = vm.readFile("test/vectors/cheques.json");
        for (uint256 i = 0; i < 4; i++) {
            string memory p = string.concat(".vectors[", vm.toString(i), "]");
            uint256 chainId = vm.parseUint(vm.parseJsonString(json, string.concat(p, ".chainId")));
            uint256 amount = vm.parseUint(vm.parseJsonString(json, string.concat(p, ".cumulativePayout")));
            address chequebook = vm.parseJsonAddress(json, string.concat(p, ".chequebook"));
            address beneficiary = vm.parseJsonAddress(json, string.concat(p, ".beneficiary"));
            address signer = vm.parseJsonAddress(json, string.concat(p, ".signer"));

            bytes32 domain = ChequeHashing.domainSeparator(chainId);
            require(domain == vm.parseJsonBytes32(json, string.concat(p, ".domainSeparator")), "domain separator");
            bytes32 digest = MessageHashUtils.toTypedDataHash(domain, ChequeHashing.hashCheque(chequebook, beneficiary, amount));
            require(digest == vm.parseJsonBytes32(json, string.concat(p, ".digest")), "digest");
            require(ECDSA.recover(digest, vm.parseJsonBytes(json, string.concat(p, ".signature"))) == signer, "signer");
            require(vm.addr(uint256(vm.parseJsonBytes32(json, string.concat(p, ".privateKey")))) == signer, "key");
        }
    }
}
