import { parentPort, workerData } from 'node:worker_threads';
import { DumpError, oneLine } from '../errors';
import { indexPlainDump } from './indexer';
import { indexCluster } from './clusterDump';
import type { WorkerJob, WorkerReply, WorkerRequest } from './indexInWorker';

/**
 * The worker thread that indexes a plain dump, or reads a pg_dumpall script whole (bundled on its
 * own as dist/plainIndexWorker.js):
 * a pass over gigabytes must not hold up the extension host's thread. It reports progress, ends
 * with the index or one line of error, and stops when told to cancel.
 */

const port = parentPort;
if (port) {
  const controller = new AbortController();
  port.on('message', (m: WorkerRequest) => {
    if (m.kind === 'cancel') controller.abort();
  });
  const { file, job } = workerData as WorkerJob;
  const post = (m: WorkerReply) => port.postMessage(m);
  const options = { signal: controller.signal, onProgress: (bytes: number) => post({ kind: 'progress', bytes }) };
  (job === 'cluster' ? indexCluster(file, options) : indexPlainDump(file, options)).then(
    (result) => post({ kind: 'done', result }),
    (err: unknown) => post({ kind: 'error', code: err instanceof DumpError ? err.code : 'usage', message: oneLine(err), cancelled: controller.signal.aborted }),
  );
}
