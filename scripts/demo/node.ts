/**
 * One node of the network demo, in its own process: a store server, a client that fetches history and pays as
 * SWAP says, or a freeloader that fetches and never pays. Nodes talk over TCP on 127.0.0.1 in frames of
 * [u32 length][u8 channel][payload]: channel 0 introduces the sender, 1 carries SWAP protobuf, 2 a history
 * request, 3 its answer. The node reports what happens as JSON lines on stdout.
 */
import { createConnection, createServer, type Socket } from "node:net";

import { JsonRpcProvider, Wallet } from "ethers";

import {
  ChequeReceiver,
  ChequeVerifier,
  ChequebookIssuer,
  SqliteChequeStore,
  SqliteLedgerStore,
  SwapAccounting,
  isChequeError,
  type HardPhaseOptions,
  type SwapPhase,
} from "../../sdk/index.js";

export interface NodeConfig {
  id: string;
  role: "server" | "client" | "freeloader";
  phase: SwapPhase;
  port: number;
  /** The server's port, for clients. */
  serverPort?: number;
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

const CHANNEL = { HELLO: 0, SWAP: 1, REQUEST: 2, RESPONSE: 3 } as const;

function frame(channel: number, payload: Uint8Array): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(payload.length + 1, 0);
  header.writeUInt8(channel, 4);
  return Buffer.concat([header, payload]);
}

/** Splits a byte stream into frames. */
function onFrames(socket: Socket, handler: (channel: number, payload: Buffer) => void): void {
  let buffer = Buffer.alloc(0);
  socket.on("data", (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    while (buffer.length >= 4) {
      const length = buffer.readUInt32BE(0);
      if (buffer.length < 4 + length) break;
      handler(buffer.readUInt8(4), buffer.subarray(5, 4 + length));
      buffer = buffer.subarray(4 + length);
    }
  });
}

const emit = (event: Record<string, unknown>) =>
  process.stdout.write(JSON.stringify(event, (_k, v) => (typeof v === "bigint" ? v.toString() : v)) + "\n");

