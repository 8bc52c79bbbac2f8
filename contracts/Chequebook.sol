// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IChequebook} from "./interfaces/IChequebook.sol";
import {ChequeHashing} from "./libraries/ChequeHashing.sol";

/**
 * @title Chequebook
 * @dev The logic behind every chequebook of a {ChequebookFactory}. Each chequebook is an ERC-1167 clone of this
 * contract carrying two immutable arguments after the proxy code: the issuer (20 bytes) and the default
 * hard-deposit timeout (8 bytes, seconds). The token is an immutable of this logic contract, so all clones of one
 * factory pay in that factory's token. Nothing needs initialising after creation, so no clone can be left open to
 * a front-run `init`.
 *
 * Every state-changing function is `nonReentrant` (OpenZeppelin's transient-storage guard: about 350 gas a
 * call, nothing stored), so a token that calls its holders back (ERC-777, bridged ERC-677) cannot re-enter while a
 * payout is booked but not yet sent; the liquidity views are `nonReentrantView` for the same reason. In a clone
 * the guard lives in the clone's own transient storage.
 *
 * Amounts are kept in 128 bits (paid out and hard deposit of a beneficiary share one storage slot, as do the two
 * totals); a beneficiary's amounts above 2^128 - 1 revert with SafeCast's error. The total paid out carries into
 * a second word instead, since an issuer could otherwise push it to the limit and block every cash-out.
 *
 * WARNING: The logic contract itself is inert (it has no issuer, so nobody can withdraw from it or sign for it):
 * never send tokens to it, only to the clones.
 */
