/**
 * The ABIs the SDK needs, in human-readable form, so the built package carries them without Hardhat or the
 * compiled artifacts. `test/sdk/abi.test.ts` checks them against the compiled contracts.
 */

/** The chequebook (Swarm ERC20SimpleSwap-compatible) with its custom errors. */
export const CHEQUEBOOK_ABI = [
  "error ChequebookAlreadyInitialized()",
  "error ChequebookCallerPayoutTooHigh(uint256 callerPayout, uint256 totalPayout)",
  "error ChequebookCashoutAlreadyUsed(uint256 requestPayout, uint256 lastUsed)",
  "error ChequebookCashoutWouldBounce(uint256 requested, uint256 available)",
  "error ChequebookChequeAlreadyCashed(uint256 cumulativePayout, uint256 paidOut)",
  "error ChequebookDecreaseExceedsHardDeposit(uint256 hardDeposit, uint256 decreaseAmount)",
  "error ChequebookDecreaseNotDue(uint256 canBeDecreasedAt)",
  "error ChequebookHardDepositExceedsBalance(uint256 balance, uint256 totalHardDeposit)",
  "error ChequebookInsufficientLiquidity(uint256 available, uint256 needed)",
  "error ChequebookInvalidAddress(address account)",
  "error ChequebookInvalidBeneficiarySignature()",
  "error ChequebookInvalidIssuerSignature()",
  "error ChequebookNoDecreasePrepared(address beneficiary)",
  "error ChequebookNoLiquidity(uint256 requested)",
  "error ChequebookTimeoutAuthorisationUsed(bytes32 digest)",
  "error ChequebookUnauthorized(address caller)",
  "error ChequebookZeroAmount()",
  "error ReentrancyGuardReentrantCall()",
  "error SafeCastOverflowedUintDowncast(uint8 bits, uint256 value)",
  "error SafeERC20FailedOperation(address token)",
  "event ChequeBounced()",
  "event ChequeCashed(address indexed beneficiary, address indexed recipient, address indexed caller, uint256 totalPayout, uint256 cumulativePayout, uint256 callerPayout)",
  "event CustomHardDepositTimeoutCancelled(address indexed beneficiary, uint256 timeout)",
  "event Deposited(address indexed from, uint256 amount)",
  "event HardDepositAmountChanged(address indexed beneficiary, uint256 amount)",
  "event HardDepositDecreaseCancelled(address indexed beneficiary, uint256 decreaseAmount)",
  "event HardDepositDecreasePrepared(address indexed beneficiary, uint256 decreaseAmount)",
  "event HardDepositTimeoutChanged(address indexed beneficiary, uint256 timeout)",
  "event Withdraw(uint256 amount)",
  "function BENEFICIARY_CASHOUT_TYPEHASH() view returns (bytes32)",
  "function CASHOUT_TYPEHASH() view returns (bytes32)",
  "function CHEQUE_TYPEHASH() view returns (bytes32)",
  "function CUSTOMDECREASETIMEOUT_TYPEHASH() view returns (bytes32)",
  "function DOMAIN_SEPARATOR() view returns (bytes32)",
  "function EIP712DOMAIN_TYPEHASH() view returns (bytes32)",
  "function balance() view returns (uint256)",
  "function bounced() view returns (bool)",
  "function cancelCustomHardDepositTimeout(uint256 decreaseTimeout)",
  "function cashCheque(address beneficiary, address recipient, uint256 cumulativePayout, bytes beneficiarySig, uint256 callerPayout, bytes issuerSig)",
  "function cashChequeBeneficiary(address recipient, uint256 cumulativePayout, bytes issuerSig)",
  "function customHardDepositTimeoutUsed(address beneficiary, uint256 decreaseTimeout) view returns (bool)",
  "function decreaseHardDeposit(address beneficiary)",
  "function defaultHardDepositTimeout() view returns (uint256 timeout)",
  "function deposit(uint256 amount)",
  "function depositWithPermit(uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s)",
  "function effectiveHardDepositTimeout(address beneficiary) view returns (uint256 timeout, uint256 decreasePreparedAt, uint256 canBeDecreasedAt)",
  "function hardDeposits(address beneficiary) view returns (uint256 amount, uint256 decreaseAmount, uint256 timeout, uint256 canBeDecreasedAt)",
  "function increaseHardDeposit(address beneficiary, uint256 amount)",
  "function init(address, address, uint256) pure",
  "function issuer() view returns (address issuer_)",
  "function lastCashoutPayout(address beneficiary) view returns (uint256)",
  "function liquidBalance() view returns (uint256)",
  "function liquidBalanceFor(address beneficiary) view returns (uint256)",
  "function paidOut(address beneficiary) view returns (uint256)",
  "function prepareDecreaseHardDeposit(address beneficiary, uint256 decreaseAmount)",
  "function setCustomHardDepositTimeout(address beneficiary, uint256 hardDepositTimeout, bytes beneficiarySig)",
  "function token() view returns (address)",
  "function totalHardDeposit() view returns (uint256)",
  "function totalPaidOut() view returns (uint256)",
  "function withdraw(uint256 amount)",
] as const;

