/** The text of `chequebook --help`: commands, options and exit codes. */
import { WATCH_HELP } from "./watch.js";

export const HELP = `chequebook: operate a SWAP chequebook

Usage: chequebook <command> [arguments] [options]

Commands:
  deploy                              deploy your chequebook through the factory
  deposit <amount>                    deposit tokens (permit when the token supports it)
  withdraw <amount> [--force]         withdraw liquid tokens; refuses to uncover issued cheques unless --force
  balance                             total, liquid, hard deposits, paid out, issued, available
  issue <beneficiary> <amount>        sign a cheque for <amount> more; prints it in our JSON and Bee's JSON
  verify <file|->                     check a received cheque (our JSON or Bee's JSON) without storing it
  receive <file|->                    verify and store a received cheque
  cashout [chequebook] [--all]        cash the best cheque held (one chequebook, or every one worth the gas: in
                                      batches when the account delegates to --delegate, else one tx each)
  delegate [<address>] [--revoke]     point your account at the batch cash-out delegate (EIP-7702), clear it
                                      with --revoke, or show where it points
  status                              cash-out status of every chequebook we hold cheques from
  cheques                             cheques sent and received
  dashboard [--port n] [--host h]     the operator's dashboard in a browser (see the README's "Dashboard")
  watch                               cash out automatically (cover going, threshold, period, profit) until ^C,
                                      batched like cashout --all
  hard-deposit show <beneficiary>
  hard-deposit increase <beneficiary> <amount> [--force]
  hard-deposit prepare-decrease <beneficiary> <amount>
  hard-deposit decrease <beneficiary>
  hard-deposit set-timeout <beneficiary> <seconds> <beneficiary-signature>

Options:
  --rpc <url>             JSON-RPC endpoint (default $CHEQUEBOOK_RPC or http://127.0.0.1:8545)
  --factory <address>     the factory (default: the recorded deployment for the chain)
  --chequebook <address>  your chequebook (default: the one 'deploy' creates for your key)
  --db <file|url>         the cheque database: a SQLite file (default ./chequebook.db, or $CHEQUEBOOK_DB), or a
                          postgres://user@host/db URL shared by several processes
  --keystore <file>       an encrypted JSON keystore; its password in $CHEQUEBOOK_PASSWORD
                          (without it the key comes from $CHEQUEBOOK_PRIVATE_KEY; never from an argument)
  --confirmations <n>     confirmations to wait for (default 1); watch: blocks it stays behind the head (default 2)
  --timeout <seconds>     deploy: default hard-deposit decrease timeout (default 86400)
  --salt <hex>            deploy: CREATE2 salt (default 0)
  --out <file>            issue: also write our JSON of the cheque to <file>
  --port, --host          dashboard: where to serve (default 127.0.0.1:8547); --low-funds <n> warns below n tokens,
                          --explorer <prefix> links transactions
  --token-per-native <n>  cashout, dashboard, watch: tokens one unit of the chain's native currency is worth, to weigh gas
  --max-gas-share <f>     cashout, watch: refuse when gas exceeds this share of the payout (default 0.25)
  --token <address>       verify, receive: the token accepted (default: the factory's token; every chequebook's
                          token is checked against it)
  --policy <name>         verify, receive: solvency policy reject (default), flag or hard-deposit
  --min-timeout <seconds> verify, receive: hard-deposit: the least decrease timeout that counts (default 86400)
  --revocable <what>      verify, receive: cheques an ERC-1271 issuer can revoke: refuse or cash-now (default:
                          refuse under hard-deposit, cash-now otherwise)
  --min-increment <n>     verify, receive: the least a cheque must add, in tokens (default: any increase)
  --erc1271-gas <n>       verify, receive: gas cap of an ERC-1271 signature check (default 300000)
  --force                 withdraw, raise a hard deposit or cash out despite the guard
  --all                   cashout: every chequebook worth it; a table of each one's outcome (exit 6 if one failed)
  --delegate <address>    cashout --all, watch: the CashoutDelegate to batch through (default $CHEQUEBOOK_DELEGATE)
  --sequential            cashout --all, watch: one transaction per chequebook even when batching is possible
${WATCH_HELP.trimEnd()}
  --json                  machine-readable output
  -h, --help              this help

Exit codes: 0 ok, 1 unexpected, 2 usage, 3 cheque refused, 4 funds (insufficient, nothing to cash, not worth the
gas), 5 network, 6 transaction failed, 7 configuration (key, factory), 8 database (unreadable, or in use by a
running node).
`;
