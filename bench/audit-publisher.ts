// The audit bench's publisher, on a thread of its own. In a deployment audit events are published
// by other processes (admission, scanner, policy); publishing them on the audit service's own
// event loop would charge the producers' work (a JetStream publish and its acknowledgement per
// event) to the service under test, which the direct-bulk baseline does not pay.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { AuditEventSchema } from '@assay/proto';

export interface Encoded {
  subject: string;
  data: Uint8Array;
  id: string;
}

interface Setup {
  natsUrl: string;
  messages: Encoded[];
  inFlight: number;
}

/** A publisher thread holding `messages`; `run()` publishes them all and resolves when every one is acknowledged. */
export async function startPublisher(natsUrl: string, messages: Encoded[], inFlight: number): Promise<{ run(): Promise<void> }> {
  const worker = new Worker(new URL(import.meta.url), { workerData: { natsUrl, messages, inFlight } satisfies Setup });
  const next = () =>
    new Promise<string>((resolve, reject) => {
      const onMessage = (m: string) => {
        worker.off('error', onError);
        resolve(m);
      };
      const onError = (err: Error) => {
        worker.off('message', onMessage);
        reject(err);
      };
      worker.once('message', onMessage);
      worker.once('error', onError);
    });
  if ((await next()) !== 'ready') throw new Error('publisher thread did not start');
  return {
    async run() {
      const done = next();
      worker.postMessage('go');
      if ((await done) !== 'done') throw new Error('publisher thread failed');
      await worker.terminate();
    },
  };
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  const { natsUrl, messages, inFlight } = workerData as Setup;
  const { connectBus, eventHeaders } = await import('@assay/bus');
  const bus = await connectBus({ servers: natsUrl, name: 'bench-publisher' });
  port.once('message', async () => {
    let p = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (p < messages.length) {
          const e = messages[p++]!;
          await bus.js.publish(e.subject, e.data, { msgID: e.id, headers: eventHeaders(AuditEventSchema, e.id) });
        }
      }),
    );
    await bus.close();
    port.postMessage('done');
  });
  port.postMessage('ready');
}
