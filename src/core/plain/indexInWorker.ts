import { Worker } from 'node:worker_threads';
import { DumpError, oneLine, type DumpErrorCode } from '../errors';
import type { IndexedCluster } from './clusterDump';
import type { IndexOptions, PlainIndex } from './indexer';

/** What the worker is started to do (its workerData): index a plain dump, or read a pg_dumpall script whole. */
export interface WorkerJob {
  file: string;
  job: 'plain' | 'cluster';
}
/** Main thread → worker. */
export type WorkerRequest = { kind: 'cancel' };
/** Worker → main thread. */
export type WorkerReply =
  | { kind: 'progress'; bytes: number }
  | { kind: 'done'; result: PlainIndex | IndexedCluster }
  | { kind: 'error'; code: DumpErrorCode; message: string; cancelled: boolean };

/** Indexing was stopped on request (not a failure to tell the user about). */
export class IndexingCancelled extends Error {
  constructor(file: string) {
    super(`indexing ${file} was cancelled`);
    this.name = 'IndexingCancelled';
  }
}

/** How long a cancelled worker may take to stop by itself before it is terminated. */
const CANCEL_GRACE_MS = 2_000;

/**
 * indexPlainDump in a worker thread (`workerScript` is the bundled indexWorker.ts). Rejects with a
 * DumpError (one line for the user), or IndexingCancelled when `signal` stopped it.
 */
export function indexInWorker(workerScript: string, file: string, options: IndexOptions = {}): Promise<PlainIndex> {
  return runInWorker(workerScript, { file, job: 'plain' }, options) as Promise<PlainIndex>;
}

/** indexCluster (a pg_dumpall script's parts and the index of each database) in a worker thread. */
export function indexClusterInWorker(workerScript: string, file: string, options: IndexOptions = {}): Promise<IndexedCluster> {
  return runInWorker(workerScript, { file, job: 'cluster' }, options) as Promise<IndexedCluster>;
}

function runInWorker(workerScript: string, job: WorkerJob, options: IndexOptions): Promise<PlainIndex | IndexedCluster> {
  const { file } = job;
  return new Promise<PlainIndex | IndexedCluster>((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new IndexingCancelled(file));
      return;
    }
    const worker = new Worker(workerScript, { workerData: job });
    let settled = false;
    let grace: NodeJS.Timeout | undefined;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      if (grace) clearTimeout(grace);
      fn();
      void worker.terminate();
    };
    const onAbort = () => {
      worker.postMessage({ kind: 'cancel' } satisfies WorkerRequest);
      grace = setTimeout(() => finish(() => reject(new IndexingCancelled(file))), CANCEL_GRACE_MS);
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (m: WorkerReply) => {
      if (m.kind === 'progress') options.onProgress?.(m.bytes);
      // A result that comes after the signal was aborted (the worker finished before it saw the
      // cancel) is dropped: the caller asked to stop, and is told it stopped.
      else if (m.kind === 'done') finish(() => (options.signal?.aborted ? reject(new IndexingCancelled(file)) : resolve(m.result)));
      else finish(() => reject(m.cancelled ? new IndexingCancelled(file) : new DumpError(m.code, m.message)));
    });
    worker.on('error', (err) => finish(() => reject(new DumpError('usage', `indexing ${file} failed: ${oneLine(err)}`, { cause: err }))));
    worker.on('exit', (code) => finish(() => reject(new DumpError('usage', `the indexing worker for ${file} stopped (exit code ${code}) before it finished`))));
  });
}
