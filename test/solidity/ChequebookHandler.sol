// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";

import {Chequebook} from "../../contracts/Chequebook.sol";
import {ChequeHashing} from "../../contracts/libraries/ChequeHashing.sol";
import {CallbackToken} from "../../contracts/mocks/CallbackToken.sol";
import {ERC1271Wallet} from "../../contracts/mocks/ERC1271Wallet.sol";
import {ReentrantActor} from "../../contracts/mocks/ReentrantActor.sol";
import {ShrinkingToken} from "../../contracts/mocks/ShrinkingToken.sol";
import {TestBase} from "./Vm.sol";

/// @dev The test tokens: an ERC20 anyone may mint.
interface IMintableERC20 is IERC20 {
    function mint(address to, uint256 amount) external;
}

/**
 * @dev Drives one chequebook through random sequences of everything its actors can do: the issuer deposits,
 * withdraws (including attempts to take too much) and manages hard deposits; three beneficiaries cash cheques
 * directly or through a third party; anyone applies due decreases; time moves on. A hostile contract (a
 * {ReentrantActor}) is a fourth beneficiary and a relayer: when the token calls it back (a {CallbackToken}) it
 * re-enters the chequebook, cashing again, relaying another authorisation or applying a decrease, and swallows
 * a refusal so the outer call goes on. The issuer also runs up to 2^128 units at a time through its own
 * chequebook (deposit, then cash to itself, which needs no signature: free with a flash loan), agrees custom
 * timeouts with the beneficiaries, who cancel authorisations too. Ghost variables record what went in, what came
 * out, what was promised and when each decrease was announced, for the invariants to check; and after each of
 * its moves a beneficiary holding a hard deposit checks that a cheque the deposit covers is paid in full.
 */
