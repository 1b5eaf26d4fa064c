import type { Readable } from 'node:stream';

/**
 * The rows of a COPY text stream, one line each (COPY escapes newlines inside values), up to
 * the `\.` terminator that pg_dump writes. Stops reading, and releases the stream, after `limit`
 * rows; otherwise reads to the end, so that damage after the last row is still reported.
 */
export async function* copyRows(stream: Readable, limit = Infinity): AsyncGenerator<string> {
  let count = 0;
  let rest = '';
  let ended = false;
  const decoder = new TextDecoder('utf-8');
  try {
    if (limit <= 0) return;
    for await (const chunk of stream) {
      // After `\.` the rest is read but not parsed, so that a stream cut short after it (a
      // missing compression trailer) still fails rather than passing for complete.
      if (ended) continue;
      const text = rest + decoder.decode(chunk as Buffer, { stream: true });
      let start = 0;
      for (;;) {
        const nl = text.indexOf('\n', start);
        if (nl < 0) break;
        const line = text.slice(start, nl);
        start = nl + 1;
        if (line === '\\.') {
          ended = true;
          break;
        }
        yield line;
        if (++count >= limit) return;
      }
      rest = ended ? '' : text.slice(start);
    }
    if (!ended && rest !== '' && rest !== '\\.') yield rest;
  } finally {
    stream.destroy();
  }
}
