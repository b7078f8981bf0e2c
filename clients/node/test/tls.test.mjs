// Role certificates against the TLS pair that scripts/test-clients.sh starts:
// mutual TLS and per-method authorization (docs/security.md), through
// @reel/client as installed (clients/python and clients/go run the same
// checks). REEL_PKI_DIR/ROLE holds ca.crt, tls.crt and tls.key of a client
// certificate whose identity is spiffe://reel/ns/test/sa/ROLE.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  CatalogClient,
  HealthCheckResponse_ServingStatus as ServingStatus,
  SearchClient,
  Status,
  isReelError,
  statusName,
  tlsFromDir,
} from '@reel/client';

const WRITER = 'reel-writer';
const READER = 'reel-search'; // catalog reader
const SEARCHER = 'reel-web';
const NOBODY = 'nobody'; // no role
const identity = (role) => `spiffe://reel/ns/test/sa/${role}`;
const prefix = `js-${crypto.randomBytes(4).toString('hex')}`; // film ids of this run

let pki;
const addresses = {};
const clients = [];
let film; // the writer's film

// A client of the TLS pair's catalog or search with role's certificate
// (role null: the CA alone, no client certificate), closed after the tests.
function client(role, service) {
  const tls = role ? path.join(pki, role) : { ca: fs.readFileSync(path.join(pki, WRITER, 'ca.crt')) };
  const made = service === 'catalog'
    ? new CatalogClient(addresses.catalog, { tls })
    : new SearchClient(addresses.search, { tls });
  clients.push(made);
  return made;
}

// Rejects with a ReelError of that code: assert.rejects(promise, code(Status.NOT_FOUND)).
function code(expected) {
  return (error) => {
    assert.ok(isReelError(error), `not a ReelError: ${error?.stack ?? error}`);
    assert.equal(error.codeName, statusName(expected), error.message);
    return true;
  };
}

// Rejects with PERMISSION_DENIED naming role's identity and the method.
function denied(role, method) {
  return (error) => {
    code(Status.PERMISSION_DENIED)(error);
    assert.ok(error.details.startsWith(`authorization: ${identity(role)}`), error.details);
    assert.ok(error.details.includes(` may not call ${method}`), error.details);
    assert.equal(error.method, method);
    return true;
  };
}

before(async () => {
  addresses.catalog = process.env.REEL_TLS_CATALOG_ADDR;
  addresses.search = process.env.REEL_TLS_SEARCH_ADDR;
  pki = process.env.REEL_PKI_DIR;
  assert.ok(addresses.catalog && addresses.search && pki, 'REEL_TLS_CATALOG_ADDR, REEL_TLS_SEARCH_ADDR '
    + 'and REEL_PKI_DIR must be set: run scripts/test-clients.sh, which starts the TLS pair');

  const filmId = `${prefix}-tls-quokka`;
  ({ film } = await client(WRITER, 'catalog').createFilm({
    filmId,
    requestId: `${filmId}-create`,
    film: {
      title: 'The Quokka Certificate',
      year: 2024,
      scenes: [{ sceneId: 's1', title: 'Quokka at the gate', description: 'A quokka shows its certificate to the guard.' }],
    },
  }));
});

after(() => {
  for (const made of clients) made.close();
});

test('TLS: a directory of PEM files', () => {
  const tls = tlsFromDir(path.join(pki, WRITER));
  assert.deepEqual(Object.keys(tls).sort(), ['ca', 'cert', 'key']);
  assert.match(tls.cert.toString(), /BEGIN CERTIFICATE/);
  assert.deepEqual(tlsFromDir(path.join(pki, 'no-such-role')), {}); // the system's roots, no certificate
});

test('TLS: the writer writes; a reader reads but may not write', async () => {
  assert.equal(film.name, `films/${prefix}-tls-quokka`);
  assert.ok(film.revision > 0n);

  const reader = client(READER, 'catalog');
  const { film: got } = await reader.getFilm({ name: film.name });
  assert.deepEqual([got.title, got.etag], ['The Quokka Certificate', film.etag]);
  const page = await reader.listFilms({ pageSize: 1000 });
  assert.ok(page.films.some((f) => f.name === film.name));
  assert.ok(page.revision >= film.revision);

  await assert.rejects(reader.createFilm({ filmId: `${prefix}-tls-by-reader`, film: { title: 'Not allowed' } }),
    denied(READER, '/reel.catalog.v1.CatalogService/CreateFilm'));
  // Nothing was written.
  await assert.rejects(reader.getFilm({ name: `films/${prefix}-tls-by-reader` }), code(Status.NOT_FOUND));
});

test('TLS: the searcher finds the writer\'s film; a reader may not search', async () => {
  const request = {
    query: 'quokka certificate',
    minRevision: film.revision, // read-your-writes
    filter: { films: [film.name] },
  };
  const searcher = client(SEARCHER, 'search');
  const { hits, summary } = await searcher.searchAll(request);
  assert.deepEqual(hits.map((hit) => [hit.film, hit.sceneId]), [[film.name, 's1']]);
  assert.ok(summary.indexRevision >= film.revision);
  const index = await searcher.getIndexStatus();
  assert.ok(index.ready && index.appliedRevision >= film.revision);

  await assert.rejects(client(READER, 'search').searchAll(request),
    denied(READER, '/reel.search.v1.SearchService/SearchScenes'));
});

test('TLS: no role gets only health; no certificate, no connection', async () => {
  await assert.rejects(client(NOBODY, 'catalog').listFilms({ pageSize: 1 }),
    denied(NOBODY, '/reel.catalog.v1.CatalogService/ListFilms'));
  await assert.rejects(client(NOBODY, 'search').searchAll({ query: 'quokka' }),
    denied(NOBODY, '/reel.search.v1.SearchService/SearchScenes'));
  for (const service of ['catalog', 'search']) {
    assert.equal(await client(NOBODY, service).checkHealth(), ServingStatus.SERVING, service);
  }
  assert.equal(await client(NOBODY, 'search').checkHealth('reel.search.v1.SearchService'), ServingStatus.SERVING);
  // Without a client certificate the handshake fails: no call gets
  // through, not even health.
  for (const service of ['catalog', 'search']) {
    await assert.rejects(client(null, service).checkHealth(), code(Status.UNAVAILABLE), service);
  }
});
