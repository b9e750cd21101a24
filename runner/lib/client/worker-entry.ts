// One worker thread of WorkerClient: a StreamingClient of its own, answering send messages.
import { parentPort, workerData } from 'node:worker_threads';
import type { GenerationRequest } from './body.ts';
import { StreamingClient, type Target } from './send.ts';
import type { WorkerSendOptions } from './workers.ts';
import { stampScanner } from '../testserver/stamps.ts';

const port = parentPort;
if (port === null) throw new Error('worker-entry.ts runs only as a worker thread');
const client = new StreamingClient((workerData as { target: Target }).target);

port.on('message', (m: { id: number; request: GenerationRequest; options: WorkerSendOptions }) => {
  const lags: number[] | undefined = m.options.measureSendLag ? [] : undefined;
  const scan = lags === undefined ? undefined : stampScanner((sent, arrival) => lags.push(performance.timeOrigin + arrival - sent));
  client.send(m.request, { ...m.options, ...(scan ? { onChunk: (arrival: number, chunk: Uint8Array) => scan(chunk, arrival) } : {}) }).then(
    (record) => port.postMessage({ id: m.id, result: { record, ...(lags ? { sendLagsMs: lags } : {}) } }),
    (err: unknown) => port.postMessage({ id: m.id, error: String(err) }),
  );
});
port.postMessage({ ready: performance.timeOrigin });