async function main(config: NodeConfig): Promise<void> {
  const sockets = new Map<string, Socket>();
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
  const swap = await SwapAccounting.open({
    config: { phase: config.phase, paymentThreshold: 100n, disconnectThreshold: 150n, earlyPaymentPercent: 50, tokenPerUnit: 10n ** 14n, cooldownMs: 60_000 },
    hooks: {
      send: (peer, bytes) => void sockets.get(peer)?.write(frame(CHANNEL.SWAP, bytes)),
      disconnect: (peer) => {
        emit({ event: "disconnect", id: config.id, peer, balance: swap.balance(peer) });
        sockets.get(peer)?.end();
      },
    },
    ledger: SqliteLedgerStore.open(config.db),
    ...(hard === undefined ? {} : { hard }),
    logger: (e) => {
      const { event, ...fields } = e;
      if (["cheque_sent", "cheque_received", "cheque_rejected", "out_of_bounds", "handshake"].includes(event)) emit({ ...fields, event: "log", logEvent: event, id: config.id });
      if (event === "payment_accepted" || event === "payment_refused") for (const w of answered.splice(0)) w();
    },
  });

  const swapInput = (peer: string, payload: Buffer) =>
    swap.handle(peer, new Uint8Array(payload)).catch((error: unknown) => emit({ event: "swap_error", id: config.id, peer, code: isChequeError(error) ? error.code : String(error) }));

  if (config.role === "server") {
    let served = 0;
    const server = createServer((socket) => {
      let peer: string | undefined;
      onFrames(socket, (channel, payload) => {
        if (channel === CHANNEL.HELLO) {
          peer = payload.toString();
          sockets.set(peer, socket);
          swap.connect(peer).catch((error: unknown) => {
            socket.end(frame(CHANNEL.RESPONSE, Buffer.from(JSON.stringify({ refused: isChequeError(error) ? error.code : String(error) }))));
          });
        } else if (peer !== undefined && channel === CHANNEL.SWAP) {
          void swapInput(peer, payload);
        } else if (peer !== undefined && channel === CHANNEL.REQUEST) {
          const { n } = JSON.parse(payload.toString()) as { n: number };
          const from = peer;
          swap.reserveProvide(from, "store", n).then(
            async (reservation) => {
              socket.write(frame(CHANNEL.RESPONSE, Buffer.from(JSON.stringify({ messages: Array.from({ length: n }, (_, i) => `history #${served + i}`) }))));
              served += n;
              await reservation.apply();
              emit({ event: "served", id: config.id, peer: from, n, balance: swap.balance(from) });
            },
            (error: unknown) => {
              const code = isChequeError(error) ? error.code : String(error);
              emit({ event: "refused", id: config.id, peer: from, code, balance: swap.balance(from) });
              if (!socket.destroyed) socket.end(frame(CHANNEL.RESPONSE, Buffer.from(JSON.stringify({ refused: code }))));
            },
          );
        }
      });
      socket.on("close", () => peer !== undefined && swap.disconnected(peer));
      socket.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(config.port, "127.0.0.1", resolve));
    emit({ event: "listening", id: config.id, port: config.port });
    // The orchestrator closes stdin when the round is over: report and stop.
    process.stdin.resume();
    await new Promise((resolve) => process.stdin.on("end", resolve));
    await swap.idle();
    emit({ event: "done", id: config.id, served, peers: swap.peers() });
    server.close();
    for (const s of sockets.values()) s.destroy();
    await swap.close();
    await store.close();
    return;
  }

  // client or freeloader
  const serverId = config.serverId!;
  const socket = createConnection({ host: "127.0.0.1", port: config.serverPort! });
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  sockets.set(serverId, socket);
  const responses: Array<(value: { messages?: string[]; refused?: string }) => void> = [];
  let closed = false;
  socket.on("close", () => {
    closed = true;
    swap.disconnected(serverId);
    for (const r of responses.splice(0)) r({ refused: "DISCONNECTED" });
  });
  socket.on("error", () => undefined);
  onFrames(socket, (channel, payload) => {
    if (channel === CHANNEL.SWAP) void swapInput(serverId, payload);
    if (channel === CHANNEL.RESPONSE) responses.shift()?.(JSON.parse(payload.toString()) as { messages?: string[]; refused?: string });
  });
  socket.write(frame(CHANNEL.HELLO, Buffer.from(config.id)));
  await swap.connect(serverId);
  await swap.ready(serverId); // the server's handshake was accepted

  let received = 0;
  for (let round = 1; round <= config.rounds && !closed; round++) {
    const consume = config.role === "client" ? await swap.reserveConsume(serverId, "store", config.batch) : undefined;
    const answer = await new Promise<{ messages?: string[]; refused?: string }>((resolve) => {
      responses.push(resolve);
      socket.write(frame(CHANNEL.REQUEST, Buffer.from(JSON.stringify({ n: config.batch }))));
    });
    if (answer.messages === undefined) {
      consume?.release();
      emit({ event: "refused_by_server", id: config.id, round, code: answer.refused });
      break;
    }
    received += answer.messages.length;
    await consume?.apply();
    await swap.idle();
    emit({ event: "round", id: config.id, round, received, balance: swap.balance(serverId), inflight: swap.peers()[0]?.paymentInFlight });
  }
  await swap.idle();
  // The answer to our last payment, if one is in flight (or the connection closing).
  while (!closed && swap.peers()[0]?.paymentInFlight !== undefined) {
    await new Promise<void>((resolve) => {
      answered.push(resolve);
      socket.once("close", resolve);
    });
  }
  emit({ event: "done", id: config.id, received, balance: swap.balance(serverId) });
  socket.end();
  await swap.close();
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
