// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @dev An ERC20 whose balances can shrink without a transfer by their holder, as under a negative rebase or a
/// slashing. Anyone may mint and slash: it is a test double.
contract ShrinkingToken is ERC20 {
    constructor() ERC20("Shrinking Token", "SHRINK") {}

    /// @dev Mints `amount` to `to`.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @dev Takes `amount` from `account`'s balance.
    function slash(address account, uint256 amount) external {
        _burn(account, amount);
    }
}
