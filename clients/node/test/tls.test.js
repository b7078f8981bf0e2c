// Role certificates against the TLS pair that scripts/test-clients.sh starts:
// mutual TLS and per-method authorization (docs/security.md), in JavaScript
// (clients/python and clients/go run the same checks). REEL_PKI_DIR/ROLE
// holds ca.crt, tls.crt and tls.key of a client certificate whose identity is
// spiffe://reel/ns/test/sa/ROLE.
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { after, before, test } = require('node:test');
const reel = require('../reel');

const { grpc, status, unary } = reel;
const WRITER = 'reel-writer';
const READER = 'reel-search'; // catalog reader
const SEARCHER = 'reel-web';
const NOBODY = 'nobody'; // no role
const identity = (role) => `spiffe://reel/ns/test/sa/${role}`;
const prefix = `js-${crypto.randomBytes(4).toString('hex')}`; // film ids of this run

let pki;
let caOnly; // a directory with the CA alone: a client without a certificate
const addresses = {};
const clients = [];
let film; // the writer's film

// A client of the TLS pair's catalog or search with role's certificate
// (role null: none), closed after the tests.
function client(role, service) {
  const credentials = reel.tlsCredentials(role ? path.join(pki, role) : caOnly);
  const made = service === 'catalog'
    ? reel.catalogClient(addresses.catalog, credentials)
    : reel.searchClient(addresses.search, credentials);
  clients.push(made);
  return made;
}

// grpc.health.v1.Health/Check for the whole server, through a generic client
// (grpc-js has no health stubs): resolves to the response bytes, where
// <08 01> is {status: SERVING}.
function healthCheck(role, service) {
  const generic = new grpc.Client(addresses[service], reel.tlsCredentials(role ? path.join(pki, role) : caOnly));
  clients.push(generic);
  return new Promise((resolve, reject) => {
    generic.makeUnaryRequest('/grpc.health.v1.Health/Check', (bytes) => bytes, (bytes) => bytes,
      Buffer.alloc(0), { deadline: reel.deadline() }, (error, response) => (error ? reject(error) : resolve(response)));
  });
}

// Rejects with the call's error: assert.rejects(promise, code(status.NOT_FOUND)).
function code(expected) {
  return (error) => {
    assert.equal(reel.statusName(error.code), reel.statusName(expected), error.message);
    return true;
  };
}

// Rejects with PERMISSION_DENIED naming role's identity and the method.
function denied(role, method) {
  return (error) => {
    assert.equal(reel.statusName(error.code), 'PERMISSION_DENIED', error.message);
    assert.ok(error.details.startsWith(`authorization: ${identity(role)}`), error.details);
    assert.ok(error.details.includes(` may not call ${method}`), error.details);
    return true;
  };
}

async function searchAll(searcher, request) {
  const messages = [];
  for await (const message of searcher.searchScenes(request, { deadline: reel.deadline() })) {
    messages.push(message);
  }
  return { hits: messages.flatMap((m) => m.hits), summary: messages.at(-1).summary };
}

before(async () => {
  addresses.catalog = process.env.REEL_TLS_CATALOG_ADDR;
  addresses.search = process.env.REEL_TLS_SEARCH_ADDR;
  pki = process.env.REEL_PKI_DIR;
  assert.ok(addresses.catalog && addresses.search && pki, 'REEL_TLS_CATALOG_ADDR, REEL_TLS_SEARCH_ADDR '
    + 'and REEL_PKI_DIR must be set: run scripts/test-clients.sh, which starts the TLS pair');
  caOnly = fs.mkdtempSync(path.join(os.tmpdir(), 'reel-ca-only-'));
  fs.copyFileSync(path.join(pki, WRITER, 'ca.crt'), path.join(caOnly, 'ca.crt'));

  const filmId = `${prefix}-tls-quokka`;
  ({ film } = await unary(client(WRITER, 'catalog'), 'createFilm', {
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
  if (caOnly) fs.rmSync(caOnly, { recursive: true, force: true });
});

test('TLS: the writer writes; a reader reads but may not write', async () => {
  assert.equal(film.name, `films/${prefix}-tls-quokka`);
  assert.ok(film.revision > 0);

  const reader = client(READER, 'catalog');
  const { film: got } = await unary(reader, 'getFilm', { name: film.name });
  assert.deepEqual([got.title, got.etag], ['The Quokka Certificate', film.etag]);
  const page = await unary(reader, 'listFilms', { pageSize: 1000 });
  assert.ok(page.films.some((f) => f.name === film.name));
  assert.ok(page.revision >= film.revision);

  await assert.rejects(unary(reader, 'createFilm', { filmId: `${prefix}-tls-by-reader`, film: { title: 'Not allowed' } }),
    denied(READER, '/reel.catalog.v1.CatalogService/CreateFilm'));
  // Nothing was written.
  await assert.rejects(unary(reader, 'getFilm', { name: `films/${prefix}-tls-by-reader` }),
    code(status.NOT_FOUND));
});

test('TLS: the searcher finds the writer\'s film; a reader may not search', async () => {
  const request = {
    query: 'quokka certificate',
    minRevision: film.revision, // read-your-writes
    filter: { films: [film.name] },
  };
  const searcher = client(SEARCHER, 'search');
  const { hits, summary } = await searchAll(searcher, request);
  assert.deepEqual(hits.map((hit) => [hit.film, hit.sceneId]), [[film.name, 's1']]);
  assert.ok(summary.indexRevision >= film.revision);
  const index = await unary(searcher, 'getIndexStatus', {});
  assert.ok(index.ready && index.appliedRevision >= film.revision);

  await assert.rejects(searchAll(client(READER, 'search'), request),
    denied(READER, '/reel.search.v1.SearchService/SearchScenes'));
});

test('TLS: no role gets only health; no certificate, no connection', async () => {
  await assert.rejects(unary(client(NOBODY, 'catalog'), 'listFilms', { pageSize: 1 }),
    denied(NOBODY, '/reel.catalog.v1.CatalogService/ListFilms'));
  await assert.rejects(searchAll(client(NOBODY, 'search'), { query: 'quokka' }),
    denied(NOBODY, '/reel.search.v1.SearchService/SearchScenes'));
  for (const service of ['catalog', 'search']) {
    assert.deepEqual(await healthCheck(NOBODY, service), Buffer.from([0x08, 0x01]), service);
  }
  // Without a client certificate the handshake fails: no call gets
  // through, not even health.
  await assert.rejects(healthCheck(null, 'catalog'), code(status.UNAVAILABLE));
});
