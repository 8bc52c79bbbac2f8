// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";

import {Chequebook} from "../../contracts/Chequebook.sol";
import {ChequeHashing} from "../../contracts/libraries/ChequeHashing.sol";
import {TestToken} from "../../contracts/mocks/TestToken.sol";
import {TestBase} from "./Vm.sol";

/**
 * @dev Drives one chequebook through random sequences of everything its actors can do: the issuer deposits,
 * withdraws (including attempts to take too much) and manages hard deposits; three beneficiaries cash cheques
 * directly or through a third party; anyone applies due decreases; time moves on. Ghost variables record what
 * went in, what came out and what was promised, for the invariants to check.
 */
contract ChequebookHandler is TestBase {
    uint256 internal constant MAX_AMOUNT = 1e30;

    TestToken public immutable token;
    Chequebook public immutable chequebook;
    uint256 internal immutable issuerKey;
    address public immutable issuer;
    address public immutable relayer;

    uint256[] internal beneficiaryKeys;
    address[] public beneficiaries;

    uint256 public ghostTokensIn;
    uint256 public ghostWithdrawn;
    uint256 public ghostCallerFees;
    mapping(address => uint256) public ghostPromised; // highest cheque the issuer signed for each beneficiary
    mapping(address => uint256) internal lastPaidOut;
    uint256 internal lastTotalPaidOut;

    bool public paidOutDecreased;
    bool public paidMoreThanPromised;
    bool public hardDepositWithdrawn;
    uint256 public calls;

    constructor(TestToken token_, Chequebook chequebook_, uint256 issuerKey_) {
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
        uint256 room = chequebook.balance() - chequebook.totalHardDeposit();
        if (room == 0) return;
        amount = bound(amount, 1, room);
        vm.prank(issuer);
        chequebook.increaseHardDeposit(_beneficiary(who), amount);
        _check();
    }

    function prepareDecreaseHardDeposit(uint256 who, uint256 amount) external {
        address b = _beneficiary(who);
        (uint256 deposit_, , , ) = chequebook.hardDeposits(b);
        if (deposit_ == 0) return;
        amount = bound(amount, 1, deposit_);
        vm.prank(issuer);
        chequebook.prepareDecreaseHardDeposit(b, amount);
        _check();
    }

    function decreaseHardDeposit(uint256 who, uint256 wait) external {
        address b = _beneficiary(who);
        (, , , uint256 due) = chequebook.hardDeposits(b);
        if (due == 0) return;
        vm.warp(block.timestamp + bound(wait, 0, 3 days));
        try chequebook.decreaseHardDeposit(b) {} catch {}
        _check();
    }

    // ----- beneficiaries -----

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
        uint256 i = who % beneficiaries.length;
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
