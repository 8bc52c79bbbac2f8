// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/**
 * @dev A contract that emits the chequebook's and ERC-20's events with any arguments it is given, to test that a
 * watcher trusts only logs from the addresses it follows (and never a log's content).
 */
contract EventImpersonator {
    event HardDepositDecreasePrepared(address indexed beneficiary, uint256 decreaseAmount);
    event Withdraw(uint256 amount);
    event Transfer(address indexed from, address indexed to, uint256 value);

    function prepared(address beneficiary, uint256 decreaseAmount) external {
        emit HardDepositDecreasePrepared(beneficiary, decreaseAmount);
    }

    function withdrew(uint256 amount) external {
        emit Withdraw(amount);
    }

    function transferred(address from, address to, uint256 value) external {
        emit Transfer(from, to, value);
    }
}
