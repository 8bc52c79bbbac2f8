// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";

import {Chequebook} from "../../contracts/Chequebook.sol";
import {ChequebookFactory} from "../../contracts/ChequebookFactory.sol";
import {IChequebook} from "../../contracts/interfaces/IChequebook.sol";
import {ChequeHashing} from "../../contracts/libraries/ChequeHashing.sol";
import {TestToken} from "../../contracts/mocks/TestToken.sol";
import {ChequebookHandler, IMintableERC20} from "./ChequebookHandler.sol";
import {TestBase} from "./Vm.sol";

contract ChequebookFuzzTest is TestBase {
    uint256 internal constant ISSUER_KEY = 0xA11CE;
    uint256 internal constant BENEFICIARY_KEY = 0xB0B;

    TestToken internal token;
    ChequebookFactory internal factory;
    Chequebook internal chequebook;
    address internal issuer;
    address internal beneficiary;
    address internal other = address(0x07E4);

    function setUp() public {
        token = new TestToken();
        factory = new ChequebookFactory(address(token));
        issuer = vm.addr(ISSUER_KEY);
        beneficiary = vm.addr(BENEFICIARY_KEY);
        chequebook = Chequebook(factory.deploySimpleSwap(issuer, 1 days, bytes32(0)));
    }

    function _chequeSig(uint256 key, address beneficiary_, uint256 cumulative, uint256 chainId)
        internal
        view
        returns (bytes memory)
    {
        bytes32 structHash = ChequeHashing.hashCheque(address(chequebook), beneficiary_, cumulative);
        return sign(key, MessageHashUtils.toTypedDataHash(ChequeHashing.domainSeparator(chainId), structHash));
    }

    /// @dev Each typehash is the keccak of its type string (a regression guard on the constants).
    function test_typehashesMatchTypeStrings() public view {
        require(chequebook.EIP712DOMAIN_TYPEHASH() == keccak256("EIP712Domain(string name,string version,uint256 chainId)"), "domain");
        require(chequebook.CHEQUE_TYPEHASH() == keccak256("Cheque(address chequebook,address beneficiary,uint256 cumulativePayout)"), "cheque");
        require(
            chequebook.CASHOUT_TYPEHASH()
                == keccak256("Cashout(address chequebook,address sender,uint256 requestPayout,address recipient,uint256 callerPayout)"),
            "cashout"
        );
        require(
            chequebook.BENEFICIARY_CASHOUT_TYPEHASH()
                == keccak256(
                    "BeneficiaryCashout(address chequebook,address beneficiary,address sender,uint256 requestPayout,address recipient,uint256 callerPayout)"
                ),
            "beneficiary cashout"
        );
        require(
            chequebook.CUSTOMDECREASETIMEOUT_TYPEHASH()
                == keccak256("CustomDecreaseTimeout(address chequebook,address beneficiary,uint256 decreaseTimeout)"),
            "timeout"
        );
    }

    /// @dev A cash-out pays min(owed, liquid for the beneficiary), hard deposit first, and bounces exactly when short.
    function testFuzz_payoutIsOwedCappedByLiquidity(
        uint128 balance,
        uint128 ownDeposit,
        uint128 otherDeposit,
        uint128 alreadyPaid,
        uint128 cheque
    ) public {
        balance = uint128(bound(balance, 1, type(uint96).max));
        ownDeposit = uint128(bound(ownDeposit, 0, balance));
        // Leave at least one unit payable to the beneficiary.
        uint256 otherMax = balance - ownDeposit < balance - 1 ? balance - ownDeposit : balance - 1;
        otherDeposit = uint128(bound(otherDeposit, 0, otherMax));
        token.mint(address(chequebook), balance);
        vm.startPrank(issuer);
        if (ownDeposit > 0) chequebook.increaseHardDeposit(beneficiary, ownDeposit);
        if (otherDeposit > 0) chequebook.increaseHardDeposit(other, otherDeposit);
        vm.stopPrank();

        // An earlier cash-out within what is liquid for the beneficiary.
        uint256 liquidFor = uint256(balance) - otherDeposit;
        alreadyPaid = uint128(bound(alreadyPaid, 0, liquidFor - 1));
        if (alreadyPaid > 0) {
            vm.prank(beneficiary);
            chequebook.cashChequeBeneficiary(beneficiary, alreadyPaid, _chequeSig(ISSUER_KEY, beneficiary, alreadyPaid, block.chainid));
        }
        uint256 depositLeft = ownDeposit > alreadyPaid ? ownDeposit - alreadyPaid : 0;
        liquidFor -= alreadyPaid;

        cheque = uint128(bound(cheque, uint256(alreadyPaid) + 1, type(uint128).max));
        uint256 owed = cheque - alreadyPaid;
        uint256 expected = owed < liquidFor ? owed : liquidFor;
        require(chequebook.liquidBalanceFor(beneficiary) == liquidFor, "liquidBalanceFor");

        vm.prank(beneficiary);
        chequebook.cashChequeBeneficiary(address(0xBEEF), cheque, _chequeSig(ISSUER_KEY, beneficiary, cheque, block.chainid));

        require(token.balanceOf(address(0xBEEF)) == expected, "paid amount");
        require(chequebook.paidOut(beneficiary) == alreadyPaid + expected, "paidOut");
        require(chequebook.bounced() == (expected < owed), "bounce flag");
        (uint256 depositNow, , , ) = chequebook.hardDeposits(beneficiary);
        require(depositNow == (depositLeft > expected ? depositLeft - expected : 0), "hard deposit used first");
        require(chequebook.totalHardDeposit() == depositNow + otherDeposit, "other deposits untouched");
    }

    /// @dev A cheque is valid only on the chain it was signed for; the domain separator follows a chain-id change.
    function testFuzz_chequeBoundToChainId(uint64 newChainId, uint96 amount) public {
        vm.assume(newChainId != block.chainid && newChainId != 0);
        amount = uint96(bound(amount, 1, type(uint96).max));
        token.mint(address(chequebook), amount);
        bytes memory oldChainSig = _chequeSig(ISSUER_KEY, beneficiary, amount, block.chainid);

        vm.chainId(newChainId);
        require(chequebook.DOMAIN_SEPARATOR() == ChequeHashing.domainSeparator(newChainId), "domain separator not recomputed");
        vm.prank(beneficiary);
        vm.expectRevert(abi.encodeWithSelector(IChequebook.ChequebookInvalidIssuerSignature.selector));
        chequebook.cashChequeBeneficiary(beneficiary, amount, oldChainSig);

        vm.prank(beneficiary);
        chequebook.cashChequeBeneficiary(beneficiary, amount, _chequeSig(ISSUER_KEY, beneficiary, amount, newChainId));
        require(token.balanceOf(beneficiary) == amount, "not paid on the new chain");
    }

    /// @dev A cheque signed by any key but the issuer's is refused.
    function testFuzz_foreignSignerRefused(uint256 key, uint96 amount) public {
        key = bound(key, 1, 2 ** 200);
        vm.assume(key != ISSUER_KEY);
        amount = uint96(bound(amount, 1, type(uint96).max));
        token.mint(address(chequebook), amount);
        bytes memory sig = _chequeSig(key, beneficiary, amount, block.chainid);
        vm.prank(beneficiary);
        vm.expectRevert(abi.encodeWithSelector(IChequebook.ChequebookInvalidIssuerSignature.selector));
        chequebook.cashChequeBeneficiary(beneficiary, amount, sig);
    }

    /// @dev A decrease applies at most what is left of the deposit, never underflowing, whatever was cashed since.
    function testFuzz_decreaseAfterPartialUse(uint96 deposit_, uint96 decrease, uint96 used) public {
        deposit_ = uint96(bound(deposit_, 1, type(uint96).max));
        decrease = uint96(bound(decrease, 1, deposit_));
        used = uint96(bound(used, 0, deposit_));
        token.mint(address(chequebook), deposit_);
        vm.startPrank(issuer);
        chequebook.increaseHardDeposit(beneficiary, deposit_);
        chequebook.prepareDecreaseHardDeposit(beneficiary, decrease);
        vm.stopPrank();
        if (used > 0) {
            vm.prank(beneficiary);
            chequebook.cashChequeBeneficiary(beneficiary, used, _chequeSig(ISSUER_KEY, beneficiary, used, block.chainid));
        }
        vm.warp(block.timestamp + 1 days);
        chequebook.decreaseHardDeposit(beneficiary);
        uint256 left = deposit_ - used;
        (uint256 amount, uint256 pending, , uint256 due) = chequebook.hardDeposits(beneficiary);
        require(amount == (left > decrease ? left - decrease : 0), "decrease amount");
        require(pending == 0 && due == 0, "decrease not cleared");
        require(chequebook.totalHardDeposit() == amount, "total");
    }

    /// @dev Whatever the issuer does with the timeout between announcing and applying a decrease, the decrease
    /// applies exactly when the timeout in force then has passed since the announcement, never earlier.
    function testFuzz_decreaseWaitsForTimeoutInForce(uint32 later, uint32 custom, uint32 wait) public {
        // Time is tracked from the fuzz inputs: via IR, reads of block.timestamp may be reordered around vm.warp.
        uint256 t0 = 1_000_000;
        vm.warp(t0);
        token.mint(address(chequebook), 100);
        vm.startPrank(issuer);
        chequebook.increaseHardDeposit(beneficiary, 100);
        chequebook.prepareDecreaseHardDeposit(beneficiary, 100);
        vm.stopPrank();
        vm.warp(t0 + later);
        bytes32 digest = MessageHashUtils.toTypedDataHash(
            chequebook.DOMAIN_SEPARATOR(), ChequeHashing.hashCustomDecreaseTimeout(address(chequebook), beneficiary, custom)
        );
        vm.prank(issuer);
        chequebook.setCustomHardDepositTimeout(beneficiary, custom, sign(BENEFICIARY_KEY, digest));
        uint256 inForce = custom != 0 ? custom : 1 days;
        (uint256 timeout, uint256 announced, uint256 due) = chequebook.effectiveHardDepositTimeout(beneficiary);
        // The change restarts the notice: the decrease is due the new timeout after it.
        uint256 changedAt = t0 + uint256(later);
        require(timeout == inForce && announced == changedAt && due == changedAt + inForce, "view");

        vm.warp(changedAt + wait);
        bool early = uint256(wait) < inForce;
        if (early) vm.expectRevert(abi.encodeWithSelector(IChequebook.ChequebookDecreaseNotDue.selector, changedAt + inForce));
        chequebook.decreaseHardDeposit(beneficiary);
        (uint256 amount, , , ) = chequebook.hardDeposits(beneficiary);
        require(amount == (early ? 100 : 0), "applied early or not at all");
    }

    /// @dev The factory predicts every address it deploys to, and recognises exactly its own clones.
    function testFuzz_factoryPredictsAndRecognises(address deployer, address issuer_, uint64 timeout, bytes32 salt) public {
        vm.assume(issuer_ != address(0));
        address predicted = factory.predictSimpleSwapAddress(deployer, issuer_, timeout, salt);
        require(!factory.deployedContracts(predicted), "recognised before deployment");
        vm.prank(deployer);
        address deployed = factory.deploySimpleSwap(issuer_, timeout, salt);
        require(deployed == predicted, "prediction");
        require(factory.deployedContracts(deployed), "not recognised");
        require(Chequebook(deployed).issuer() == issuer_, "issuer");
        require(Chequebook(deployed).defaultHardDepositTimeout() == timeout, "timeout");
    }

    /// @dev Every handler action really moves money when called in a sensible order (so that the invariant
    /// fuzzer, which ignores reverting calls, exercises real paths).
    function test_handlerActionsTakeEffect() public {
        ChequebookHandler handler = new ChequebookHandler(IMintableERC20(address(token)), chequebook, ISSUER_KEY);
        handler.deposit(1000);
        handler.transferIn(500);
        require(chequebook.balance() == 1500, "deposits");
        handler.increaseHardDeposit(0, 300);
        require(chequebook.totalHardDeposit() == 300, "hard deposit");
        handler.prepareDecreaseHardDeposit(0, 100);
        handler.decreaseHardDeposit(0, 2 days);
        require(chequebook.totalHardDeposit() == 200, "decrease");
        handler.issueAndCash(1, 100);
        require(chequebook.paidOut(handler.beneficiaries(1)) == 100, "direct cash");
        handler.issueAndCashViaRelayer(2, 50, 5);
        require(chequebook.paidOut(handler.beneficiaries(2)) == 50 && handler.ghostCallerFees() == 5, "relayed cash");
        handler.withdraw(10);
        require(handler.ghostWithdrawn() == 10, "withdraw");
        handler.withdrawBeyondLiquid(1);
        require(!handler.hardDepositWithdrawn(), "withdrew beyond liquid");
        handler.issueAndCash(1, 10_000); // bounces
        require(chequebook.bounced(), "bounce");
        handler.deposit(20_000);
        handler.cashAgain(1);
        require(chequebook.paidOut(handler.beneficiaries(1)) == 10_100, "rest collected");

        // The hostile issuer's and the beneficiaries' further moves.
        handler.issuerCyclesThroughItself(0); // 2^128 - 1 units
        require(chequebook.totalPaidOut() >= type(uint128).max, "cycled");
        handler.cashCovered(0);
        require(handler.coveredCashouts() == 1 && !handler.coveredChequeUnpaid(), "covered cheque paid");
        handler.agreeTimeout(1, 2 days);
        (uint256 timeout, , ) = chequebook.effectiveHardDepositTimeout(handler.beneficiaries(1));
        require(timeout == 2 days, "timeout agreed");
        handler.cancelTimeout(1, 1 hours);
        require(chequebook.customHardDepositTimeoutUsed(handler.beneficiaries(1), 1 hours), "cancelled");
        handler.agreeTimeout(1, 1 hours);
        (timeout, , ) = chequebook.effectiveHardDepositTimeout(handler.beneficiaries(1));
        require(timeout == 2 days && !handler.spentTimeoutAuthorisationApplied(), "cancelled one refused");
        handler.deposit(1000);
        handler.walletCashViaRelayer(40, 4, false, false);
        require(chequebook.paidOut(address(handler.wallet())) == 40, "wallet relayed");
        handler.walletCashViaRelayer(40, 4, true, false);
        handler.walletCashViaRelayer(40, 4, true, true);
        require(chequebook.paidOut(address(handler.wallet())) == 40 && !handler.crossIdentityCashout(), "crossed refused");
        handler.slash(1); // a TestToken cannot be slashed: nothing happens
        require(handler.ghostSlashed() == 0, "slash on a plain token");
    }
}
