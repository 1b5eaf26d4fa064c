/**
 * The folder a real VS Code opens for the extension-host suite, the end-to-end test and the demo:
 * copies of the built fixtures (test/support/fixtures.ts) under the names a user would give them,
 * one per format.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FixtureName } from './fixtures';
import { projectRoot } from './fixtures';

/** File (or folder) name in the workspace → the fixture it copies. */
export const WORKSPACE_FILES = {
  'rich.dump': 'custom.dump',
  'rich-uncompressed.dump': 'custom-z0.dump',
  'rich.tar': 'archive.tar',
  'rich-dir': 'dir-gzip',
  'rich.sql': 'plain.sql',
  'rich.sql.gz': 'plain.sql.gz',
  'cluster.sql': 'cluster.sql',
  'globals.sql': 'globals.sql',
} as const satisfies Record<string, FixtureName>;

export type WorkspaceFile = keyof typeof WORKSPACE_FILES;

/** Where `npm run bench` keeps the 90,000-entry archive (bench/run.mjs), newest first; empty when not generated. */
export function benchArchives(): string[] {
  const dir = path.join(projectRoot, '.cache', 'bench');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => /^bench-90k-.*\.dump$/.test(f))
    .map((f) => path.join(dir, f))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
}

/**
 * Fills `dir` (created when missing) with copies of the fixtures named in WORKSPACE_FILES, or the
 * subset `only`. Copies, not links: a test may write beside them and must never touch the cache.
 */
export function fillWorkspace(dir: string, fixtures: Record<FixtureName, string>, only?: WorkspaceFile[]): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const name of only ?? (Object.keys(WORKSPACE_FILES) as WorkspaceFile[])) {
    fs.cpSync(fixtures[WORKSPACE_FILES[name]], path.join(dir, name), { recursive: true });
  }
  return dir;
}
