// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title IChequebook
 * @dev An ERC20 chequebook paying cumulative EIP-712 cheques, with the external ABI of Swarm's ERC20SimpleSwap
 * v0.6.9 (same selectors and event topics) plus {deposit}, {DOMAIN_SEPARATOR}, {lastCashoutPayout}, {effectiveHardDepositTimeout},
 * {cancelCustomHardDepositTimeout} and {customHardDepositTimeoutUsed}.
 *
 * The issuer signs `Cheque(chequebook, beneficiary, cumulativePayout)`: the total it has promised that
 * beneficiary so far. Cashing pays the difference to what was already paid out, as far as the chequebook's
 * liquidity allows; what could not be paid stays claimable with the same cheque.
 *
 * Hard deposits reserve part of the balance for one beneficiary: the issuer cannot withdraw it, and it can only
 * be lowered after an announced timeout, so a beneficiary holding a cheque covered by its hard deposit knows it
 * will be paid if it cashes within that timeout of an announcement.
 *
 * WARNING: The protection lasts exactly as long as the timeout in force ({effectiveHardDepositTimeout}). A timeout of 0
 * (Bee deploys chequebooks with a default of 0) means NO PROTECTION: the issuer can announce and apply a decrease
 * in the same transaction. Judge a hard deposit by its timeout, not by its amount.
 *
 * Every state-changing function is guarded against reentrancy (a token that calls its holders back cannot
 * re-enter), and the liquidity views refuse to answer from inside such a call, when a payout is half done.
 */
interface IChequebook {
    /// @dev A cheque was cashed: `totalPayout` left the chequebook, `callerPayout` of it to `caller`.
    event ChequeCashed(
        address indexed beneficiary,
        address indexed recipient,
        address indexed caller,
        uint256 totalPayout,
        uint256 cumulativePayout,
        uint256 callerPayout
    );
    /// @dev The last cashed cheque could not be paid in full; the rest stays claimable.
    event ChequeBounced();
    /// @dev The hard deposit of `beneficiary` is now `amount`.
    event HardDepositAmountChanged(address indexed beneficiary, uint256 amount);
    /// @dev A decrease of `decreaseAmount` of the hard deposit of `beneficiary` was announced.
    event HardDepositDecreasePrepared(address indexed beneficiary, uint256 decreaseAmount);
    /// @dev A pending decrease of `decreaseAmount` was cancelled because the hard deposit was raised.
    event HardDepositDecreaseCancelled(address indexed beneficiary, uint256 decreaseAmount);
    /// @dev The decrease timeout of the hard deposit of `beneficiary` is now `timeout` seconds (0: the default).
    event HardDepositTimeoutChanged(address indexed beneficiary, uint256 timeout);
    /// @dev `amount` tokens were withdrawn to the issuer.
    event Withdraw(uint256 amount);
    /// @dev `from` deposited tokens through {deposit}; `amount` is what the chequebook actually received.
    event Deposited(address indexed from, uint256 amount);
    /// @dev `beneficiary` cancelled its CustomDecreaseTimeout authorisation for `timeout` seconds, unused or not.
    event CustomHardDepositTimeoutCancelled(address indexed beneficiary, uint256 timeout);

