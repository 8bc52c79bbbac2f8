// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";

import {Chequebook} from "./Chequebook.sol";
import {IChequebookFactory} from "./interfaces/IChequebookFactory.sol";

/**
 * @title ChequebookFactory
 * @dev Deploys {Chequebook} clones paying in one token. Each clone carries its issuer and default hard-deposit
 * timeout as immutable arguments, so deployment writes no storage at all: the clone needs no `init`, and cannot
 * be left uninitialised for someone else to take over.
 */
contract ChequebookFactory is IChequebookFactory {
    /// @inheritdoc IChequebookFactory
    address public immutable ERC20Address;
    /// @inheritdoc IChequebookFactory
    address public immutable master;
    /// @dev keccak256 of the 45-byte ERC-1167 proxy code pointing at {master}.
    bytes32 private immutable _proxyCodeHash;

    /// @dev Deploys the logic contract for `token`.
    constructor(address token) {
        if (token.code.length == 0) revert ChequebookFactoryInvalidToken(token);
        ERC20Address = token;
        address master_ = address(new Chequebook(token));
        master = master_;
        _proxyCodeHash = keccak256(
            abi.encodePacked(hex"363d3d373d3d3d363d73", master_, hex"5af43d82803e903d91602b57fd5bf3")
        );
    }

    /// @inheritdoc IChequebookFactory
    function deploySimpleSwap(address issuer, uint256 defaultHardDepositTimeoutDuration, bytes32 salt)
        external
        returns (address chequebook)
    {
        chequebook = Clones.cloneDeterministicWithImmutableArgs(
            master, _args(issuer, defaultHardDepositTimeoutDuration), _salt(msg.sender, salt)
        );
        emit SimpleSwapDeployed(chequebook);
    }

    /// @inheritdoc IChequebookFactory
    function predictSimpleSwapAddress(
        address deployer,
        address issuer,
        uint256 defaultHardDepositTimeoutDuration,
        bytes32 salt
    ) external view returns (address) {
        return Clones.predictDeterministicAddressWithImmutableArgs(
            master, _args(issuer, defaultHardDepositTimeoutDuration), _salt(deployer, salt)
        );
    }

    /// @inheritdoc IChequebookFactory
    function deployedContracts(address chequebook) external view returns (bool) {
        bytes memory code = chequebook.code;
        if (code.length != 45 + 28) return false;
        bytes32 prefixHash;
        address issuer;
        assembly ("memory-safe") {
            prefixHash := keccak256(add(code, 0x20), 45)
            issuer := shr(96, mload(add(code, 0x4d))) // 0x20 + 45: the first immutable argument
        }
        return prefixHash == _proxyCodeHash && issuer != address(0);
    }

    /// @dev The packed immutable arguments, validated: issuer (20 bytes) then the timeout (8 bytes).
    function _args(address issuer, uint256 timeout) private pure returns (bytes memory) {
        if (issuer == address(0)) revert ChequebookFactoryInvalidIssuer(issuer);
        if (timeout > type(uint64).max) revert ChequebookFactoryTimeoutTooLarge(timeout);
        return abi.encodePacked(issuer, uint64(timeout));
    }

    /// @dev The CREATE2 salt, bound to the deployer as in Swarm's factory.
    function _salt(address deployer, bytes32 salt) private pure returns (bytes32) {
        return keccak256(abi.encode(deployer, salt));
    }
}
