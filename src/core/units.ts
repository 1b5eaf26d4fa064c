/**
 * Numbers as people read them in messages, labels and webviews: `12,345`, `1 table` / `2
 * tables`, `3.4 MB`. No imports: the webviews' bundles use it too.
 */

const integer = new Intl.NumberFormat('en-US');

export function formatCount(n: number): string {
  return integer.format(n);
}

/** `1 table`, `2 tables`, `12,345 entries` (with `many` given). */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** Bytes in binary units: `512 B`, `1.5 kB`, `12 MB`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}
