// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IChequebook} from "./interfaces/IChequebook.sol";
import {ICashoutBatcher} from "./interfaces/ICashoutBatch.sol";
import {CappedCall} from "./libraries/CappedCall.sol";

/**
 * @title CashoutBatcher
 * @dev Relays `cashCheque` for many chequebooks (and beneficiaries) in one transaction, for beneficiaries that
 * cannot delegate with EIP-7702 (contract wallets, which approve a `BeneficiaryCashout` naming this contract) and
 * for relayers. Each authorisation names this contract as the sender, so only the owner can spend it: anyone else
 * calling {cashCheques} reverts, and with it any attempt to take the caller fees. The fees accrue here until the
 * owner sweeps them.
 *
 * Each item runs with its own gas cap and reports its failure by an event ({CappedCall}); a relayed cash-out is
 * paid in full or not at all (the chequebook's rule), so an item that would bounce fails alone.
 *
 * NOTE: Nothing here checks that a chequebook is genuine; the owner chooses the items. A fake chequebook can
 * waste its own gas cap but cannot move this contract's tokens: it never approves anyone.
 */
contract CashoutBatcher is ICashoutBatcher, Ownable2Step, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    constructor(address owner_) Ownable(owner_) {}

    /// @inheritdoc ICashoutBatcher
    function cashCheques(RelayedCashout[] calldata cashouts) external onlyOwner nonReentrant {
        for (uint256 i; i < cashouts.length; ++i) {
            RelayedCashout calldata c = cashouts[i];
            CappedCall.callOrReport(
                i,
                c.chequebook,
                c.gasLimit,
                abi.encodeCall(
                    IChequebook.cashCheque,
                    (c.beneficiary, c.recipient, c.cumulativePayout, c.beneficiarySig, c.callerPayout, c.issuerSig)
                )
            );
        }
    }

    /// @inheritdoc ICashoutBatcher
    function sweep(address token, address to, uint256 amount) external onlyOwner nonReentrant {
        if (to == address(0)) revert CashoutBatcherInvalidRecipient(to);
        emit FeesSwept(token, to, amount);
        IERC20(token).safeTransfer(to, amount);
    }
}
