/**
 * One node of the network demo, in its own process: a store server, a client that fetches history and pays as
 * SWAP says, or a freeloader that fetches and never pays. Nodes are libp2p nodes (TCP on 127.0.0.1, Noise, Yamux)
 * with the SWAP service; history is a request/response protocol charged through `paidStreamHandler`. Each node's
 * identity is derived from its name, so every process can name the others. The node reports what happens as JSON
 * lines on stdout, with peers named S, A, F.
 */
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { generateKeyPairFromSeed } from "@libp2p/crypto/keys";
import type { Libp2p, PeerId, PrivateKey } from "@libp2p/interface";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { tcp } from "@libp2p/tcp";
import { lpStream } from "@libp2p/utils";
import { multiaddr } from "@multiformats/multiaddr";
import { createHash } from "node:crypto";
import { JsonRpcProvider, Wallet } from "ethers";
import { createLibp2p } from "libp2p";

import {
  ChequeReceiver,
  ChequeVerifier,
  ChequebookIssuer,
  SqliteChequeStore,
  SqliteLedgerStore,
  isChequeError,
  type HardPhaseOptions,
  type SwapPhase,
} from "../../sdk/index.js";
import { paidRequest, paidStreamHandler, swapConnectionGater, swapService, type SwapService } from "../../sdk/transport/libp2p/index.js";

export interface NodeConfig {
  id: string;
  role: "server" | "client" | "freeloader";
  phase: SwapPhase;
  /** The server's multiaddr (with its /p2p/ id), for clients. */
  serverAddr?: string;
  serverId?: string;
  rounds: number;
  batch: number;
  db: string;
  rpc?: string;
  chainId?: string;
  key?: string;
  chequebook?: string;
  factory?: string;
  token?: string;
}

const HISTORY = "/swap-demo/history/1.0.0";
const NAMES = ["S", "A", "F"];

/** The demo identity of a node, from its name. */
async function identity(name: string): Promise<PrivateKey> {
  return generateKeyPairFromSeed("Ed25519", createHash("sha256").update(`swap-demo:${name}`).digest());
}

const emit = (event: Record<string, unknown>) =>
  process.stdout.write(JSON.stringify(event, (_k, v) => (typeof v === "bigint" ? v.toString() : v)) + "\n");

