// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Chequebook} from "../../contracts/Chequebook.sol";
import {ChequebookFactory} from "../../contracts/ChequebookFactory.sol";
import {ShrinkingToken} from "../../contracts/mocks/ShrinkingToken.sol";
import {ChequebookHandler, IMintableERC20} from "./ChequebookHandler.sol";
import {TestBase} from "./Vm.sol";

/**
 * @dev The same actors with a token that shrinks the chequebook's balance at random (a negative rebase, a
 * slashing), so the hard deposits are not always backed. What must still hold: nothing is paid beyond what was
 * promised, every token is accounted for, the issuer never takes a hard deposit, and a cheque covered by a hard
 * deposit is paid the deposit or, if the balance fell below it, all that is left.
 */
contract ChequebookShrinkingInvariantsTest is TestBase {
    ShrinkingToken internal token;
    Chequebook internal chequebook;
    ChequebookHandler internal handler;

    function setUp() public {
        token = new ShrinkingToken();
        ChequebookFactory factory = new ChequebookFactory(address(token));
        uint256 issuerKey = 0xA11CE;
        chequebook = Chequebook(factory.deploySimpleSwap(vm.addr(issuerKey), 1 days, bytes32(0)));
        handler = new ChequebookHandler(IMintableERC20(address(token)), chequebook, issuerKey);
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @dev Every token that came in is still there, was paid out, withdrawn, or taken by the token.
    function invariant_tokensAreConserved() public view {
        require(
            handler.ghostTokensIn()
                == chequebook.balance() + chequebook.totalPaidOut() + handler.ghostWithdrawn() + handler.ghostSlashed(),
            "tokens in != balance + paid out + withdrawn + slashed"
        );
    }

    /// @dev The per-beneficiary amounts add up to the totals.
    function invariant_amountsSumToTotals() public view {
        uint256 paid;
        uint256 reserved;
        for (uint256 i = 0; i < handler.beneficiaryCount(); ++i) {
            address b = handler.beneficiaries(i);
            paid += chequebook.paidOut(b);
            (uint256 amount, , , ) = chequebook.hardDeposits(b);
            reserved += amount;
        }
        require(paid == chequebook.totalPaidOut(), "sum of paidOut != totalPaidOut");
        require(reserved == chequebook.totalHardDeposit(), "sum of hard deposits != totalHardDeposit");
    }

    /// @dev A covered cheque was paid its deposit, or all the balance left when the token shrank it below.
    function invariant_coveredChequesArePaid() public view {
        require(!handler.coveredChequeUnpaid(), "a cheque covered by a hard deposit was not paid what was there");
    }

    function invariant_neverPaysMoreThanPromised() public view {
        require(!handler.paidMoreThanPromised(), "paid more than promised");
    }

    function invariant_issuerCannotWithdrawHardDeposits() public view {
        require(!handler.hardDepositWithdrawn(), "issuer withdrew a hard deposit");
    }

    function invariant_noDecreaseBeforeTimeoutInForce() public view {
        require(!handler.decreasedEarly(), "a decrease came due early");
    }

    function invariant_paidOutNeverDecreases() public view {
        require(!handler.paidOutDecreased(), "paidOut decreased");
    }
}
