import assert from 'node:assert/strict';
import { formatCount, plural } from '../../src/core/units';

describe('numbers in messages', () => {
  it('formatCount groups digits as en-US Intl does, for every kind of number', () => {
    const intl = new Intl.NumberFormat('en-US');
    const samples = [0, -0, 1, 12, 123, 999, 1000, 1234, 12345, 123456, 999999, 1_000_000, 8_000_000, 90_104, -1, -999, -1000, -1234567, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 53, 1.5, 1234.5678, Number.NaN, Number.POSITIVE_INFINITY];
    // Every digit count up to 16, from a fixed sequence (a test that is the same every run).
    for (let digits = 1, n = 7; digits <= 16; digits++, n = n * 10 + ((digits * 3) % 10)) samples.push(n, -n);
    for (const n of samples) assert.equal(formatCount(n), intl.format(n), String(n));
  });

  it('plural', () => {
    assert.equal(plural(1, 'table'), '1 table');
    assert.equal(plural(12345, 'entry', 'entries'), '12,345 entries');
  });
});
