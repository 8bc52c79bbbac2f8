// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IChequebook} from "./interfaces/IChequebook.sol";
import {ICashoutDelegate} from "./interfaces/ICashoutBatch.sol";
import {CappedCall} from "./libraries/CappedCall.sol";

/**
 * @title CashoutDelegate
 * @dev The smallest EIP-7702 delegate for batch cash-outs: an EOA beneficiary points its code here and sends
 * itself one transaction that cashes cheques of many chequebooks, each as `cashChequeBeneficiary` with the
 * beneficiary as `msg.sender`, so no chequebook changes and no authorisation is signed.
 *
 * It has no storage (the account's storage is left alone for any later delegate), no owner and no upgrade: only
 * the account itself may run a batch, so a call from anyone else, a chequebook calling back among them, reverts.
 * Each item runs with its own gas cap and its failure is reported by an event ({CappedCall}), so one bad or
 * hostile chequebook cannot sink the others.
 *
 * NOTE: While delegated, the account has code. It accepts plain ether ({receive}); calls with other data revert,
 * and contracts that treat accounts with code differently (ERC-721 `safeTransferFrom` expects
 * `onERC721Received`) will see it as a contract. An ECDSA signature of the key still works wherever
 * signatures are tried as ECDSA first (the chequebooks' Cashout and Cheque checks do).
 */
contract CashoutDelegate is ICashoutDelegate {
    /// @inheritdoc ICashoutDelegate
    function cashChequesBeneficiary(Cashout[] calldata cashouts) external {
        if (msg.sender != address(this)) revert CashoutDelegateUnauthorized(msg.sender);
        for (uint256 i; i < cashouts.length; ++i) {
            Cashout calldata c = cashouts[i];
            CappedCall.callOrReport(
                i,
                c.chequebook,
                c.gasLimit,
                abi.encodeCall(IChequebook.cashChequeBeneficiary, (address(this), c.cumulativePayout, c.issuerSig))
            );
        }
    }

    /// @dev Plain ether still reaches the account while it is delegated.
    receive() external payable {}
}
