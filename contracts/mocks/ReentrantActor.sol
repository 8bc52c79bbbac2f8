// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

import {ITokenHooks} from "./CallbackToken.sol";

/**
 * @dev A hostile contract account: a wallet that runs calls for its owner (so it can be a beneficiary, a relayer
 * or an issuer) and approves digests its owner's key signed (ERC-1271), and that, when a {CallbackToken} calls it
 * back, makes an armed call: typically back into the chequebook that is paying it.
 */
contract ReentrantActor is IERC1271, ITokenHooks {
    address public immutable owner;

    address public armedTarget;
    bytes public armedCall;
    /// @dev How many more callbacks fire the armed call.
    uint256 public armedTimes;
    /// @dev Whether a failing armed call is swallowed (the outer call goes on) or bubbles up (it reverts).
    bool public swallow;

    /// @dev Armed calls made, those that succeeded, and the revert data of the last one that failed.
    uint256 public reentries;
    uint256 public reentriesSucceeded;
    bytes public lastError;

    error ReentrantActorUnauthorized(address caller);

    constructor(address owner_) {
        owner = owner_;
    }

    modifier onlyOwner() {
        if (msg.sender != owner) revert ReentrantActorUnauthorized(msg.sender);
        _;
    }

    /// @dev Calls `target` with `data` on the owner's behalf.
    function execute(address target, bytes calldata data) external onlyOwner returns (bytes memory) {
        return Address.functionCall(target, data);
    }

    /// @dev Makes the next `times` callbacks call `target` with `data`.
    function arm(address target, bytes calldata data, uint256 times, bool swallow_) external onlyOwner {
        armedTarget = target;
        armedCall = data;
        armedTimes = times;
        swallow = swallow_;
    }

    /// @inheritdoc ITokenHooks
    function tokensToSend(address, address, uint256) external {
        _fire();
    }

    /// @inheritdoc ITokenHooks
    function tokensReceived(address, address, uint256) external {
        _fire();
    }

    /// @inheritdoc IERC1271
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        (address recovered, ECDSA.RecoverError err, ) = ECDSA.tryRecoverCalldata(hash, signature);
        return err == ECDSA.RecoverError.NoError && recovered == owner ? IERC1271.isValidSignature.selector : bytes4(0xffffffff);
    }

    function _fire() private {
        if (armedTimes == 0) return;
        --armedTimes;
        ++reentries;
        (bool ok, bytes memory ret) = armedTarget.call(armedCall);
        if (ok) {
            ++reentriesSucceeded;
            return;
        }
        lastError = ret;
        if (!swallow) {
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
    }
}
