// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title IChequebookFactory
 * @dev Deploys chequebooks for one ERC20 token, with the ABI of Swarm's SimpleSwapFactory, plus
 * {predictSimpleSwapAddress}.
 */
interface IChequebookFactory {
    /// @dev A chequebook was deployed at `contractAddress`.
    event SimpleSwapDeployed(address contractAddress);

    /// @dev The token is the zero address or has no code.
    error ChequebookFactoryInvalidToken(address token);
    /// @dev The issuer is the zero address.
    error ChequebookFactoryInvalidIssuer(address issuer);
    /// @dev The default hard-deposit timeout does not fit in 64 bits.
    error ChequebookFactoryTimeoutTooLarge(uint256 timeout);

    /**
     * @dev Deploys a chequebook for `issuer` as a clone of {master} with immutable arguments, at a CREATE2
     * address derived from (msg.sender, `salt`) and the arguments, so nobody else can take the address.
     *
     * Requirements: `issuer` is not zero; `defaultHardDepositTimeoutDuration < 2^64`; no chequebook was deployed
     * with the same sender, salt and arguments (the CREATE2 collision reverts with OpenZeppelin's
     * `FailedDeployment`).
     *
     * Emits a {SimpleSwapDeployed} event.
     */
    function deploySimpleSwap(address issuer, uint256 defaultHardDepositTimeoutDuration, bytes32 salt)
        external
        returns (address);

    /**
     * @dev The address at which {deploySimpleSwap} called by `deployer` with these arguments deploys.
     */
    function predictSimpleSwapAddress(
        address deployer,
        address issuer,
        uint256 defaultHardDepositTimeoutDuration,
        bytes32 salt
    ) external view returns (address);

    /**
     * @dev Whether `chequebook` is a chequebook of this factory: its code is exactly a clone of {master} with
     * well-formed arguments and a non-zero issuer. The factory keeps no per-chequebook flag; the chain already
     * records the code, and reading it saves 22,100 gas per deployment.
     *
     * NOTE: A byte-identical clone of {master} created outside the factory counts too. It runs the same code with
     * the same token, so it behaves exactly like one deployed here.
     */
    function deployedContracts(address chequebook) external view returns (bool);

    /// @dev The token every chequebook of this factory pays in.
    function ERC20Address() external view returns (address);

    /// @dev The logic contract the chequebooks are clones of.
    function master() external view returns (address);
}