async function main(config: NodeConfig): Promise<void> {
  const ids = new Map<string, PeerId>();
  for (const n of NAMES) ids.set(n, peerIdFromPrivateKey(await identity(n)));
  const nameOf = (peer: unknown) => NAMES.find((n) => ids.get(n)!.toString() === peer) ?? String(peer);
  /** Waiting for the answer to our payment in flight (the engine logs it when it arrives). */
  const answered: Array<() => void> = [];
  const store = SqliteChequeStore.open(config.db);
  let hard: HardPhaseOptions | undefined;
  if (config.phase === "hard") {
    const provider = new JsonRpcProvider(config.rpc!, BigInt(config.chainId!), { staticNetwork: true, cacheTimeout: -1 });
    const signer = new Wallet(config.key!, provider);
    const verifier = new ChequeVerifier({ provider, chainId: BigInt(config.chainId!), beneficiary: signer.address, trustedFactories: [config.factory!], token: config.token!, store });
    hard = { issuer: await ChequebookIssuer.connect({ signer, chequebook: config.chequebook!, store, tx: { pollMs: 50 } }), receiver: new ChequeReceiver({ verifier, store }), verifier, store, token: config.token! };
  }
  const node: Libp2p<{ swap: SwapService }> = await createLibp2p({
    privateKey: await identity(config.id),
    addresses: { listen: config.role === "server" ? ["/ip4/127.0.0.1/tcp/0"] : [] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: { ...swapConnectionGater(() => node.services.swap), denyDialMultiaddr: () => false },
    services: {
      swap: swapService({
        accounting: {
          config: { phase: config.phase, paymentThreshold: 100n, disconnectThreshold: 150n, earlyPaymentPercent: 50, tokenPerUnit: 10n ** 14n, cooldownMs: 60_000 },
          ledger: SqliteLedgerStore.open(config.db),
          ...(hard === undefined ? {} : { hard }),
          logger: (e) => {
            const { event, ...fields } = e;
            if ("peer" in fields) fields["peer"] = nameOf(fields["peer"]);
            if (["cheque_sent", "cheque_received", "cheque_rejected", "out_of_bounds", "handshake"].includes(event)) emit({ ...fields, event: "log", logEvent: event, id: config.id });
            if (event === "disconnected") emit({ event: "disconnect", id: config.id, peer: fields["peer"], balance: fields["balance"] });
            if (event === "payment_accepted" || event === "payment_refused") for (const w of answered.splice(0)) w();
          },
        },
      }),
    },
  });
  const service: SwapService = node.services.swap;
  const swap = () => service.accounting;

  if (config.role === "server") {
    let served = 0;
    await node.handle(
      HISTORY,
      paidStreamHandler({
        accounting: swap,
        protocol: "store",
        handle: async ({ stream, peer, charge }) => {
          const lp = lpStream(stream);
          const n = (await lp.read()).subarray()[0]!;
          try {
            await charge(n, async () => {
              for (let i = 0; i < n; i++) await lp.write(new TextEncoder().encode(`history #${served + i}`));
            });
          } catch (error) {
            emit({ event: "refused", id: config.id, peer: nameOf(peer), code: isChequeError(error) ? error.code : String(error), balance: swap().balance(peer) });
            throw error;
          }
          served += n;
          emit({ event: "served", id: config.id, peer: nameOf(peer), n, balance: swap().balance(peer) });
          await stream.close();
        },
      }),
    );
    emit({ event: "listening", id: config.id, addr: node.getMultiaddrs()[0]!.toString() });
    // The orchestrator closes stdin when the round is over: report and stop.
    process.stdin.resume();
    await new Promise((resolve) => process.stdin.on("end", resolve));
    await swap().idle();
    emit({ event: "done", id: config.id, served, peers: swap().peers().map((p) => ({ ...p, peer: nameOf(p.peer) })) });
    await node.stop();
    await store.close();
    return;
  }

  // client or freeloader
  const server = ids.get(config.serverId!)!;
  const serverId = server.toString();
  let closed = false;
  node.addEventListener("peer:disconnect", (e) => {
    if (!e.detail.equals(server)) return;
    closed = true;
    for (const w of answered.splice(0)) w();
  });
  await node.dial(multiaddr(config.serverAddr!));
  await service.ready(server); // the server's handshake was accepted

  const ask = async (n: number): Promise<number> => {
    const stream = await node.dialProtocol(server, HISTORY);
    const lp = lpStream(stream);
    await lp.write(Uint8Array.of(n));
    for (let i = 0; i < n; i++) await lp.read();
    await stream.close();
    return n;
  };
  let received = 0;
  for (let round = 1; round <= config.rounds && !closed; round++) {
    try {
      received += config.role === "client" ? await paidRequest(swap(), serverId, "store", config.batch, () => ask(config.batch)) : await ask(config.batch);
    } catch (error) {
      emit({ event: "refused_by_server", id: config.id, round, code: isChequeError(error) ? error.code : "DISCONNECTED" });
      break;
    }
    await swap().idle();
    emit({ event: "round", id: config.id, round, received, balance: swap().balance(serverId), inflight: swap().peers()[0]?.paymentInFlight });
  }
  await swap().idle();
  // The answer to our last payment, if one is in flight (or the connection closing).
  while (!closed && swap().peers()[0]?.paymentInFlight !== undefined) await new Promise<void>((resolve) => answered.push(resolve));
  emit({ event: "done", id: config.id, received, balance: swap().balance(serverId) });
  await node.stop();
  await store.close();
}

const config = JSON.parse(process.argv[2] ?? "{}") as NodeConfig;
main(config).then(
  () => process.exit(0),
  (error: unknown) => {
    emit({ event: "fatal", id: config.id, error: String(error) });
    process.exit(1);
  },
);
