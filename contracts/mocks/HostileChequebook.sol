// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/**
 * @dev A chequebook look-alike that answers the views a cash-out reads (nothing paid out, everything liquid) and
 * attacks whoever calls `cashChequeBeneficiary` or `cashCheque` with less than `attackBelowGas` gas left (a
 * simulation starts with the block's gas and passes, a batch item gets its cap and is attacked): it burns all its gas,
 * reverts with 10 kB, calls back its caller with `callbackData`, or tries to pull `token` from its caller.
 */
contract HostileChequebook {
    enum Mode {
        BurnsGas,
        RevertBomb,
        CallsBack,
        PullsTokens
    }

    Mode public mode;
    uint256 public attackBelowGas;
    address public token;
    bytes public callbackData;
    /// @dev Whether the last call back succeeded (it must not).
    bool public callbackSucceeded;

    constructor(address token_) {
        token = token_;
    }

    function arm(Mode mode_, uint256 attackBelowGas_, bytes calldata callbackData_) external {
        mode = mode_;
        attackBelowGas = attackBelowGas_;
        callbackData = callbackData_;
    }

    function paidOut(address) external pure returns (uint256) {
        return 0;
    }

    function liquidBalanceFor(address) external pure returns (uint256) {
        return type(uint128).max;
    }

    function cashChequeBeneficiary(address, uint256, bytes calldata) external {
        _attack();
    }

    function cashCheque(address, address, uint256, bytes calldata, uint256, bytes calldata) external {
        _attack();
    }

    function _attack() private {
        if (gasleft() >= attackBelowGas) return;
        Mode m = mode;
        if (m == Mode.BurnsGas) {
            uint256 i;
            while (gasleft() > 0) ++i;
        } else if (m == Mode.RevertBomb) {
            assembly ("memory-safe") {
                revert(0, 0x2800)
            }
        } else if (m == Mode.CallsBack) {
            (bool ok, ) = msg.sender.call(callbackData);
            callbackSucceeded = ok;
        } else {
            IERC20 t = IERC20(token);
            t.transferFrom(msg.sender, address(this), t.balanceOf(msg.sender));
        }
    }
}
