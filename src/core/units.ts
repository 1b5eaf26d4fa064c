/**
 * Numbers as people read them in messages, labels and webviews: `12,345`, `1 table` / `2
 * tables`, `3.4 MB`. No imports: the webviews' bundles use it too.
 */

/**
 * `12,345`: en-US digit grouping. Integers are grouped here: the first Intl object a process
 * makes costs about 12 ms (ICU's start), on the way to every command's first line. Other
 * numbers go through Intl, made when first needed.
 */
export function formatCount(n: number): string {
  if (!Number.isSafeInteger(n) || Object.is(n, -0)) return (anyNumber ??= new Intl.NumberFormat('en-US')).format(n);
  const digits = String(Math.abs(n));
  let grouped = digits.slice(0, ((digits.length - 1) % 3) + 1);
  for (let at = grouped.length; at < digits.length; at += 3) grouped += `,${digits.slice(at, at + 3)}`;
  return n < 0 ? `-${grouped}` : grouped;
}

let anyNumber: Intl.NumberFormat | undefined;

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
