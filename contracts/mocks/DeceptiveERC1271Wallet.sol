// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @dev An ERC-1271 issuer whose answer to an off-chain verifier differs from its answer to the chequebook, without
/// ever revoking anything: the cheques it "signs" were never payable.
contract DeceptiveERC1271Wallet {
    enum Mode {
        DirtyMagic, // returns the magic value followed by non-zero bytes in the same word (ethers reads bytes4, OZ the word)
        OnlyForCodelessCallers, // approves when the caller has no code (an eth_call), refuses when a contract (the chequebook) asks
        OnlyWhenOriginIsCaller // approves when tx.origin is the caller: an eth_call made "from" the chequebook, never a real cash-out
    }

    Mode public mode;

    function setMode(Mode mode_) external {
        mode = mode_;
    }

    function isValidSignature(bytes32, bytes calldata) external view returns (bytes4) {
        if (mode == Mode.DirtyMagic) {
            assembly ("memory-safe") {
                mstore(0x00, 0x1626ba7e00000000000000000000000000000000000000000000000000000001)
                return(0x00, 0x20)
            }
        }
        if (mode == Mode.OnlyForCodelessCallers) return msg.sender.code.length == 0 ? bytes4(0x1626ba7e) : bytes4(0xffffffff);
        return tx.origin == msg.sender ? bytes4(0x1626ba7e) : bytes4(0xffffffff);
    }
}
