// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
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
 * Amounts are kept in 128 bits (paid out and hard deposit of a beneficiary share one storage slot, as do the two
 * totals); amounts above 2^128 - 1 revert with SafeCast's error.
 *
 * WARNING: The logic contract itself is inert (it has no issuer, so nobody can withdraw from it or sign for it):
 * never send tokens to it, only to the clones.
 */
contract Chequebook is IChequebook {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    /// @dev Paid out to one beneficiary, and its hard deposit; read and written together by every cash-out.
    struct Account {
        uint128 paidOut;
        uint128 hardDeposit;
    }

    /// @dev A prepared hard-deposit decrease and the beneficiary's custom timeout (0: the default).
    struct Schedule {
        uint128 decreaseAmount;
        uint64 canBeDecreasedAt;
        uint64 timeout;
    }

    /// @dev The sums over all beneficiaries.
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
    mapping(bytes32 digest => bool) private _usedTimeoutAuthorisations;
    Totals private _totals;
    /// @inheritdoc IChequebook
    bool public bounced;

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
    function cashChequeBeneficiary(address recipient, uint256 cumulativePayout, bytes calldata issuerSig) external {
        _cash(msg.sender, recipient, cumulativePayout, 0, issuerSig);
    }

    /// @inheritdoc IChequebook
    function cashCheque(
        address beneficiary,
        address recipient,
        uint256 cumulativePayout,
        bytes calldata beneficiarySig,
        uint256 callerPayout,
        bytes calldata issuerSig
    ) external {
        uint256 lastUsed = lastCashoutPayout[beneficiary];
        if (cumulativePayout <= lastUsed) revert ChequebookCashoutAlreadyUsed(cumulativePayout, lastUsed);
        bytes32 digest = _hashTypedData(
            ChequeHashing.hashCashout(address(this), msg.sender, cumulativePayout, recipient, callerPayout)
        );
        if (!_isValidSignature(beneficiary, digest, beneficiarySig)) revert ChequebookInvalidBeneficiarySignature();
        lastCashoutPayout[beneficiary] = cumulativePayout;
        _cash(beneficiary, recipient, cumulativePayout, callerPayout, issuerSig);
    }

    /// @inheritdoc IChequebook
    function deposit(uint256 amount) external {
        _deposit(amount);
    }

    /// @inheritdoc IChequebook
    function depositWithPermit(uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s) external {
        try IERC20Permit(address(_token)).permit(msg.sender, address(this), amount, deadline, v, r, s) {} catch {}
        _deposit(amount);
    }

    /// @inheritdoc IChequebook
    function withdraw(uint256 amount) external {
        address issuer_ = _checkIssuer();
        if (amount == 0) revert ChequebookZeroAmount();
        uint256 available = liquidBalance();
        if (amount > available) revert ChequebookInsufficientLiquidity(available, amount);
        emit Withdraw(amount);
        _token.safeTransfer(issuer_, amount);
    }

    /// @inheritdoc IChequebook
    function increaseHardDeposit(address beneficiary, uint256 amount) external {
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
        if (schedule.canBeDecreasedAt != 0) {
            uint256 cancelled = schedule.decreaseAmount;
            schedule.decreaseAmount = 0;
            schedule.canBeDecreasedAt = 0;
            emit HardDepositDecreaseCancelled(beneficiary, cancelled);
        }
        emit HardDepositAmountChanged(beneficiary, newAmount);
    }

    /// @inheritdoc IChequebook
    function prepareDecreaseHardDeposit(address beneficiary, uint256 decreaseAmount) external {
        _checkIssuer();
        if (decreaseAmount == 0) revert ChequebookZeroAmount();
        uint256 hardDeposit = _accounts[beneficiary].hardDeposit;
        if (decreaseAmount > hardDeposit) revert ChequebookDecreaseExceedsHardDeposit(hardDeposit, decreaseAmount);

        Schedule storage schedule = _schedules[beneficiary];
        uint256 timeout = schedule.timeout != 0 ? schedule.timeout : defaultHardDepositTimeout();
        // Saturates: a timeout near 2^64 seconds means "never", not a revert.
        schedule.canBeDecreasedAt = uint64(Math.min(block.timestamp + timeout, type(uint64).max));
        schedule.decreaseAmount = uint128(decreaseAmount); // <= hardDeposit, which fits in 128 bits
        emit HardDepositDecreasePrepared(beneficiary, decreaseAmount);
    }

    /// @inheritdoc IChequebook
    function decreaseHardDeposit(address beneficiary) external {
        Schedule storage schedule = _schedules[beneficiary];
        uint256 due = schedule.canBeDecreasedAt;
        if (due == 0) revert ChequebookNoDecreasePrepared(beneficiary);
        if (block.timestamp < due) revert ChequebookDecreaseNotDue(due);

        Account storage account = _accounts[beneficiary];
        // Cash-outs since the decrease was prepared may have used part of the deposit: take what is left.
        uint128 decrease = uint128(Math.min(schedule.decreaseAmount, account.hardDeposit));
        uint128 newAmount = account.hardDeposit - decrease;
        account.hardDeposit = newAmount;
        _totals.hardDeposit -= decrease;
        schedule.decreaseAmount = 0;
        schedule.canBeDecreasedAt = 0;
        emit HardDepositAmountChanged(beneficiary, newAmount);
    }

    /// @inheritdoc IChequebook
    function setCustomHardDepositTimeout(address beneficiary, uint256 hardDepositTimeout, bytes calldata beneficiarySig)
        external
    {
        _checkIssuer();
        bytes32 digest = _hashTypedData(
            ChequeHashing.hashCustomDecreaseTimeout(address(this), beneficiary, hardDepositTimeout)
        );
        if (_usedTimeoutAuthorisations[digest]) revert ChequebookTimeoutAuthorisationUsed(digest);
        if (!_isValidSignature(beneficiary, digest, beneficiarySig)) revert ChequebookInvalidBeneficiarySignature();
        _usedTimeoutAuthorisations[digest] = true;
        _schedules[beneficiary].timeout = hardDepositTimeout.toUint64();
        emit HardDepositTimeoutChanged(beneficiary, hardDepositTimeout);
    }

    /// @inheritdoc IChequebook
    function balance() external view returns (uint256) {
        return _balance();
    }

    /// @inheritdoc IChequebook
    function liquidBalance() public view returns (uint256) {
        uint256 balance_ = _balance();
        uint256 reserved = _totals.hardDeposit;
        return balance_ > reserved ? balance_ - reserved : 0;
    }

    /// @inheritdoc IChequebook
    function liquidBalanceFor(address beneficiary) external view returns (uint256) {
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
        return _totals.paidOut;
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
        return (_accounts[beneficiary].hardDeposit, schedule.decreaseAmount, schedule.timeout, schedule.canBeDecreasedAt);
    }

    /// @inheritdoc IChequebook
    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return _domainSeparator();
    }

    /**
     * @dev Pays `beneficiary` what `cumulativePayout` still owes it, as far as liquidity allows: checks, then
     * effects, then the transfers.
     */
    function _cash(
        address beneficiary,
        address recipient,
        uint256 cumulativePayout,
        uint256 callerPayout,
        bytes calldata issuerSig
    ) private {
        if (recipient == address(0)) revert ChequebookInvalidAddress(recipient);
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
        uint256 payout = requested;
        // A request within the beneficiary's hard deposit is covered by construction: no balance call needed.
        if (requested > account.hardDeposit) {
            uint256 available = _liquidBalanceFor(_balance(), totals.hardDeposit, account.hardDeposit);
            if (available < requested) payout = available;
        }
        if (payout == 0) revert ChequebookNoLiquidity(requested);
        if (callerPayout > payout) revert ChequebookCallerPayoutTooHigh(callerPayout, payout);

        uint128 payout128 = payout.toUint128();
        uint128 fromHardDeposit = uint128(Math.min(payout, account.hardDeposit));
        _accounts[beneficiary] = Account({
            paidOut: (uint256(account.paidOut) + payout).toUint128(),
            hardDeposit: account.hardDeposit - fromHardDeposit
        });
        _totals = Totals({
            paidOut: (uint256(totals.paidOut) + payout).toUint128(),
            hardDeposit: totals.hardDeposit - fromHardDeposit
        });
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
     * @dev Whether `signature` is `signer`'s on `digest`: an ECDSA signature of the signer's key (65 bytes, low s,
     * v in {27, 28}), else an ERC-1271 approval by the signer contract. ECDSA is tried first so that EOA signers
     * cost no EXTCODESIZE.
     */
    function _isValidSignature(address signer, bytes32 digest, bytes calldata signature) private view returns (bool) {
        (address recovered, ECDSA.RecoverError err, ) = ECDSA.tryRecoverCalldata(digest, signature);
        if (err == ECDSA.RecoverError.NoError && recovered == signer) return true;
        return signer.code.length != 0 && SignatureChecker.isValidERC1271SignatureNowCalldata(signer, digest, signature);
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
