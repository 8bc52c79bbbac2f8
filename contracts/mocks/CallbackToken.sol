// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @dev The hooks a {CallbackToken} calls on accounts that registered for them.
interface ITokenHooks {
    /// @dev Called on the holder before its tokens move, as ERC-777 calls `tokensToSend`.
    function tokensToSend(address from, address to, uint256 amount) external;

    /// @dev Called on the receiver after the tokens arrived, as ERC-777 calls `tokensReceived` and bridged ERC-677
    /// tokens call `onTokenTransfer`.
    function tokensReceived(address from, address to, uint256 amount) external;
}

/**
 * @dev An ERC20 that calls its holders back, in the manner of ERC-777 and of the ERC-677 tokens bridges mint: an
 * account that registered (as it would in the ERC-1820 registry) is called before its tokens leave and after
 * tokens arrive. A hostile holder uses the calls to re-enter whoever moved the tokens. Anyone may mint.
 */
contract CallbackToken is ERC20 {
    /// @dev Accounts that asked to be called back.
    mapping(address account => bool) public hooked;

    constructor() ERC20("Callback Token", "HOOK") {}

    /// @dev Registers or unregisters the caller for callbacks.
    function setHooked(bool on) external {
        hooked[msg.sender] = on;
    }

    /// @dev Mints `amount` to `to`.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function _update(address from, address to, uint256 value) internal override {
        if (from != address(0) && hooked[from]) ITokenHooks(from).tokensToSend(from, to, value);
        super._update(from, to, value);
        if (to != address(0) && hooked[to]) ITokenHooks(to).tokensReceived(from, to, value);
    }
}
