// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Chequebook} from "../../contracts/Chequebook.sol";
import {ChequebookFactory} from "../../contracts/ChequebookFactory.sol";
import {CallbackToken} from "../../contracts/mocks/CallbackToken.sol";
import {ChequebookHandler, IMintableERC20} from "./ChequebookHandler.sol";
import {TestBase} from "./Vm.sol";

/**
 * @dev The money identities of a chequebook, checked after random sequences of handler actions. The token calls
 * its holders back, and one beneficiary is a contract that re-enters the chequebook from those callbacks.
 */
contract ChequebookInvariantsTest is TestBase {
    CallbackToken internal token;
    Chequebook internal chequebook;
    ChequebookHandler internal handler;

    function setUp() public {
        token = new CallbackToken();
        ChequebookFactory factory = new ChequebookFactory(address(token));
        uint256 issuerKey = 0xA11CE;
        chequebook = Chequebook(factory.deploySimpleSwap(vm.addr(issuerKey), 1 days, bytes32(0)));
        handler = new ChequebookHandler(IMintableERC20(address(token)), chequebook, issuerKey);
    }

    /// @dev Only the handler is called by the invariant fuzzer.
    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @dev The per-beneficiary paid-out amounts add up to totalPaidOut.
    function invariant_paidOutSumsToTotal() public view {
        uint256 sum;
        for (uint256 i = 0; i < handler.beneficiaryCount(); ++i) sum += chequebook.paidOut(handler.beneficiaries(i));
        require(sum == chequebook.totalPaidOut(), "sum of paidOut != totalPaidOut");
    }

    /// @dev Every token that came in is still there, was paid out on a cheque, or was withdrawn by the issuer.
    function invariant_tokensAreConserved() public view {
        require(
            handler.ghostTokensIn()
                == chequebook.balance() + chequebook.totalPaidOut() + handler.ghostWithdrawn() + handler.ghostSlashed(),
            "tokens in != balance + paid out + withdrawn"
        );
    }

    /// @dev What left the chequebook never exceeds what was deposited.
    function invariant_paidOutNeverExceedsDeposits() public view {
        require(chequebook.totalPaidOut() + handler.ghostWithdrawn() <= handler.ghostTokensIn(), "paid out more than deposited");
    }

    /// @dev Hard deposits are always backed by the balance, and add up to their total.
    function invariant_hardDepositsBackedAndSummed() public view {
        uint256 sum;
        for (uint256 i = 0; i < handler.beneficiaryCount(); ++i) {
            (uint256 amount, uint256 decreaseAmount, , ) = chequebook.hardDeposits(handler.beneficiaries(i));
            require(decreaseAmount <= type(uint128).max, "decrease out of range");
            sum += amount;
        }
        require(sum == chequebook.totalHardDeposit(), "sum of hard deposits != totalHardDeposit");
        require(chequebook.totalHardDeposit() <= chequebook.balance(), "hard deposits exceed balance");
    }

    /// @dev Paid-out amounts (each and the total) only grow.
    function invariant_paidOutNeverDecreases() public view {
        require(!handler.paidOutDecreased(), "paidOut decreased");
    }

    /// @dev No beneficiary was ever paid more than the highest cheque the issuer signed for it.
    function invariant_neverPaysMoreThanPromised() public view {
        require(!handler.paidMoreThanPromised(), "paid more than promised");
    }

    /// @dev The issuer never withdrew beyond the liquid balance, so never touched a hard deposit.
    function invariant_issuerCannotWithdrawHardDeposits() public view {
        require(!handler.hardDepositWithdrawn(), "issuer withdrew a hard deposit");
    }

    /// @dev The relayer's fees are part of what was paid out, never extra.
    function invariant_callerFeesWithinPaidOut() public view {
        require(handler.ghostCallerFees() <= chequebook.totalPaidOut(), "caller fees exceed paid out");
    }

    /// @dev A cheque covered by a hard deposit was always paid in full, whatever the issuer ran through the chequebook.
    function invariant_coveredChequesArePaid() public view {
        require(!handler.coveredChequeUnpaid(), "a cheque covered by a hard deposit was not paid");
    }

    /// @dev No decrease was applied before the start of its notice (its announcement, or the last change of the
    /// timeout while it was pending) plus the timeout in force when it was applied.
    function invariant_noDecreaseBeforeTimeoutInForce() public view {
        require(!handler.decreasedEarly(), "a decrease came due early");
    }

    /// @dev A CustomDecreaseTimeout authorisation, once used or cancelled, never took effect again.
    function invariant_timeoutAuthorisationsSingleUse() public view {
        require(!handler.spentTimeoutAuthorisationApplied(), "a spent timeout authorisation was applied");
    }

    /// @dev One key's authorisation never cashed out for the other identity of that key (an EOA and its wallet).
    function invariant_cashoutAuthorisationNamesItsBeneficiary() public view {
        require(!handler.crossIdentityCashout(), "an authorisation was used by the other identity of its key");
    }

    /// @dev No call made from inside a token callback ever took effect.
    function invariant_noReentryTakesEffect() public view {
        require(handler.actor().reentriesSucceeded() == 0, "a reentrant call took effect");
    }
}