    /// @dev The caller is not the issuer.
    error ChequebookUnauthorized(address caller);
    /// @dev {init} was called: chequebooks are initialised at creation.
    error ChequebookAlreadyInitialized();
    /// @dev The issuer's signature on the cheque is not valid.
    error ChequebookInvalidIssuerSignature();
    /// @dev The beneficiary's signature (on a Cashout or CustomDecreaseTimeout) is not valid.
    error ChequebookInvalidBeneficiarySignature();
    /// @dev The cheque is not above what was already paid out to its beneficiary.
    error ChequebookChequeAlreadyCashed(uint256 cumulativePayout, uint256 paidOut);
    /// @dev Nothing can be paid: the beneficiary is owed `requested` but the liquid balance for it is zero.
    error ChequebookNoLiquidity(uint256 requested);
    /// @dev The caller's fee is more than the payout.
    error ChequebookCallerPayoutTooHigh(uint256 callerPayout, uint256 totalPayout);
    /// @dev A relayed cash-out would be partial: `requested` is owed, only `available` can be paid.
    error ChequebookCashoutWouldBounce(uint256 requested, uint256 available);
    /// @dev A Cashout authorisation for `requestPayout` was used already: the last one honoured was for `lastUsed`.
    error ChequebookCashoutAlreadyUsed(uint256 requestPayout, uint256 lastUsed);
    /// @dev The CustomDecreaseTimeout authorisation with this EIP-712 digest was used or cancelled already.
    error ChequebookTimeoutAuthorisationUsed(bytes32 digest);
    /// @dev The liquid balance `available` is less than `needed`.
    error ChequebookInsufficientLiquidity(uint256 available, uint256 needed);
    /// @dev Raising the hard deposits to `totalHardDeposit` would exceed the balance.
    error ChequebookHardDepositExceedsBalance(uint256 balance, uint256 totalHardDeposit);
    /// @dev The decrease is more than the hard deposit.
    error ChequebookDecreaseExceedsHardDeposit(uint256 hardDeposit, uint256 decreaseAmount);
    /// @dev No decrease of the hard deposit of `beneficiary` was prepared.
    error ChequebookNoDecreasePrepared(address beneficiary);
    /// @dev The prepared decrease can be applied from `canBeDecreasedAt` on, not before.
    error ChequebookDecreaseNotDue(uint256 canBeDecreasedAt);
    /// @dev The address is zero, or the chequebook itself, or otherwise unusable as a beneficiary or recipient.
    error ChequebookInvalidAddress(address account);
    /// @dev An amount that must be positive was zero.
    error ChequebookZeroAmount();

    /**
     * @dev Kept for ABI compatibility with ERC20SimpleSwap. Chequebooks are clones initialised at creation from
     * immutable arguments, and the logic contract is inert, so this always reverts.
     *
     * Requirements: none can be met; reverts with {ChequebookAlreadyInitialized}.
     */
    function init(address issuer, address token, uint256 defaultHardDepositTimeout) external;

    /**
     * @dev Cashes a cheque as its beneficiary (`msg.sender`), paying to `recipient`.
     *
     * Pays `cumulativePayout - paidOut(msg.sender)`, or as much of it as {liquidBalanceFor} allows, using the hard
     * deposit first. The payout is capped at the token balance the chequebook really holds (which a rebasing or
     * slashing token may have shrunk below the hard deposits). A partial payment is a bounce: the rest stays
     * claimable with the same cheque.
     *
     * Requirements:
     * - `issuerSig` is the issuer's signature on the Cheque (EOA or ERC-1271), unless the caller is the issuer;
     * - the cheque is above what was paid out already, and something can be paid;
     * - `recipient` is neither the zero address nor the chequebook.
     *
     * Emits a {HardDepositAmountChanged} event if the payout used the hard deposit, a {ChequeCashed} event, and a
     * {ChequeBounced} event if the payment is partial.
     */
    function cashChequeBeneficiary(address recipient, uint256 cumulativePayout, bytes calldata issuerSig) external;

    /**
     * @dev Cashes a cheque for `beneficiary`; the caller earns `callerPayout` of the payout.
     *
     * Same rules as {cashChequeBeneficiary}, except that a relayed cash-out is paid in full or not at all: if
     * less than the whole amount owed can be paid, it reverts with {ChequebookCashoutWouldBounce}, takes no fee,
     * and leaves the authorisation unused. The beneficiary can always cash a partial amount itself.
     *
     * `beneficiarySig` is the beneficiary's authorisation. An EOA beneficiary signs Swarm's
     * `Cashout(chequebook, msg.sender, cumulativePayout, recipient, callerPayout)`. A contract beneficiary
     * (ERC-1271) approves `BeneficiaryCashout(chequebook, beneficiary, msg.sender, cumulativePayout, recipient,
     * callerPayout)` instead, which names it, so that an approval by one key never serves two identities.
     * Each authorisation is used once: `cumulativePayout` must be above every Cashout honoured before for this
     * beneficiary (see {lastCashoutPayout}).
     *
     * Emits the events of {cashChequeBeneficiary} (never {ChequeBounced}).
     */
    function cashCheque(
        address beneficiary,
        address recipient,
        uint256 cumulativePayout,
        bytes calldata beneficiarySig,
        uint256 callerPayout,
        bytes calldata issuerSig
    ) external;

