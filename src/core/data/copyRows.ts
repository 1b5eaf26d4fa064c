import type { Readable } from 'node:stream';

/**
 * The rows of a COPY text stream, one line each (COPY escapes newlines inside values), up to
 * the `\.` terminator that pg_dump writes. Stops reading, and releases the stream, after `limit`.
 */
export async function* copyRows(stream: Readable, limit = Infinity): AsyncGenerator<string> {
  if (limit <= 0) {
    stream.destroy();
    return;
  }
  let count = 0;
  let rest = '';
  const decoder = new TextDecoder('utf-8');
  try {
    for await (const chunk of stream) {
      const text = rest + decoder.decode(chunk as Buffer, { stream: true });
      let start = 0;
      for (;;) {
        const nl = text.indexOf('\n', start);
        if (nl < 0) break;
        const line = text.slice(start, nl);
        start = nl + 1;
        if (line === '\\.') return;
        yield line;
        if (++count >= limit) return;
      }
      rest = text.slice(start);
    }
    if (rest !== '' && rest !== '\\.') yield rest;
  } finally {
    stream.destroy();
  }
}
