import assert from 'node:assert/strict';
import { readLiveDatabase } from '../../src/core/server/liveObjects';
import { testEnv } from '../support/env';
import { query } from '../support/pgServer';
import { connectionTo } from '../support/targetDb';

describe('what a live database holds (for choosing what to dump or copy)', () => {
  it('the fixture database: its schemas, their tables with sizes, partitions under their table', async () => {
    const { server, database } = testEnv();
    const live = await readLiveDatabase(connectionTo(database));
    assert.deepEqual(live.schemas.map((s) => s.name), ['Audit Log', 'public', 'sales']);
    const sales = live.schemas.find((s) => s.name === 'sales')!;
    const byName = new Map(sales.tables.map((t) => [t.name, t]));
    const size = async (name: string) => Number((await query<{ n: string }>(server, database, 'select pg_total_relation_size($1::regclass)::text as n', [name]))[0]?.n);
    assert.equal(byName.get('order')?.kind, 'table');
    assert.equal(byName.get('order')?.bytes, await size('sales."order"'));
    assert.equal(byName.get('daily_totals')?.kind, 'materialized view');
    const measurement = byName.get('measurement');
    assert.equal(measurement?.kind, 'partitioned table');
    assert.equal(byName.get('measurement_2024')?.partitionOf, 'sales.measurement');
    assert.equal(measurement?.bytes, (await size('sales.measurement_2024')) + (await size('sales.measurement_2025')), 'a partitioned table weighs what its partitions do');
    assert.equal(sales.bytes, sales.tables.filter((t) => !t.partitionOf).reduce((n, t) => n + t.bytes, 0));
    assert.equal(live.serverMajor, Number(server.version.split('.')[0]));
    // Extensions' own objects are not the database's to dump.
    assert.ok(!live.schemas.some((s) => s.name.startsWith('pg_') || s.name === 'information_schema'));
  });
});