    /**
     * @dev Pulls `amount` tokens from the caller (who must have approved them) into the chequebook. Plain token
     * transfers to the chequebook count as deposits too; this function only adds an event.
     *
     * Emits a {Deposited} event with the amount actually received (less for fee-on-transfer tokens).
     */
    function deposit(uint256 amount) external;

    /**
     * @dev Like {deposit}, with an EIP-2612 permit from the caller instead of a prior approval: one transaction.
     * If the permit fails (for example because someone front-ran it, which sets the same allowance), the deposit
     * still goes ahead as long as the allowance is there.
     *
     * Emits a {Deposited} event with the amount actually received.
     */
    function depositWithPermit(uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s) external;

    /**
     * @dev Withdraws `amount` of the liquid balance to the issuer. Hard deposits cannot be withdrawn.
     *
     * Requirements: the caller is the issuer; `amount <= liquidBalance()`.
     *
     * Emits a {Withdraw} event.
     */
    function withdraw(uint256 amount) external;

    /**
     * @dev Raises the hard deposit of `beneficiary` by `amount`, and cancels a decrease pending for it.
     *
     * Requirements: the caller is the issuer; `beneficiary` is not zero; `amount` is positive; the total of hard
     * deposits stays within the balance.
     *
     * Emits a {HardDepositAmountChanged} event, preceded by {HardDepositDecreaseCancelled} if a decrease was pending.
     */
    function increaseHardDeposit(address beneficiary, uint256 amount) external;

    /**
     * @dev Announces a decrease of the hard deposit of `beneficiary` by `decreaseAmount`, applicable by anyone
     * through {decreaseHardDeposit} once the timeout in force then (the beneficiary's custom one, or the default)
     * has passed since this announcement. Replaces an earlier announcement and restarts its timeout.
     *
     * Requirements: the caller is the issuer; `0 < decreaseAmount <= hardDeposit`.
     *
     * Emits a {HardDepositDecreasePrepared} event.
     */
    function prepareDecreaseHardDeposit(address beneficiary, uint256 decreaseAmount) external;

    /**
     * @dev Applies a prepared decrease whose timeout has passed. Callable by anyone. If cash-outs consumed part
     * of the hard deposit since the decrease was prepared, it lowers the deposit by what is left of it, at most.
     *
     * The due time is computed when the decrease is applied: the start of its notice (its announcement, or the last
     * change of the timeout while it was pending) plus the timeout in force at that moment.
     *
     * Requirements: a decrease was prepared and at least the timeout in force has passed since its notice started
     * (`block.timestamp >= canBeDecreasedAt`, see {effectiveHardDepositTimeout}).
     *
     * Emits a {HardDepositAmountChanged} event.
     */
    function decreaseHardDeposit(address beneficiary) external;

    /**
     * @dev Sets the decrease timeout of the hard deposit of `beneficiary`, which it agreed to by signing
     * `CustomDecreaseTimeout(chequebook, beneficiary, hardDepositTimeout)`. Each signature is used once, so an
     * old one cannot undo a later change (to return to an earlier value, sign a slightly different one). A
     * decrease already pending starts its notice again under the new timeout: it is due the new timeout after this
     * change, so a shorter timeout never makes it due sooner than that from the moment anyone can see the change.
     * A value of 0 returns the beneficiary to the default.
     *
     * WARNING: a signed authorisation stays valid until it is used or cancelled: before agreeing to a longer
     * timeout, a beneficiary cancels every shorter one it signed ({cancelCustomHardDepositTimeout}).
     *
     * Requirements: the caller is the issuer; the signature is valid, unused and not cancelled; the timeout fits
     * in 64 bits.
     *
     * Emits a {HardDepositTimeoutChanged} event.
     */
    function setCustomHardDepositTimeout(address beneficiary, uint256 hardDepositTimeout, bytes calldata beneficiarySig)
        external;

    /**
     * @dev Cancels the caller's CustomDecreaseTimeout authorisation for `decreaseTimeout` seconds, so that the
     * issuer can no longer apply it. The message has no nonce (its type is Swarm's), so a beneficiary names the
     * value it signed.
     *
     * Requirements: that authorisation is neither used nor cancelled already ({ChequebookTimeoutAuthorisationUsed}).
     *
     * Emits a {CustomHardDepositTimeoutCancelled} event.
     */
    function cancelCustomHardDepositTimeout(uint256 decreaseTimeout) external;

