/**
 * A TCP proxy in front of a PostgreSQL server for tests of unknown outcomes: once armed with a command tag (e.g.
 * "UPDATE 1"), it cuts the client's connection when the server's answer carries that tag. The server answers only
 * after the commit, so the write is committed while the client hears only that its connection broke.
 */
import { createServer, connect, type Server, type Socket } from "node:net";

/** A TCP proxy to the server at `target` that, once armed, cuts the client's connection when the server answers `tag`. */
export async function cuttingProxy(target: URL): Promise<{ url: string; arm: (tag: string) => Promise<void>; close: () => Promise<void> }> {
  let armed: { tag: Buffer; done: () => void } | undefined;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    client.on("data", (d) => upstream.write(d));
    upstream.on("data", (d: Buffer) => {
      const cut = armed;
      if (cut !== undefined && d.includes(cut.tag)) {
        armed = undefined;
        client.destroy(); // the server has committed (it answers only after); the client never hears of it
        upstream.destroy();
        cut.done();
        return;
      }
      client.write(d);
    });
    const end = () => (client.destroy(), upstream.destroy());
    client.on("close", end).on("error", end);
    upstream.on("close", end).on("error", end);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  const url = new URL(target.toString());
  url.port = String(address.port);
  return {
    url: url.toString(),
    arm: (tag) => new Promise<void>((done) => (armed = { tag: Buffer.from(`${tag}\0`), done })),
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}
