// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ICashoutBatchEvents} from "../interfaces/ICashoutBatch.sol";

/**
 * @title CappedCall
 * @dev One item of a batch: a call with a gas cap whose failure is reported, not bubbled. The callee never gets
 * less than its cap (the batch reports the item instead of running it short), never more (a callee that burns gas
 * burns only its own cap), and its revert data is copied only up to {MAX_REASON} bytes (a callee that reverts with
 * megabytes cannot make the batch pay for the memory).
 */
library CappedCall {
    /// @dev The revert data kept of a failing item: a selector and four words.
    uint256 internal constant MAX_REASON = 132;

    /// @dev Gas kept aside for the CALL itself (account access, memory) besides the 1/64 the EVM withholds.
    uint256 internal constant CALL_OVERHEAD = 5_000;

    /**
     * @dev Calls `target` with `data` and at most `gasLimit` gas; on failure emits
     * {ICashoutBatchEvents-CashoutItemFailed} for item `index`.
     */
    function callOrReport(uint256 index, address target, uint256 gasLimit, bytes memory data) internal {
        uint256 needed = gasLimit + gasLimit / 63 + CALL_OVERHEAD;
        uint256 available = gasleft();
        if (available < needed) {
            emit ICashoutBatchEvents.CashoutItemFailed(
                index, target, abi.encodeWithSelector(ICashoutBatchEvents.CashoutBatchItemGasTooLow.selector, available, needed)
            );
            return;
        }
        bool ok;
        assembly ("memory-safe") {
            ok := call(gasLimit, target, 0, add(data, 0x20), mload(data), 0, 0)
        }
        if (ok) return;
        uint256 size;
        assembly ("memory-safe") {
            size := returndatasize()
        }
        if (size > MAX_REASON) size = MAX_REASON;
        bytes memory reason = new bytes(size);
        assembly ("memory-safe") {
            returndatacopy(add(reason, 0x20), 0, size)
        }
        emit ICashoutBatchEvents.CashoutItemFailed(index, target, reason);
    }
}
