/** Numbers as people read them in labels: `12,345`, and byte sizes via the core's formatBytes. */
export { formatBytes } from '../core/restore/reportText';

const integer = new Intl.NumberFormat('en-US');

export function formatCount(n: number): string {
  return integer.format(n);
}

/** `1 table`, `2 tables`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}
