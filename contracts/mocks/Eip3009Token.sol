// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

/// @dev A minimal EIP-3009 token (`transferWithAuthorization` only, as USDC offers it) with open minting, for the
/// x402 `exact` scheme in tests and benchmarks on local chains. It is a test double, not a token to deploy.
contract Eip3009Token is ERC20, EIP712 {
    /// @dev keccak256("TransferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)")
    bytes32 public constant TRANSFER_WITH_AUTHORIZATION_TYPEHASH =
        keccak256("TransferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)");

    mapping(address authorizer => mapping(bytes32 nonce => bool used)) private _authorizationStates;

    /// @dev The authorization of `authorizer` with `nonce` was used.
    event AuthorizationUsed(address indexed authorizer, bytes32 indexed nonce);

    /// @dev The authorization is not valid before `validAfter` (now is `timestamp`).
    error Eip3009AuthorizationNotYetValid(uint256 validAfter, uint256 timestamp);
    /// @dev The authorization expired at `validBefore` (now is `timestamp`).
    error Eip3009AuthorizationExpired(uint256 validBefore, uint256 timestamp);
    /// @dev The `nonce` of `authorizer` was already used.
    error Eip3009AuthorizationUsed(address authorizer, bytes32 nonce);
    /// @dev The signature is not `from`'s.
    error Eip3009InvalidSignature(address from);

    constructor() ERC20("Test USD", "tUSD") EIP712("Test USD", "1") {}

    /// @dev Mints `amount` to `to`. Anyone may mint: this token is worthless by design.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @dev 6 decimals, as USDC.
    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /// @dev The EIP-712 domain version, which x402 clients read as `version()`.
    function version() external pure returns (string memory) {
        return "1";
    }

    /// @dev Whether `authorizer` already used `nonce`.
    function authorizationState(address authorizer, bytes32 nonce) external view returns (bool) {
        return _authorizationStates[authorizer][nonce];
    }

    /// @dev Transfers `value` from `from` to `to` with `from`'s EIP-712 signature `(v, r, s)`.
    ///
    /// Requirements: `validAfter < block.timestamp < validBefore`; `nonce` unused by `from`; the signature is `from`'s.
    ///
    /// Emits an {AuthorizationUsed} and a {Transfer} event.
    function transferWithAuthorization(
        address from,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external {
        _transferWithAuthorization(from, to, value, validAfter, validBefore, nonce, abi.encodePacked(r, s, v));
    }

    /// @dev As the `(v, r, s)` variant, with a signature as bytes (EOA or ERC-1271 wallet).
    function transferWithAuthorization(
        address from,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce,
        bytes calldata signature
    ) external {
        _transferWithAuthorization(from, to, value, validAfter, validBefore, nonce, signature);
    }

    function _transferWithAuthorization(
        address from,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce,
        bytes memory signature
    ) private {
        if (block.timestamp <= validAfter) revert Eip3009AuthorizationNotYetValid(validAfter, block.timestamp);
        if (block.timestamp >= validBefore) revert Eip3009AuthorizationExpired(validBefore, block.timestamp);
        if (_authorizationStates[from][nonce]) revert Eip3009AuthorizationUsed(from, nonce);
        bytes32 digest = _hashTypedDataV4(
            keccak256(abi.encode(TRANSFER_WITH_AUTHORIZATION_TYPEHASH, from, to, value, validAfter, validBefore, nonce))
        );
        if (!SignatureChecker.isValidSignatureNow(from, digest, signature)) revert Eip3009InvalidSignature(from);
        _authorizationStates[from][nonce] = true;
        emit AuthorizationUsed(from, nonce);
        _transfer(from, to, value);
    }
}