contract Chequebook is IChequebook, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    /// @dev Paid out to one beneficiary, and its hard deposit; read and written together by every cash-out.
    struct Account {
        uint128 paidOut;
        uint128 hardDeposit;
    }

    /// @dev A prepared hard-deposit decrease (none while `decreaseAmount` is 0), when it was announced, and the
    /// beneficiary's custom timeout (0: the default). The due time is derived when it is needed, from the timeout
    /// in force then, so that a later, longer timeout also holds back a decrease announced before it.
    struct Schedule {
        uint128 decreaseAmount;
        uint64 preparedAt;
        uint64 timeout;
    }

    /// @dev The sums over all beneficiaries. `paidOut` holds the low 128 bits of the total paid out; the rest is in
    /// `_totalPaidOutHigh`, so that the total never overflows (see {_cash}).
    struct Totals {
        uint128 paidOut;
        uint128 hardDeposit;
    }

    /// @inheritdoc IChequebook
    bytes32 public constant EIP712DOMAIN_TYPEHASH = ChequeHashing.EIP712DOMAIN_TYPEHASH;
    /// @inheritdoc IChequebook
    bytes32 public constant CHEQUE_TYPEHASH = ChequeHashing.CHEQUE_TYPEHASH;
    /// @inheritdoc IChequebook
    bytes32 public constant CASHOUT_TYPEHASH = ChequeHashing.CASHOUT_TYPEHASH;
    /// @inheritdoc IChequebook
    bytes32 public constant BENEFICIARY_CASHOUT_TYPEHASH = ChequeHashing.BENEFICIARY_CASHOUT_TYPEHASH;
    /// @inheritdoc IChequebook
    bytes32 public constant CUSTOMDECREASETIMEOUT_TYPEHASH = ChequeHashing.CUSTOMDECREASETIMEOUT_TYPEHASH;

    /// @dev Length of the ERC-1167 proxy code that precedes the immutable arguments in a clone.
    uint256 internal constant PROXY_CODE_LENGTH = 45;
    /// @dev Length of the immutable arguments: issuer (20 bytes) and default timeout (uint64).
    uint256 internal constant ARGS_LENGTH = 28;

    IERC20 private immutable _token;
    address private immutable _self;
    uint256 private immutable _cachedChainId;
    bytes32 private immutable _cachedDomainSeparator;

    mapping(address beneficiary => Account) private _accounts;
    mapping(address beneficiary => Schedule) private _schedules;
    /// @inheritdoc IChequebook
    mapping(address beneficiary => uint256) public lastCashoutPayout;
    /// @dev CustomDecreaseTimeout authorisations used or cancelled, by EIP-712 digest.
    mapping(bytes32 digest => bool) private _usedTimeoutAuthorisations;
    Totals private _totals;
    /// @inheritdoc IChequebook
    bool public bounced;
    /// @dev The total paid out, divided by 2^128. Each beneficiary's paid-out amount is bounded by the cheques it
    /// holds, but their sum is not: an issuer can run any amount through its own chequebook (deposit, cash to
    /// itself) at no cost, with a flash loan in one transaction. If that sum had to fit in 128 bits, such an issuer
    /// could make every cash-out revert, then wait out the timeout and take the hard deposits back.
    uint256 private _totalPaidOutHigh;

    /// @dev Creates the logic contract for chequebooks paying in `token_`.
    constructor(address token_) {
        _token = IERC20(token_);
        _self = address(this);
        _cachedChainId = block.chainid;
        _cachedDomainSeparator = ChequeHashing.domainSeparator(block.chainid);
    }

    /// @inheritdoc IChequebook
    function init(address, address, uint256) external pure {
        revert ChequebookAlreadyInitialized();
    }

    /// @inheritdoc IChequebook
    function cashChequeBeneficiary(address recipient, uint256 cumulativePayout, bytes calldata issuerSig)
        external
        nonReentrant
    {
        _cash(msg.sender, recipient, cumulativePayout, 0, issuerSig, false);
    }

    /// @inheritdoc IChequebook
    function cashCheque(
        address beneficiary,
        address recipient,
        uint256 cumulativePayout,
        bytes calldata beneficiarySig,
        uint256 callerPayout,
        bytes calldata issuerSig
    ) external nonReentrant {
        uint256 lastUsed = lastCashoutPayout[beneficiary];
        if (cumulativePayout <= lastUsed) revert ChequebookCashoutAlreadyUsed(cumulativePayout, lastUsed);
        _checkCashout(beneficiary, recipient, cumulativePayout, callerPayout, beneficiarySig);
        lastCashoutPayout[beneficiary] = cumulativePayout;
        _cash(beneficiary, recipient, cumulativePayout, callerPayout, issuerSig, true);
    }

    /// @inheritdoc IChequebook
    function deposit(uint256 amount) external nonReentrant {
        _deposit(amount);
    }

    /// @inheritdoc IChequebook
    function depositWithPermit(uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s) external nonReentrant {
        try IERC20Permit(address(_token)).permit(msg.sender, address(this), amount, deadline, v, r, s) {} catch {}
        _deposit(amount);
    }

    /// @inheritdoc IChequebook
    function withdraw(uint256 amount) external nonReentrant {
        address issuer_ = _checkIssuer();
        if (amount == 0) revert ChequebookZeroAmount();
        uint256 available = _liquidBalance();
        if (amount > available) revert ChequebookInsufficientLiquidity(available, amount);
        emit Withdraw(amount);
        _token.safeTransfer(issuer_, amount);
    }

    /// @inheritdoc IChequebook
    function increaseHardDeposit(address beneficiary, uint256 amount) external nonReentrant {
        _checkIssuer();
        if (beneficiary == address(0)) revert ChequebookInvalidAddress(beneficiary);
        if (amount == 0) revert ChequebookZeroAmount();
        uint256 newTotal = uint256(_totals.hardDeposit) + amount;
        uint256 balance_ = _balance();
        if (newTotal > balance_) revert ChequebookHardDepositExceedsBalance(balance_, newTotal);

        Account storage account = _accounts[beneficiary];
        uint256 newAmount = uint256(account.hardDeposit) + amount;
        account.hardDeposit = newAmount.toUint128();
        _totals.hardDeposit = newTotal.toUint128();

        Schedule storage schedule = _schedules[beneficiary];
        if (schedule.decreaseAmount != 0) {
            uint256 cancelled = schedule.decreaseAmount;
            schedule.decreaseAmount = 0;
            schedule.preparedAt = 0;
            emit HardDepositDecreaseCancelled(beneficiary, cancelled);
        }
        emit HardDepositAmountChanged(beneficiary, newAmount);
    }

    /// @inheritdoc IChequebook
    function prepareDecreaseHardDeposit(address beneficiary, uint256 decreaseAmount) external nonReentrant {
        _checkIssuer();
        if (decreaseAmount == 0) revert ChequebookZeroAmount();
        uint256 hardDeposit = _accounts[beneficiary].hardDeposit;
        if (decreaseAmount > hardDeposit) revert ChequebookDecreaseExceedsHardDeposit(hardDeposit, decreaseAmount);

        Schedule storage schedule = _schedules[beneficiary];
        schedule.preparedAt = uint64(block.timestamp);
        schedule.decreaseAmount = uint128(decreaseAmount); // 0 < decreaseAmount <= hardDeposit < 2^128
        emit HardDepositDecreasePrepared(beneficiary, decreaseAmount);
    }

    /// @inheritdoc IChequebook
    function decreaseHardDeposit(address beneficiary) external nonReentrant {
        Schedule storage schedule = _schedules[beneficiary];
        if (schedule.decreaseAmount == 0) revert ChequebookNoDecreasePrepared(beneficiary);
        uint256 due = _decreaseDueAt(schedule.preparedAt, _timeoutInForce(schedule.timeout));
        if (block.timestamp < due) revert ChequebookDecreaseNotDue(due);

        Account storage account = _accounts[beneficiary];
        // Cash-outs since the decrease was prepared may have used part of the deposit: take what is left.
        uint128 decrease = uint128(Math.min(schedule.decreaseAmount, account.hardDeposit));
        uint128 newAmount = account.hardDeposit - decrease;
        account.hardDeposit = newAmount;
        _totals.hardDeposit -= decrease;
        schedule.decreaseAmount = 0;
        schedule.preparedAt = 0;
        emit HardDepositAmountChanged(beneficiary, newAmount);
    }

    /// @inheritdoc IChequebook
    function setCustomHardDepositTimeout(address beneficiary, uint256 hardDepositTimeout, bytes calldata beneficiarySig)
        external
        nonReentrant
    {
        _checkIssuer();
        bytes32 digest = _timeoutAuthorisationDigest(beneficiary, hardDepositTimeout);
        if (_usedTimeoutAuthorisations[digest]) revert ChequebookTimeoutAuthorisationUsed(digest);
        if (!_isValidSignature(beneficiary, digest, beneficiarySig)) revert ChequebookInvalidBeneficiarySignature();
        _usedTimeoutAuthorisations[digest] = true;
        Schedule storage schedule = _schedules[beneficiary];
        schedule.timeout = hardDepositTimeout.toUint64();
        // A pending decrease gets the new timeout's full notice from now: otherwise an issuer could prepare under a
        // long timeout, wait out a short one signed earlier, then set it and decrease in the same block.
        if (schedule.decreaseAmount != 0) schedule.preparedAt = uint64(block.timestamp);
        emit HardDepositTimeoutChanged(beneficiary, hardDepositTimeout);
    }

    /// @inheritdoc IChequebook
    function cancelCustomHardDepositTimeout(uint256 decreaseTimeout) external nonReentrant {
        bytes32 digest = _timeoutAuthorisationDigest(msg.sender, decreaseTimeout);
        if (_usedTimeoutAuthorisations[digest]) revert ChequebookTimeoutAuthorisationUsed(digest);
        _usedTimeoutAuthorisations[digest] = true;
        emit CustomHardDepositTimeoutCancelled(msg.sender, decreaseTimeout);
    }

    /// @inheritdoc IChequebook
    function customHardDepositTimeoutUsed(address beneficiary, uint256 decreaseTimeout) external view returns (bool) {
        return _usedTimeoutAuthorisations[_timeoutAuthorisationDigest(beneficiary, decreaseTimeout)];
    }

    /// @inheritdoc IChequebook
    function effectiveHardDepositTimeout(address beneficiary)
        external
        view
        returns (uint256 timeout, uint256 decreasePreparedAt, uint256 canBeDecreasedAt)
    {
        Schedule memory schedule = _schedules[beneficiary];
        timeout = _timeoutInForce(schedule.timeout);
        if (schedule.decreaseAmount != 0) {
            decreasePreparedAt = schedule.preparedAt;
            canBeDecreasedAt = _decreaseDueAt(schedule.preparedAt, timeout);
        }
    }

    /// @inheritdoc IChequebook
    function balance() external view returns (uint256) {
        return _balance();
    }

    /// @inheritdoc IChequebook
    function liquidBalance() external view nonReentrantView returns (uint256) {
        return _liquidBalance();
    }

    /// @inheritdoc IChequebook
    function liquidBalanceFor(address beneficiary) external view nonReentrantView returns (uint256) {
        return _liquidBalanceFor(_balance(), _totals.hardDeposit, _accounts[beneficiary].hardDeposit);
    }

    /// @inheritdoc IChequebook
    function issuer() external view returns (address issuer_) {
        (issuer_, ) = _cloneArgs();
    }

    /// @inheritdoc IChequebook
    function defaultHardDepositTimeout() public view returns (uint256 timeout) {
        (, timeout) = _cloneArgs();
    }

    /// @inheritdoc IChequebook
    function token() external view returns (address) {
        return address(_token);
    }

    /// @inheritdoc IChequebook
    function paidOut(address beneficiary) external view returns (uint256) {
        return _accounts[beneficiary].paidOut;
    }

    /// @inheritdoc IChequebook
    function totalPaidOut() external view returns (uint256) {
        return (_totalPaidOutHigh << 128) | _totals.paidOut;
    }

    /// @inheritdoc IChequebook
    function totalHardDeposit() external view returns (uint256) {
        return _totals.hardDeposit;
    }

    /// @inheritdoc IChequebook
    function hardDeposits(address beneficiary)
        external
        view
        returns (uint256 amount, uint256 decreaseAmount, uint256 timeout, uint256 canBeDecreasedAt)
    {
        Schedule memory schedule = _schedules[beneficiary];
        uint256 due = schedule.decreaseAmount == 0
            ? 0
            : _decreaseDueAt(schedule.preparedAt, _timeoutInForce(schedule.timeout));
        return (_accounts[beneficiary].hardDeposit, schedule.decreaseAmount, schedule.timeout, due);
    }

    /// @inheritdoc IChequebook
    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return _domainSeparator();
    }

    /**
     * @dev Pays `beneficiary` what `cumulativePayout` still owes it, as far as liquidity and the real token balance
     * allow (all of it or nothing if `relayed`): checks, then effects, then the transfers.
     */
    function _cash(
        address beneficiary,
        address recipient,
        uint256 cumulativePayout,
        uint256 callerPayout,
        bytes calldata issuerSig,
        bool relayed
    ) private {
        if (recipient == address(0) || recipient == address(this)) revert ChequebookInvalidAddress(recipient);
        (address issuer_, ) = _cloneArgs();
        if (msg.sender != issuer_) {
            bytes32 digest = _hashTypedData(ChequeHashing.hashCheque(address(this), beneficiary, cumulativePayout));
            if (!_isValidSignature(issuer_, digest, issuerSig)) revert ChequebookInvalidIssuerSignature();
        }

        Account memory account = _accounts[beneficiary];
        if (cumulativePayout <= account.paidOut) {
            revert ChequebookChequeAlreadyCashed(cumulativePayout, account.paidOut);
        }
        uint256 requested = cumulativePayout - account.paidOut;
        Totals memory totals = _totals;
        // Always against the real balance: a token may have shrunk it below the hard deposits.
        uint256 available = _liquidBalanceFor(_balance(), totals.hardDeposit, account.hardDeposit);
        uint256 payout = Math.min(requested, available);
        if (payout == 0) revert ChequebookNoLiquidity(requested);
        if (relayed && payout != requested) revert ChequebookCashoutWouldBounce(requested, available);
        if (callerPayout > payout) revert ChequebookCallerPayoutTooHigh(callerPayout, payout);

        uint128 payout128 = payout.toUint128();
        uint128 fromHardDeposit = uint128(Math.min(payout, account.hardDeposit));
        uint128 hardDepositLeft = account.hardDeposit - fromHardDeposit;
        _accounts[beneficiary] = Account({
            paidOut: (uint256(account.paidOut) + payout).toUint128(),
            hardDeposit: hardDepositLeft
        });
        // The low 128 bits of the total wrap into `_totalPaidOutHigh`: the total is exact and never blocks a cash-out.
        uint256 totalPaidOutLow = uint256(totals.paidOut) + payout128;
        if (totalPaidOutLow > type(uint128).max) {
            ++_totalPaidOutHigh;
            totalPaidOutLow -= 1 << 128;
        }
        _totals = Totals({paidOut: uint128(totalPaidOutLow), hardDeposit: totals.hardDeposit - fromHardDeposit});
        if (fromHardDeposit != 0) emit HardDepositAmountChanged(beneficiary, hardDepositLeft);
        emit ChequeCashed(beneficiary, recipient, msg.sender, payout128, cumulativePayout, callerPayout);
        if (payout != requested) {
            bounced = true;
            emit ChequeBounced();
        }

        if (callerPayout != 0) _token.safeTransfer(msg.sender, callerPayout);
        if (payout != callerPayout) _token.safeTransfer(recipient, payout - callerPayout);
    }

    /// @dev Pulls `amount` from the caller and reports what actually arrived.
    function _deposit(uint256 amount) private {
        if (amount == 0) revert ChequebookZeroAmount();
        uint256 before = _balance();
        _token.safeTransferFrom(msg.sender, address(this), amount);
        emit Deposited(msg.sender, _balance() - before);
    }

    /// @dev Reverts unless the caller is the issuer; returns the issuer.
    function _checkIssuer() private view returns (address issuer_) {
        (issuer_, ) = _cloneArgs();
        if (msg.sender != issuer_) revert ChequebookUnauthorized(msg.sender);
    }

    /**
     * @dev Reverts unless `signature` authorises this cash-out for `beneficiary` (see {IChequebook-cashCheque}):
     * Swarm's Cashout signed by the beneficiary's key, or the BeneficiaryCashout, which names the beneficiary,
     * approved by the beneficiary contract. The second digest is only computed for contract beneficiaries.
     */
    function _checkCashout(
        address beneficiary,
        address recipient,
        uint256 cumulativePayout,
        uint256 callerPayout,
        bytes calldata signature
    ) private view {
        bytes32 digest = _hashTypedData(
            ChequeHashing.hashCashout(address(this), msg.sender, cumulativePayout, recipient, callerPayout)
        );
        (address recovered, ECDSA.RecoverError err, ) = ECDSA.tryRecoverCalldata(digest, signature);
        if (err == ECDSA.RecoverError.NoError && recovered == beneficiary) return;
        if (beneficiary.code.length != 0) {
            bytes32 bound = _hashTypedData(
                ChequeHashing.hashBeneficiaryCashout(
                    address(this), beneficiary, msg.sender, cumulativePayout, recipient, callerPayout
                )
            );
            if (SignatureChecker.isValidERC1271SignatureNowCalldata(beneficiary, bound, signature)) return;
        }
        revert ChequebookInvalidBeneficiarySignature();
    }

    /**
     * @dev Whether `signature` is `signer`'s on `digest`: an ECDSA signature of the signer's key (65 bytes, low s,
     * v in {27, 28}), else an ERC-1271 approval by the signer contract. ECDSA is tried first so that EOA signers
     * cost no EXTCODESIZE.
     */
    function _isValidSignature(address signer, bytes32 digest, bytes calldata signature) private view returns (bool) {
        (address recovered, ECDSA.RecoverError err, ) = ECDSA.tryRecoverCalldata(digest, signature);
        if (err == ECDSA.RecoverError.NoError && recovered == signer) return true;
        return signer.code.length != 0 && SignatureChecker.isValidERC1271SignatureNowCalldata(signer, digest, signature);
    }

    /// @dev The EIP-712 digest of `beneficiary`'s CustomDecreaseTimeout authorisation for `timeout`.
    function _timeoutAuthorisationDigest(address beneficiary, uint256 timeout) private view returns (bytes32) {
        return _hashTypedData(ChequeHashing.hashCustomDecreaseTimeout(address(this), beneficiary, timeout));
    }

    /// @dev The timeout in force for a beneficiary whose custom timeout is `customTimeout` (0: the default).
    function _timeoutInForce(uint256 customTimeout) private view returns (uint256) {
        return customTimeout != 0 ? customTimeout : defaultHardDepositTimeout();
    }

    /// @dev When a decrease announced at `preparedAt` can be applied under `timeout`. Saturates at 2^64 - 1: a
    /// timeout near 2^64 seconds means "never", not a revert.
    function _decreaseDueAt(uint256 preparedAt, uint256 timeout) private pure returns (uint256) {
        return Math.min(preparedAt + timeout, type(uint64).max);
    }

    /// @dev The EIP-712 digest of `structHash` in this chain's domain.
    function _hashTypedData(bytes32 structHash) private view returns (bytes32) {
        return MessageHashUtils.toTypedDataHash(_domainSeparator(), structHash);
    }

    /// @dev The cached domain separator, recomputed only if the chain id changed (after a fork).
    function _domainSeparator() private view returns (bytes32) {
        return block.chainid == _cachedChainId ? _cachedDomainSeparator : ChequeHashing.domainSeparator(block.chainid);
    }

    function _balance() private view returns (uint256) {
        return _token.balanceOf(address(this));
    }

    /// @dev The balance not reserved by hard deposits (0 if the balance fell below them).
    function _liquidBalance() private view returns (uint256) {
        uint256 balance_ = _balance();
        uint256 reserved = _totals.hardDeposit;
        return balance_ > reserved ? balance_ - reserved : 0;
    }

    /// @dev What can be paid to a beneficiary holding `hardDeposit`: the liquid balance plus its own deposit.
    function _liquidBalanceFor(uint256 balance_, uint256 totalHardDeposit_, uint256 hardDeposit)
        private
        pure
        returns (uint256)
    {
        uint256 liquid = balance_ > totalHardDeposit_ ? balance_ - totalHardDeposit_ : 0;
        return Math.min(balance_, liquid + hardDeposit);
    }

    /**
     * @dev The clone's immutable arguments, read from its own code after the proxy: the issuer and the default
     * timeout. The logic contract has none and answers (0, 0), which leaves it inert.
     */
    function _cloneArgs() private view returns (address issuer_, uint256 timeout) {
        if (address(this) == _self) return (address(0), 0);
        assembly ("memory-safe") {
            // 28 bytes into scratch space: issuer in the top 20 bytes of the word, then the 8-byte timeout.
            extcodecopy(address(), 0x00, PROXY_CODE_LENGTH, ARGS_LENGTH)
            let word := mload(0x00)
            issuer_ := shr(96, word)
            timeout := and(shr(32, word), 0xffffffffffffffff)
        }
    }
}
