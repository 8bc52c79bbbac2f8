// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @dev What the two batch cash-out contracts have in common: each item is one call to a chequebook with its own
 * gas cap, and an item that fails is reported by an event while the others go on.
 */
interface ICashoutBatchEvents {
    /**
     * @dev Item `index` of a batch, a call to `chequebook`, failed: `reason` is the start of its revert data (at
     * most 132 bytes, enough for a custom error with three words), or a {CashoutBatchItemGasTooLow} error encoded
     * by the batch itself when too little gas was left to give the item its cap.
     */
    event CashoutItemFailed(uint256 indexed index, address indexed chequebook, bytes reason);

    /// @dev Encoded into a {CashoutItemFailed} reason: `available` gas was left, the item's cap needed `needed`.
    error CashoutBatchItemGasTooLow(uint256 available, uint256 needed);
}

/**
 * @dev The code an EOA beneficiary delegates to with EIP-7702, to cash cheques of many chequebooks in one
 * transaction as itself (`msg.sender` of every `cashChequeBeneficiary` is the beneficiary's address).
 */
interface ICashoutDelegate is ICashoutBatchEvents {
    /// @dev One cheque to cash as the beneficiary, paid to the beneficiary itself.
    struct Cashout {
        address chequebook;
        uint256 cumulativePayout;
        /// @dev The gas the call to the chequebook may use at most.
        uint256 gasLimit;
        bytes issuerSig;
    }

    /// @dev The caller is not the account itself.
    error CashoutDelegateUnauthorized(address caller);

    /**
     * @dev Calls `cashChequeBeneficiary(address(this), cumulativePayout, issuerSig)` on each item's chequebook with
     * at most its `gasLimit` of gas. A failing item emits {CashoutItemFailed} and the batch goes on.
     *
     * Requirements:
     * - the caller is the account itself (a transaction the beneficiary's key signed, sent to its own address).
     */
    function cashChequesBeneficiary(Cashout[] calldata cashouts) external;
}

/**
 * @dev An owner-only relayer of `cashCheque` for many chequebooks and beneficiaries in one transaction: the route
 * for beneficiaries that cannot delegate (contract wallets) and for relayers. Every Cashout authorisation names
 * this contract as the sender, so only its owner can spend them and the caller fees accrue here.
 */
interface ICashoutBatcher is ICashoutBatchEvents {
    /// @dev One relayed cash-out: the arguments of `cashCheque`, and a gas cap.
    struct RelayedCashout {
        address chequebook;
        address beneficiary;
        address recipient;
        uint256 cumulativePayout;
        uint256 callerPayout;
        uint256 gasLimit;
        bytes beneficiarySig;
        bytes issuerSig;
    }

    /// @dev `token` fees were sent to `to`.
    event FeesSwept(address indexed token, address indexed to, uint256 amount);

    /// @dev `to` is the zero address.
    error CashoutBatcherInvalidRecipient(address to);

    /**
     * @dev Calls `cashCheque` on each item's chequebook with at most its `gasLimit` of gas. A failing item emits
     * {CashoutItemFailed} and the batch goes on. Caller fees stay in this contract until {sweep}.
     *
     * Requirements:
     * - the caller is the owner.
     */
    function cashCheques(RelayedCashout[] calldata cashouts) external;

    /**
     * @dev Sends `amount` of `token` held here (the caller fees) to `to`.
     *
     * Requirements:
     * - the caller is the owner; `to` is not the zero address.
     *
     * Emits a {FeesSwept} event.
     */
    function sweep(address token, address to, uint256 amount) external;
}
