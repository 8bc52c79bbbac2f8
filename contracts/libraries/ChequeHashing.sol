// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title ChequeHashing
 * @dev EIP-712 type hashes and struct hashing for chequebook messages, exactly as Swarm's ERC20SimpleSwap signs
 * them: the domain has a name, a version and a chain id but no `verifyingContract` and no salt, so the
 * chequebook address is a field of every struct instead. Each typehash stands next to the struct it hashes.
 */
library ChequeHashing {
    /// @dev `EIP712Domain(string name,string version,uint256 chainId)`.
    bytes32 internal constant EIP712DOMAIN_TYPEHASH = keccak256("EIP712Domain(string name,string version,uint256 chainId)");
    /// @dev keccak256 of the domain name "Chequebook".
    bytes32 internal constant NAME_HASH = keccak256("Chequebook");
    /// @dev keccak256 of the domain version "1.0".
    bytes32 internal constant VERSION_HASH = keccak256("1.0");

    /// @dev A promise by the issuer: in total, `chequebook` owes `beneficiary` `cumulativePayout`.
    bytes32 internal constant CHEQUE_TYPEHASH =
        keccak256("Cheque(address chequebook,address beneficiary,uint256 cumulativePayout)");

    /// @dev The beneficiary lets `sender` cash its cheque for `requestPayout` (cumulative), paying `callerPayout`
    /// of it to `sender` and the rest to `recipient`.
    bytes32 internal constant CASHOUT_TYPEHASH =
        keccak256(
            "Cashout(address chequebook,address sender,uint256 requestPayout,address recipient,uint256 callerPayout)"
        );

    /// @dev A Cashout that names its beneficiary: what an ERC-1271 beneficiary (a contract wallet) approves instead
    /// of the plain Cashout, so that one key's approval cannot authorise cash-outs for two identities (an EOA and
    /// a wallet it owns). Not part of Swarm's protocol: EOA beneficiaries sign the plain Cashout, as Bee does.
    bytes32 internal constant BENEFICIARY_CASHOUT_TYPEHASH =
        keccak256(
            "BeneficiaryCashout(address chequebook,address beneficiary,address sender,uint256 requestPayout,address recipient,uint256 callerPayout)"
        );

    /// @dev The beneficiary agrees to a custom hard-deposit decrease timeout.
    bytes32 internal constant CUSTOMDECREASETIMEOUT_TYPEHASH =
        keccak256("CustomDecreaseTimeout(address chequebook,address beneficiary,uint256 decreaseTimeout)");

    /// @dev The domain separator for `chainId`.
    function domainSeparator(uint256 chainId) internal pure returns (bytes32) {
        return keccak256(abi.encode(EIP712DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, chainId));
    }

    /// @dev The struct hash of a `Cheque`.
    function hashCheque(address chequebook, address beneficiary, uint256 cumulativePayout)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(CHEQUE_TYPEHASH, chequebook, beneficiary, cumulativePayout));
    }

    /// @dev The struct hash of a `Cashout`.
    function hashCashout(
        address chequebook,
        address sender,
        uint256 requestPayout,
        address recipient,
        uint256 callerPayout
    ) internal pure returns (bytes32) {
        return keccak256(abi.encode(CASHOUT_TYPEHASH, chequebook, sender, requestPayout, recipient, callerPayout));
    }

    /// @dev The struct hash of a `BeneficiaryCashout`.
    function hashBeneficiaryCashout(
        address chequebook,
        address beneficiary,
        address sender,
        uint256 requestPayout,
        address recipient,
        uint256 callerPayout
    ) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(BENEFICIARY_CASHOUT_TYPEHASH, chequebook, beneficiary, sender, requestPayout, recipient, callerPayout)
        );
    }

    /// @dev The struct hash of a `CustomDecreaseTimeout`.
    function hashCustomDecreaseTimeout(address chequebook, address beneficiary, uint256 decreaseTimeout)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(CUSTOMDECREASETIMEOUT_TYPEHASH, chequebook, beneficiary, decreaseTimeout));
    }
}
