// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @dev An ERC20 that reports failure by returning false instead of reverting, and can be told to fail every
/// transfer. SafeERC20 must turn the false into a revert.
contract ReturnsFalseToken {
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;
    uint256 public totalSupply;
    bool public failAll;

    function mint(address to, uint256 amount) external {
        balanceOf[to] += amount;
        totalSupply += amount;
    }

    function setFailAll(bool fail) external {
        failAll = fail;
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        return true;
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        return _move(msg.sender, to, amount);
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        if (allowance[from][msg.sender] < amount) return false;
        bool moved = _move(from, to, amount);
        if (moved) allowance[from][msg.sender] -= amount;
        return moved;
    }

    function _move(address from, address to, uint256 amount) private returns (bool) {
        if (failAll || balanceOf[from] < amount) return false;
        balanceOf[from] -= amount;
        balanceOf[to] += amount;
        return true;
    }
}
