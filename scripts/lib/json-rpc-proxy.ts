/**
 * Serves an in-process provider (Hardhat's simulated network) over HTTP JSON-RPC on 127.0.0.1, so that child
 * processes of a benchmark can read the same chain. Batches are answered in order; errors keep their code, message
 * and data.
 */
import { createServer, type Server } from "node:http";

interface Request {
  id: unknown;
  method: string;
  params?: unknown[];
}

export interface JsonRpcProxy {
  url: string;
  close(): Promise<void>;
}

export async function serveJsonRpc(provider: { send(method: string, params: unknown[]): Promise<unknown> }): Promise<JsonRpcProxy> {
  const answer = async (r: Request) => {
    try {
      return { jsonrpc: "2.0", id: r.id, result: await provider.send(r.method, r.params ?? []) };
    } catch (error) {
      const e = error as { code?: unknown; message?: string; data?: unknown };
      return { jsonrpc: "2.0", id: r.id, error: { code: typeof e.code === "number" ? e.code : -32000, message: e.message ?? String(error), data: e.data } };
    }
  };
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      void (async () => {
        const parsed = JSON.parse(body) as Request | Request[];
        const out = Array.isArray(parsed) ? await Promise.all(parsed.map(answer)) : await answer(parsed);
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(out, (_k, v) => (typeof v === "bigint" ? "0x" + v.toString(16) : v)));
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (typeof address !== "object" || address === null) throw new Error("no address");
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
