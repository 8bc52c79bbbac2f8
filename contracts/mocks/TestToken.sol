// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @dev A plain OpenZeppelin ERC20 with EIP-2612 permit and open minting, for tests, benchmarks and local chains.
contract TestToken is ERC20, ERC20Permit {
    constructor() ERC20("Test BZZ", "tBZZ") ERC20Permit("Test BZZ") {}

    /// @dev Mints `amount` to `to`. Anyone may mint: this token is worthless by design.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @dev 16 decimals, as Swarm's BZZ.
    function decimals() public pure override returns (uint8) {
        return 16;
    }
}