contract ChequebookHandler is TestBase {
    uint256 internal constant MAX_AMOUNT = 1e30;

    IMintableERC20 public immutable token;
    Chequebook public immutable chequebook;
    uint256 internal immutable issuerKey;
    address public immutable issuer;
    address public immutable relayer;
    ReentrantActor public immutable actor;
    /// @dev A contract beneficiary owned by the first beneficiary's key: two identities, one key.
    ERC1271Wallet public immutable wallet;

    uint256[] internal beneficiaryKeys; // of the first three beneficiaries; the fourth is the actor
    address[] public beneficiaries;

    uint256 public ghostTokensIn;
    uint256 public ghostWithdrawn;
    uint256 public ghostSlashed; // taken from the chequebook by the token itself (a ShrinkingToken only)
    uint256 public ghostCallerFees;
    mapping(address => uint256) public ghostPromised; // highest cheque the issuer signed for each beneficiary
    mapping(address => uint256) internal lastPaidOut;
    uint256 internal lastTotalPaidOut;

    bool public paidOutDecreased;
    bool public paidMoreThanPromised;
    bool public hardDepositWithdrawn;
    bool public coveredChequeUnpaid;
    bool public decreasedEarly;
    bool public spentTimeoutAuthorisationApplied;
    bool public crossIdentityCashout;
    uint256 public coveredCashouts;
    uint256 public calls;

    uint256 internal constant DEFAULT_TIMEOUT = 1 days;
    mapping(address => uint256) internal ghostPreparedAt; // when a pending decrease's notice started (0: none)
    mapping(address => uint256) internal ghostCustomTimeout; // the custom timeout last applied (0: the default)
    mapping(address => mapping(uint256 => bool)) internal ghostTimeoutSpent; // authorisations used or cancelled

    constructor(IMintableERC20 token_, Chequebook chequebook_, uint256 issuerKey_) {
        token = token_;
        chequebook = chequebook_;
        issuerKey = issuerKey_;
        issuer = vm.addr(issuerKey_);
        relayer = address(0x5E1A7E5);
        for (uint256 i = 1; i <= 3; ++i) {
            uint256 key = uint256(keccak256(abi.encode("beneficiary", i))) % 2 ** 160 + 1;
            beneficiaryKeys.push(key);
            beneficiaries.push(vm.addr(key));
        }
        actor = new ReentrantActor(address(this));
        beneficiaries.push(address(actor));
        beneficiaries.push(issuer); // the issuer cashes to itself too (see issuerCyclesThroughItself)
        wallet = new ERC1271Wallet(beneficiaries[0]);
        beneficiaries.push(address(wallet));
        // Callbacks only with a CallbackToken; with a plain token the actor is an ordinary contract.
        try actor.execute(address(token_), abi.encodeCall(CallbackToken.setHooked, (true))) {} catch {}
    }

    function beneficiaryCount() external view returns (uint256) {
        return beneficiaries.length;
    }

    // ----- issuer -----

    function deposit(uint256 amount) external {
        amount = bound(amount, 1, MAX_AMOUNT);
        token.mint(issuer, amount);
        vm.startPrank(issuer);
        token.approve(address(chequebook), amount);
        chequebook.deposit(amount);
        vm.stopPrank();
        ghostTokensIn += amount;
        _check();
    }

    function transferIn(uint256 amount) external {
        amount = bound(amount, 1, MAX_AMOUNT);
        token.mint(address(chequebook), amount);
        ghostTokensIn += amount;
        _check();
    }

    /// @dev The token takes part of the chequebook's balance (a negative rebase, a slashing), if it can: it leaves
    /// less than the hard deposits when there are some, where the damage is.
    function slash(uint256 left) external {
        uint256 balance_ = chequebook.balance();
        if (balance_ == 0) return;
        uint256 reserved = chequebook.totalHardDeposit();
        left = bound(left, 0, (reserved != 0 && reserved <= balance_ ? reserved : balance_) - 1);
        uint256 amount = balance_ - left;
        try ShrinkingToken(address(token)).slash(address(chequebook), amount) {
            ghostSlashed += amount;
            // Every beneficiary holding a hard deposit cashes what it covers at once: each is paid what is left.
            for (uint256 i = 0; i < beneficiaryKeys.length; ++i) _cashCovered(i);
        } catch {}
        _check();
    }

    function withdraw(uint256 amount) external {
        uint256 liquid = chequebook.liquidBalance();
        if (liquid == 0) return;
        amount = bound(amount, 1, liquid);
        vm.prank(issuer);
        chequebook.withdraw(amount);
        ghostWithdrawn += amount;
        _check();
    }

    /// @dev The issuer tries to take more than the liquid balance: it must always fail.
    function withdrawBeyondLiquid(uint256 extra) external {
        uint256 amount = chequebook.liquidBalance() + bound(extra, 1, MAX_AMOUNT);
        vm.prank(issuer);
        try chequebook.withdraw(amount) {
            hardDepositWithdrawn = true;
            ghostWithdrawn += amount;
        } catch {}
        _check();
    }

    function increaseHardDeposit(uint256 who, uint256 amount) external {
        uint256 balance_ = chequebook.balance();
        uint256 reserved = chequebook.totalHardDeposit();
        uint256 room = balance_ > reserved ? balance_ - reserved : 0;
        if (room == 0) return;
        amount = bound(amount, 1, room < MAX_AMOUNT ? room : MAX_AMOUNT);
        address b = _beneficiary(who);
        vm.prank(issuer);
        try chequebook.increaseHardDeposit(b, amount) {
            ghostPreparedAt[b] = 0; // cancels a pending decrease
        } catch {}
        _check();
    }

    function prepareDecreaseHardDeposit(uint256 who, uint256 amount) external {
        address b = _beneficiary(who);
        (uint256 deposit_, , , ) = chequebook.hardDeposits(b);
        if (deposit_ == 0) return;
        amount = bound(amount, 1, deposit_);
        vm.prank(issuer);
        chequebook.prepareDecreaseHardDeposit(b, amount);
        ghostPreparedAt[b] = block.timestamp;
        _check();
    }

    function decreaseHardDeposit(uint256 who, uint256 wait) external {
        address b = _beneficiary(who);
        (, , , uint256 due) = chequebook.hardDeposits(b);
        if (due == 0) return;
        vm.warp(block.timestamp + bound(wait, 0, 3 days));
        try chequebook.decreaseHardDeposit(b) {
            // Never before the start of its notice (the announcement, or a later change of the timeout) plus the
            // timeout in force now.
            uint256 timeout = ghostCustomTimeout[b] != 0 ? ghostCustomTimeout[b] : DEFAULT_TIMEOUT;
            if (ghostPreparedAt[b] == 0 || block.timestamp < ghostPreparedAt[b] + timeout) decreasedEarly = true;
            ghostPreparedAt[b] = 0;
        } catch {}
        _check();
    }

    /// @dev The issuer runs close to 2^128 units through its own chequebook: deposits them and cashes them back to
    /// itself without a signature. It costs nothing with a flash loan; no beneficiary may be worse off for it.
    function issuerCyclesThroughItself(uint256 shortOfMax) external {
        uint256 amount = type(uint128).max - bound(shortOfMax, 0, MAX_AMOUNT);
        token.mint(issuer, amount);
        vm.startPrank(issuer);
        token.approve(address(chequebook), amount);
        chequebook.deposit(amount);
        ghostTokensIn += amount;
        uint256 cumulative = chequebook.paidOut(issuer) + amount;
        if (cumulative > ghostPromised[issuer]) ghostPromised[issuer] = cumulative;
        try chequebook.cashChequeBeneficiary(issuer, cumulative, "") {} catch {}
        vm.stopPrank();
        _check();
    }

    /// @dev Beneficiary `who` signs a CustomDecreaseTimeout and the issuer applies it: it must be refused if that
    /// authorisation was used or cancelled before.
    function agreeTimeout(uint256 who, uint256 timeout) external {
        uint256 i = who % beneficiaryKeys.length;
        address b = beneficiaries[i];
        timeout = bound(timeout, 0, 4 days);
        bytes memory sig = sign(
            beneficiaryKeys[i], _digest(ChequeHashing.hashCustomDecreaseTimeout(address(chequebook), b, timeout))
        );
        vm.prank(issuer);
        try chequebook.setCustomHardDepositTimeout(b, timeout, sig) {
            if (ghostTimeoutSpent[b][timeout]) spentTimeoutAuthorisationApplied = true;
            ghostTimeoutSpent[b][timeout] = true;
            ghostCustomTimeout[b] = timeout;
            // A pending decrease's notice starts again: a shorter timeout must not make it due at once.
            if (ghostPreparedAt[b] != 0) ghostPreparedAt[b] = block.timestamp;
        } catch {}
        _check();
    }

    /// @dev Beneficiary `who` cancels its authorisation for `timeout`.
    function cancelTimeout(uint256 who, uint256 timeout) external {
        address b = beneficiaries[who % beneficiaryKeys.length];
        timeout = bound(timeout, 0, 4 days);
        vm.prank(b);
        try chequebook.cancelCustomHardDepositTimeout(timeout) {
            if (ghostTimeoutSpent[b][timeout]) spentTimeoutAuthorisationApplied = true;
            ghostTimeoutSpent[b][timeout] = true;
        } catch {}
        _check();
    }

    // ----- beneficiaries -----

    /// @dev Beneficiary `who` cashes a cheque its hard deposit covers: it must be paid the whole deposit, or the
    /// whole balance if the token shrank it below.
    function cashCovered(uint256 who) external {
        _cashCovered(who % beneficiaryKeys.length);
        _check();
    }

    function _cashCovered(uint256 i) internal {
        address b = beneficiaries[i];
        (uint256 deposit_, , , ) = chequebook.hardDeposits(b);
        if (deposit_ == 0) return;
        uint256 cumulative = chequebook.paidOut(b) + deposit_;
        if (cumulative > type(uint128).max) return; // a beneficiary's own amounts are bounded to 128 bits
        if (cumulative > ghostPromised[b]) ghostPromised[b] = cumulative;
        bytes memory sig = sign(issuerKey, _digest(ChequeHashing.hashCheque(address(chequebook), b, cumulative)));
        uint256 before = token.balanceOf(b);
        uint256 expected = deposit_;
        if (chequebook.balance() < expected) expected = chequebook.balance();
        if (expected == 0) return;
        vm.prank(b);
        try chequebook.cashChequeBeneficiary(b, cumulative, sig) {
            if (token.balanceOf(b) - before != expected) coveredChequeUnpaid = true;
            ++coveredCashouts;
        } catch {
            coveredChequeUnpaid = true;
        }
    }

    /// @dev The issuer signs a higher cheque and the beneficiary cashes it at once.
    function issueAndCash(uint256 who, uint256 increment) external {
        uint256 i = who % beneficiaries.length;
        address b = beneficiaries[i];
        uint256 cumulative = ghostPromised[b] + bound(increment, 1, MAX_AMOUNT);
        ghostPromised[b] = cumulative;
        bytes memory sig = sign(issuerKey, _digest(ChequeHashing.hashCheque(address(chequebook), b, cumulative)));
        vm.prank(b);
        try chequebook.cashChequeBeneficiary(b, cumulative, sig) {} catch {}
        _check();
    }

    /// @dev The beneficiary cashes its best cheque again, collecting what a bounce left.
    function cashAgain(uint256 who) external {
        address b = _beneficiary(who);
        uint256 cumulative = ghostPromised[b];
        if (cumulative == 0) return;
        bytes memory sig = sign(issuerKey, _digest(ChequeHashing.hashCheque(address(chequebook), b, cumulative)));
        vm.prank(b);
        try chequebook.cashChequeBeneficiary(b, cumulative, sig) {} catch {}
        _check();
    }

    /// @dev A relayer cashes a new cheque for the beneficiary and takes a fee.
    function issueAndCashViaRelayer(uint256 who, uint256 increment, uint256 fee) external {
        uint256 i = who % beneficiaryKeys.length;
        address b = beneficiaries[i];
        uint256 cumulative = ghostPromised[b] + bound(increment, 1, MAX_AMOUNT);
        ghostPromised[b] = cumulative;
        fee = bound(fee, 0, cumulative - chequebook.paidOut(b));
        bytes memory issuerSig = sign(issuerKey, _digest(ChequeHashing.hashCheque(address(chequebook), b, cumulative)));
        bytes memory beneficiarySig = sign(
            beneficiaryKeys[i],
            _digest(ChequeHashing.hashCashout(address(chequebook), relayer, cumulative, b, fee))
        );
        uint256 before = token.balanceOf(relayer);
        vm.prank(relayer);
        try chequebook.cashCheque(b, b, cumulative, beneficiarySig, fee, issuerSig) {} catch {}
        ghostCallerFees += token.balanceOf(relayer) - before;
        _check();
    }

    /// @dev The relayer cashes a new cheque of the wallet, with the wallet's approval (a BeneficiaryCashout its
    /// owner's key signed) or, if `crossed`, with an authorisation meant for the other identity of that key: the
    /// owner's own Cashout, or the wallet's approval presented for the owner's cheque. Crossed ones must fail.
    function walletCashViaRelayer(uint256 increment, uint256 fee, bool crossed, bool forOwner) external {
        address w = address(wallet);
        address owner = beneficiaries[0];
        address b = crossed && forOwner ? owner : w;
        uint256 cumulative = ghostPromised[b] + bound(increment, 1, MAX_AMOUNT);
        ghostPromised[b] = cumulative;
        fee = bound(fee, 0, cumulative - chequebook.paidOut(b));
        bytes32 structHash = crossed && !forOwner
            ? ChequeHashing.hashCashout(address(chequebook), relayer, cumulative, b, fee) // the owner's form, for the wallet
            : ChequeHashing.hashBeneficiaryCashout(address(chequebook), w, relayer, cumulative, b, fee); // the wallet's
        bytes memory beneficiarySig = sign(beneficiaryKeys[0], _digest(structHash));
        bytes memory issuerSig = sign(issuerKey, _digest(ChequeHashing.hashCheque(address(chequebook), b, cumulative)));
        uint256 before = token.balanceOf(relayer);
        vm.prank(relayer);
        try chequebook.cashCheque(b, b, cumulative, beneficiarySig, fee, issuerSig) {
            if (crossed) crossIdentityCashout = true;
        } catch {}
        ghostCallerFees += token.balanceOf(relayer) - before;
        _check();
    }

    // ----- the reentering actor -----

    /// @dev The actor cashes a new cheque of its own; the payout's callback re-enters with the action `kind` picks.
    function actorCashesAndReenters(uint256 increment, uint256 kind, uint256 who, uint256 increment2, uint256 fee) external {
        address a = address(actor);
        uint256 cumulative = ghostPromised[a] + bound(increment, 1, MAX_AMOUNT);
        ghostPromised[a] = cumulative;
        _armReentry(kind, who, increment2, fee);
        bytes memory sig = sign(issuerKey, _digest(ChequeHashing.hashCheque(address(chequebook), a, cumulative)));
        try actor.execute(address(chequebook), abi.encodeCall(Chequebook.cashChequeBeneficiary, (a, cumulative, sig))) {} catch {}
        actor.arm(address(0), "", 0, false);
        _check();
    }

    /// @dev The actor relays a beneficiary's new cheque for a fee; the fee's callback re-enters as `kind` picks
    /// (the exploit of issue 10: while the recipient's share is booked but not yet sent, relay another one).
    function actorRelaysAndReenters(uint256 who, uint256 increment, uint256 fee, uint256 kind, uint256 increment2, uint256 fee2)
        external
    {
        uint256 i = who % beneficiaryKeys.length;
        address b = beneficiaries[i];
        uint256 cumulative = ghostPromised[b] + bound(increment, 1, MAX_AMOUNT);
        ghostPromised[b] = cumulative;
        fee = bound(fee, 1, cumulative - chequebook.paidOut(b));
        (bytes memory issuerSig, bytes memory cashoutSig) = _relayed(i, cumulative, fee);
        _armReentry(kind, who, increment2, fee2);
        try actor.execute(
            address(chequebook), abi.encodeCall(Chequebook.cashCheque, (b, b, cumulative, cashoutSig, fee, issuerSig))
        ) {} catch {}
        actor.arm(address(0), "", 0, false);
        _check();
    }

    /// @dev Arms the actor with one reentrant call: cash its own higher cheque, relay a higher cheque of an EOA
    /// beneficiary, or apply a decrease.
    function _armReentry(uint256 kind, uint256 who, uint256 increment, uint256 fee) internal {
        bytes memory call;
        kind = kind % 3;
        if (kind == 0) {
            address a = address(actor);
            uint256 cumulative = ghostPromised[a] + bound(increment, 1, MAX_AMOUNT);
            ghostPromised[a] = cumulative;
            bytes memory sig = sign(issuerKey, _digest(ChequeHashing.hashCheque(address(chequebook), a, cumulative)));
            call = abi.encodeCall(Chequebook.cashChequeBeneficiary, (a, cumulative, sig));
        } else if (kind == 1) {
            uint256 i = who % beneficiaryKeys.length;
            address b = beneficiaries[i];
            uint256 cumulative = ghostPromised[b] + bound(increment, 1, MAX_AMOUNT);
            ghostPromised[b] = cumulative;
            fee = bound(fee, 0, 1e18);
            (bytes memory issuerSig, bytes memory cashoutSig) = _relayed(i, cumulative, fee);
            call = abi.encodeCall(Chequebook.cashCheque, (b, b, cumulative, cashoutSig, fee, issuerSig));
        } else {
            call = abi.encodeCall(Chequebook.decreaseHardDeposit, (_beneficiary(who)));
        }
        actor.arm(address(chequebook), call, 1, true);
    }

    /// @dev The issuer's cheque and beneficiary `i`'s Cashout for the actor as relayer.
    function _relayed(uint256 i, uint256 cumulative, uint256 fee) internal view returns (bytes memory, bytes memory) {
        address b = beneficiaries[i];
        return (
            sign(issuerKey, _digest(ChequeHashing.hashCheque(address(chequebook), b, cumulative))),
            sign(beneficiaryKeys[i], _digest(ChequeHashing.hashCashout(address(chequebook), address(actor), cumulative, b, fee)))
        );
    }

    function warp(uint256 by) external {
        vm.warp(block.timestamp + bound(by, 1, 7 days));
    }

    // ----- helpers -----

    /// @dev After every action: paid-out amounts only grow, and never exceed what the issuer promised.
    function _check() internal {
        ++calls;
        for (uint256 i = 0; i < beneficiaries.length; ++i) {
            address b = beneficiaries[i];
            uint256 paid = chequebook.paidOut(b);
            if (paid < lastPaidOut[b]) paidOutDecreased = true;
            if (paid > ghostPromised[b]) paidMoreThanPromised = true;
            lastPaidOut[b] = paid;
        }
        uint256 total = chequebook.totalPaidOut();
        if (total < lastTotalPaidOut) paidOutDecreased = true;
        lastTotalPaidOut = total;
    }

    function _beneficiary(uint256 who) internal view returns (address) {
        return beneficiaries[who % beneficiaries.length];
    }

    function _digest(bytes32 structHash) internal view returns (bytes32) {
        return MessageHashUtils.toTypedDataHash(chequebook.DOMAIN_SEPARATOR(), structHash);
    }
}
