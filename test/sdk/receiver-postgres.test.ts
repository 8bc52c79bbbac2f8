/**
 * ChequeReceiver on a PostgreSQL store whose connection breaks at the commit of a receipt (a network cut, a proxy or
 * failover restarting): the cheque is stored, the store hears only that its connection broke. Reported failed, the
 * payment would vanish: the peer sends the same cheque again, which is then stale (it is held), so no receipt ever
 * credits it, though we hold it and can cash it.
 */
import { expect } from "chai";

import { ChequeReceiver, PostgresChequeStore, signCheque } from "../../sdk/index.js";
import { networkHelpers } from "../helpers/setup.js";
import { cuttingProxy } from "./cutting-proxy.js";
import { UNIT, sdkFixture, verifierFor } from "./helpers.js";
import { freshDatabase } from "./postgres-server.js";

describe("SDK receiver: a receipt committed but not heard", function () {
  this.timeout(60_000);

  for (const [name, tag, first] of [
    ["the first cheque from a chequebook", "INSERT 0 1", 0n],
    ["a cheque above one held", "UPDATE 1", 3n * UNIT],
  ] as const) {
    it(`${name}: accepted once, with its increment, not lost`, async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      const url = await freshDatabase("receiver_unknown");
      const proxy = await cuttingProxy(new URL(url));
      const store = await PostgresChequeStore.open(proxy.url);
      const cheque = (amount: bigint) => signCheque({ signer: f.issuer, chequebook: f.address, beneficiary: f.beneficiary.address, cumulativePayout: amount, chainId: f.chainId });
      try {
        const verifier = verifierFor(f, store);
        const receiver = new ChequeReceiver({ verifier, store });
        await verifier.verify(await cheque(1n)); // learns (and writes down) the chequebook's facts: not the write cut
        if (first > 0n) await receiver.receive(await cheque(first));
        const c = await cheque(10n * UNIT);
        const cut = proxy.arm(tag);
        const { increment } = await receiver.receive(c);
        await cut;
        expect(increment).to.equal(10n * UNIT - first);
        expect((await store.getReceived(f.address, f.beneficiary.address))!.cheque).to.deep.equal(c);
      } finally {
        await store.close();
        await proxy.close();
      }
    });
  }
});
