import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { projectRoot } from '../support/fixtures';

interface Manifest {
  capabilities: { untrustedWorkspaces: { restrictedConfigurations: string[] } };
  contributes: { configuration: { properties: Record<string, { scope?: string }> } };
}

describe('package.json', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as Manifest;

  it('every setting naming a program to run is machine-scoped and restricted in untrusted workspaces', () => {
    const properties = manifest.contributes.configuration.properties;
    const programs = Object.keys(properties).filter((k) => /Path$/.test(k));
    assert.deepEqual(programs.sort(), ['pgDumpExplorer.pgDumpPath', 'pgDumpExplorer.pgDumpallPath', 'pgDumpExplorer.pgRestorePath', 'pgDumpExplorer.psqlPath', 'pgDumpExplorer.serverBinPath']);
    for (const key of programs) assert.equal(properties[key]?.scope, 'machine', key);
    assert.deepEqual([...manifest.capabilities.untrustedWorkspaces.restrictedConfigurations].sort(), programs);
  });
});
