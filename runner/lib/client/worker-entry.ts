// One worker thread of WorkerClient: a StreamingClient of its own, answering send messages.
import { parentPort, workerData } from 'node:worker_threads';
import type { GenerationRequest } from './body.ts';
import { StreamingClient, type Target } from './send.ts';
import type { WorkerSendOptions } from './workers.ts';

const port = parentPort;
if (port === null) throw new Error('worker-entry.ts runs only as a worker thread');
const client = new StreamingClient((workerData as { target: Target }).target);

port.on('message', (m: { id: number; request: GenerationRequest; options: WorkerSendOptions }) => {
  const lags: number[] | undefined = m.options.measureSendLag ? [] : undefined;
  const onEvent =
    lags === undefined
      ? undefined
      : (arrival: number, json: unknown) => {
          const sent = (json as { x_sent_at?: unknown }).x_sent_at;
          if (typeof sent === 'number') lags.push(performance.timeOrigin + arrival - sent);
        };
  client.send(m.request, { ...m.options, onEvent }).then(
    (record) => port.postMessage({ id: m.id, result: { record, ...(lags ? { sendLagsMs: lags } : {}) } }),
    (err: unknown) => port.postMessage({ id: m.id, error: String(err) }),
  );
});
port.postMessage({ ready: performance.timeOrigin });
