// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @dev A contract wallet that answers ERC-1271 queries in hostile ways, one mode at a time.
contract MaliciousERC1271Wallet {
    enum Mode {
        WrongMagic, // returns a 4-byte value that is not the magic value
        Reverts, // reverts
        ShortReturn, // returns fewer than 32 bytes
        BurnsGas, // loops until out of gas
        ApprovesAll // returns the magic value for anything: a wallet that signs every message
    }

    Mode public mode;

    function setMode(Mode mode_) external {
        mode = mode_;
    }

    /// @dev Calls `target` with `data`, so the wallet can act as an issuer or a beneficiary in tests.
    function execute(address target, bytes calldata data) external returns (bytes memory result) {
        bool ok;
        (ok, result) = target.call(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(result, 0x20), mload(result))
            }
        }
    }

    function isValidSignature(bytes32, bytes calldata) external view returns (bytes4) {
        Mode m = mode;
        if (m == Mode.WrongMagic) return bytes4(0x12345678);
        if (m == Mode.Reverts) revert("no");
        if (m == Mode.ShortReturn) {
            assembly ("memory-safe") {
                mstore(0x00, 0x1626ba7e00000000000000000000000000000000000000000000000000000000)
                return(0x00, 4)
            }
        }
        if (m == Mode.BurnsGas) {
            uint256 i;
            while (gasleft() > 0) ++i;
        }
        return 0x1626ba7e;
    }
}
