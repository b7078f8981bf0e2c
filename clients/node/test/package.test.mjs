// The package as a consumer gets it: installed from the packed tarball
// (scripts/test-clients.sh runs these tests in a folder of its own that
// installed it), at the repository's version, usable from ES modules and
// CommonJS, and its types checked by compiling a typed consumer.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import * as reel from '@reel/client';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const manifestPath = require.resolve('@reel/client/package.json');
const packageDir = path.dirname(manifestPath);
const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
// Run from the source folder itself (npm test there), the name resolves to
// that folder: the checks of an installed copy do not apply.
const fromSource = fs.realpathSync(packageDir) === fs.realpathSync(path.resolve(here, '..'));

test('version: the repository\'s VERSION', () => {
  const versionFile = process.env.REEL_VERSION_FILE || path.resolve(here, '..', '..', '..', 'VERSION');
  const version = fs.readFileSync(versionFile, 'utf8').trim();
  assert.match(version, /^\d+\.\d+\.\d+/);
  assert.equal(manifest.version, version);
  assert.equal(reel.VERSION, version);
});

test('installed from the tarball: public, Apache-2.0, the build only', { skip: fromSource && 'run from the source folder' }, () => {
  assert.equal(manifest.name, '@reel/client');
  assert.notEqual(manifest.private, true);
  assert.equal(manifest.license, 'Apache-2.0');
  assert.match(packageDir, /node_modules[\\/]@reel[\\/]client$/);
  assert.equal(fs.lstatSync(packageDir).isSymbolicLink(), false, 'a link to the sources, not an installed copy');
  assert.deepEqual(fs.readdirSync(packageDir).sort(), ['LICENSE', 'README.md', 'dist', 'package.json']);
  assert.match(fs.readFileSync(path.join(packageDir, 'LICENSE'), 'utf8'), /Apache License\s+Version 2\.0/);
  for (const format of ['esm', 'cjs']) {
    for (const file of ['index.js', 'index.d.ts', 'gen/reel/catalog/v1/catalog_pb.d.ts', 'gen/reel/search/v1/search_pb.js']) {
      assert.ok(fs.existsSync(path.join(packageDir, 'dist', format, file)), `dist/${format}/${file}`);
    }
  }
  // The dependencies came from the registry with it.
  for (const dependency of Object.keys(manifest.dependencies)) {
    assert.ok(require.resolve(dependency, { paths: [packageDir] }), dependency);
  }
});

test('ES modules and CommonJS export the same API', async () => {
  const cjs = require('@reel/client');
  assert.equal(cjs.VERSION, reel.VERSION);
  assert.deepEqual(Object.keys(cjs).sort(), Object.keys(reel).sort());
  for (const name of ['CatalogClient', 'SearchClient', 'SearchResults', 'ReelError', 'Status', 'FilmSchema',
    'CatalogService', 'SearchService', 'Health', 'SortOrder', 'tlsFromDir', 'create', 'toJson']) {
    assert.ok(reel[name] && cjs[name], name);
  }
  // An error from either copy is recognised: nothing listens on port 1.
  for (const { CatalogClient } of [reel, cjs]) {
    const catalog = new CatalogClient('127.0.0.1:1');
    try {
      await assert.rejects(catalog.getFilm({ name: 'films/nowhere' }), (error) => {
        assert.ok(reel.isReelError(error, reel.Status.UNAVAILABLE), error.stack);
        assert.equal(error.codeName, 'UNAVAILABLE');
        return true;
      });
    } finally {
      catalog.close();
    }
  }
});

test('messages: typed builders, JSON with int64 as strings', () => {
  const film = reel.create(reel.FilmSchema, { name: 'films/x', title: 'X', revision: 5n });
  assert.equal(film.$typeName, 'reel.catalog.v1.Film');
  assert.deepEqual(reel.toJson(reel.FilmSchema, film), { name: 'films/x', title: 'X', revision: '5' });
  assert.equal(reel.statusName(reel.Status.FAILED_PRECONDITION), 'FAILED_PRECONDITION');
  assert.equal(reel.SortOrder[reel.SortOrder.TITLE], 'TITLE');
});

test('types: a typed consumer and the README\'s example compile (tsc --noEmit)', () => {
  // The README as installed: its example, as a module of its own.
  const readme = fs.readFileSync(path.join(packageDir, 'README.md'), 'utf8');
  const example = readme.match(/^## Example\n+```ts\n([^]*?)^```$/m);
  assert.ok(example, 'README.md has no ```ts block under "## Example"');
  fs.writeFileSync(path.join(here, 'types', 'readme.mts'), `${example[1]}export {};\n`);
  const tsc = require.resolve('typescript/bin/tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', path.join(here, 'types', 'tsconfig.json')], { encoding: 'utf8' });
  } catch (error) {
    assert.fail(`tsc found type errors:\n${error.stdout}${error.stderr}`);
  }
});