/** The factory (Swarm SimpleSwapFactory-compatible) with its custom errors. */
export const CHEQUEBOOK_FACTORY_ABI = [
  "error ChequebookFactoryInvalidIssuer(address issuer)",
  "error ChequebookFactoryInvalidToken(address token)",
  "error ChequebookFactoryTimeoutTooLarge(uint256 timeout)",
  "error CloneArgumentsTooLong()",
  "error Create2EmptyBytecode()",
  "error FailedDeployment()",
  "error InsufficientBalance(uint256 balance, uint256 needed)",
  "event SimpleSwapDeployed(address contractAddress)",
  "function ERC20Address() view returns (address)",
  "function deploySimpleSwap(address issuer, uint256 defaultHardDepositTimeoutDuration, bytes32 salt) returns (address chequebook)",
  "function deployedContracts(address chequebook) view returns (bool)",
  "function master() view returns (address)",
  "function predictSimpleSwapAddress(address deployer, address issuer, uint256 defaultHardDepositTimeoutDuration, bytes32 salt) view returns (address)",
] as const;

/** The ERC-20 and EIP-2612 functions the SDK calls, and OpenZeppelin's ERC-20 errors for decoding reverts. */
export const ERC20_ABI = [
  "error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed)",
  "error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed)",
  "error ERC20InvalidReceiver(address receiver)",
  "error ERC20InvalidSender(address sender)",
  "error ERC2612ExpiredSignature(uint256 deadline)",
  "error ERC2612InvalidSigner(address signer, address owner)",
  "function allowance(address owner, address spender) view returns (uint256)",
  "function approve(address spender, uint256 value) returns (bool)",
  "function balanceOf(address account) view returns (uint256)",
  "function decimals() view returns (uint8)",
  "function name() view returns (string)",
  "function nonces(address owner) view returns (uint256)",
  "function DOMAIN_SEPARATOR() view returns (bytes32)",
  "function eip712Domain() view returns (bytes1 fields, string name, string version, uint256 chainId, address verifyingContract, bytes32 salt, uint256[] extensions)",
] as const;

/** ERC-1271. */
export const ERC1271_ABI = ["function isValidSignature(bytes32 hash, bytes signature) view returns (bytes4)"] as const;

/** The EIP-7702 batch cash-out delegate (contracts/CashoutDelegate.sol). */
export const CASHOUT_DELEGATE_ABI = [
  "function cashChequesBeneficiary((address chequebook, uint256 cumulativePayout, uint256 gasLimit, bytes issuerSig)[] cashouts)",
  "event CashoutItemFailed(uint256 indexed index, address indexed chequebook, bytes reason)",
  "error CashoutDelegateUnauthorized(address caller)",
  "error CashoutBatchItemGasTooLow(uint256 available, uint256 needed)",
  "receive() payable",
] as const;
