import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { IndexingCancelled, indexInWorker } from '../../src/core/plain/indexInWorker';

/**
 * The worker runner's answer when the caller aborts: a stand-in worker script says what a fast
 * indexing worker says (a progress report, then its result, posted at once), so that the result
 * always arrives after the abort its progress report caused.
 */
describe('indexing in a worker thread', function () {
  let dir: string;
  let script: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-worker-'));
    script = path.join(dir, 'fastWorker.js');
    fs.writeFileSync(
      script,
      "const { parentPort } = require('node:worker_threads');\nparentPort.postMessage({ kind: 'progress', bytes: 1 });\nparentPort.postMessage({ kind: 'done', result: { entries: [] } });\n",
    );
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a result that arrives after the abort is dropped: the caller is told it was cancelled', async () => {
    const controller = new AbortController();
    let progress = 0;
    await assert.rejects(
      indexInWorker(script, 'huge.sql', {
        signal: controller.signal,
        onProgress: (bytes) => {
          progress = bytes;
          controller.abort();
        },
      }),
      (err: unknown) => err instanceof IndexingCancelled,
    );
    assert.equal(progress, 1);
  });

  it('without an abort, the result is the worker\'s', async () => {
    const result = await indexInWorker(script, 'huge.sql', { onProgress: () => undefined });
    assert.deepEqual(result, { entries: [] });
  });
});