    /// @dev Whether the CustomDecreaseTimeout authorisation of `beneficiary` for `decreaseTimeout` was used or
    /// cancelled (and can no longer be applied).
    function customHardDepositTimeoutUsed(address beneficiary, uint256 decreaseTimeout) external view returns (bool);

    /**
     * @dev What a beneficiary needs to judge its hard deposit: the `timeout` in force (its custom timeout, else the
     * default; 0 means no protection), and, for a pending decrease, when its notice started (`decreasePreparedAt`:
     * its announcement, or the last change of the timeout since) and when it can be applied (`canBeDecreasedAt`, at most 2^64 - 1); both 0 when none is pending. Without a
     * pending decrease, the hard deposit stays at least until `block.timestamp + timeout`, less what the
     * beneficiary cashes from it.
     *
     * NOTE: Both figures hold for the timeout in force now. The issuer can still apply any CustomDecreaseTimeout
     * authorisation the beneficiary signed and has not cancelled ({customHardDepositTimeoutUsed}); if one is
     * shorter, a decrease announced later comes due that much sooner, and a pending one is due that timeout after
     * the change (never sooner than that from the moment the change can be seen).
     */
    function effectiveHardDepositTimeout(address beneficiary)
        external
        view
        returns (uint256 timeout, uint256 decreasePreparedAt, uint256 canBeDecreasedAt);

    /// @dev The token balance of the chequebook.
    function balance() external view returns (uint256);

    /// @dev The balance not reserved by hard deposits: `balance - totalHardDeposit` (0 if the balance fell below).
    /// Reverts with `ReentrancyGuardReentrantCall` when called from inside a chequebook call (a token callback).
    function liquidBalance() external view returns (uint256);

    /// @dev What could be paid to `beneficiary` now: the liquid balance plus its hard deposit (at most the balance).
    /// Reverts with `ReentrancyGuardReentrantCall` when called from inside a chequebook call (a token callback).
    function liquidBalanceFor(address beneficiary) external view returns (uint256);

    /// @dev The address whose signature makes a cheque valid.
    function issuer() external view returns (address);

    /// @dev The ERC20 token the chequebook pays in.
    function token() external view returns (address);

    /// @dev The total paid out to `beneficiary` so far.
    function paidOut(address beneficiary) external view returns (uint256);

    /// @dev The total paid out to all beneficiaries.
    function totalPaidOut() external view returns (uint256);

    /// @dev The sum of all hard deposits.
    function totalHardDeposit() external view returns (uint256);

    /// @dev Whether any cheque ever bounced.
    function bounced() external view returns (bool);

    /// @dev The decrease timeout, in seconds, for beneficiaries without a custom one.
    function defaultHardDepositTimeout() external view returns (uint256);

    /**
     * @dev The hard deposit of `beneficiary`: its `amount`, a prepared `decreaseAmount`, its custom `timeout`
     * (0 for the default) and the time `canBeDecreasedAt` from which the prepared decrease applies under the
     * timeout in force now (0: none). {effectiveHardDepositTimeout} adds the effective timeout.
     */
    function hardDeposits(address beneficiary)
        external
        view
        returns (uint256 amount, uint256 decreaseAmount, uint256 timeout, uint256 canBeDecreasedAt);

    /// @dev The `requestPayout` of the last Cashout authorisation of `beneficiary` honoured by {cashCheque}.
    function lastCashoutPayout(address beneficiary) external view returns (uint256);

    /// @dev The EIP-712 domain separator for the current chain.
    function DOMAIN_SEPARATOR() external view returns (bytes32);

    /// @dev keccak256("EIP712Domain(string name,string version,uint256 chainId)").
    function EIP712DOMAIN_TYPEHASH() external view returns (bytes32);

    /// @dev keccak256("Cheque(address chequebook,address beneficiary,uint256 cumulativePayout)").
    function CHEQUE_TYPEHASH() external view returns (bytes32);

    /// @dev keccak256 of the Cashout type string.
    function CASHOUT_TYPEHASH() external view returns (bytes32);

    /// @dev keccak256 of the BeneficiaryCashout type string (what an ERC-1271 beneficiary approves).
    function BENEFICIARY_CASHOUT_TYPEHASH() external view returns (bytes32);

    /// @dev keccak256 of the CustomDecreaseTimeout type string.
    function CUSTOMDECREASETIMEOUT_TYPEHASH() external view returns (bytes32);
}
