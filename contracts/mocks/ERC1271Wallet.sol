// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @dev A smart-contract wallet in the manner of a one-owner Safe: it approves digests its owner's key signed,
/// and runs calls for its owner (so it can be a chequebook's issuer or a beneficiary).
contract ERC1271Wallet is IERC1271 {
    address public immutable owner;

    error ERC1271WalletUnauthorized(address caller);

    constructor(address owner_) {
        owner = owner_;
    }

    /// @dev Calls `target` with `data` on the owner's behalf.
    function execute(address target, bytes calldata data) external returns (bytes memory) {
        if (msg.sender != owner) revert ERC1271WalletUnauthorized(msg.sender);
        return Address.functionCall(target, data);
    }

    /// @inheritdoc IERC1271
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        (address recovered, ECDSA.RecoverError err, ) = ECDSA.tryRecoverCalldata(hash, signature);
        return err == ECDSA.RecoverError.NoError && recovered == owner ? IERC1271.isValidSignature.selector : bytes4(0xffffffff);
    }
}
