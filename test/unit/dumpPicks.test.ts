import assert from 'node:assert/strict';
import { exactPattern, selectionForPicks } from '../../src/core/dump/picks';

const schema = (name: string, picked: boolean, tables: [string, boolean][]) => ({ name, picked, tables: tables.map(([n, p]) => ({ name: n, picked: p })) });

describe('dump picks as pg_dump switches', () => {
  it('everything: no switch; whole schemas: -n each; anything less: -t each table', () => {
    assert.deepEqual(selectionForPicks([schema('a', true, [['t', true]]), schema('b', true, [])]), {});
    assert.deepEqual(selectionForPicks([schema('a', true, [['t', true]]), schema('b', false, [['u', false]])]), { schemas: ['"a"'] });
    assert.deepEqual(selectionForPicks([schema('a', true, [['t', true], ['v', true]]), schema('b', true, [['u', true], ['w', false]])]), { tables: ['"a"."t"', '"a"."v"', '"b"."u"'] });
    assert.equal(selectionForPicks([schema('a', false, [['t', false]])]), undefined);
  });

  it('quotes names so that they match themselves only', () => {
    assert.equal(exactPattern('Audit Log', 'Event "Quoted" Name'), '"Audit Log"."Event ""Quoted"" Name"');
    assert.equal(exactPattern('s', 'a*b?'), '"s"."a*b?"');
  });
});
