// Reel's client scenario, in JavaScript (the same one clients/python and
// clients/go run): writes with etags, pagination, streamed search with
// highlights, cancellation, deadlines, watch resumption and argument errors,
// against the real services that scripts/test-clients.sh starts.
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { after, before, test } = require('node:test');
const reel = require('../reel');
const { parseFilmPage } = require('../seedpage');
const example = require('../example');

const { status, unary } = reel;
let catalog;
let search;
const prefix = `js-${crypto.randomBytes(4).toString('hex')}`; // film ids of this run

before(async () => {
  const catalogAddr = process.env.REEL_CATALOG_ADDR;
  const searchAddr = process.env.REEL_SEARCH_ADDR;
  assert.ok(catalogAddr && searchAddr, 'REEL_CATALOG_ADDR and REEL_SEARCH_ADDR must be set: run '
    + 'scripts/test-clients.sh, which starts catalog-service and search-service');
  catalog = reel.catalogClient(catalogAddr);
  search = reel.searchClient(searchAddr);
  for (const stop = Date.now() + 30_000; ; await new Promise((r) => setTimeout(r, 100))) {
    if ((await unary(search, 'getIndexStatus', {})).ready) break;
    assert.ok(Date.now() < stop, 'the search index never got ready');
  }
});

after(() => {
  catalog.close();
  search.close();
});

// Rejects with the call's error: assert.rejects(promise, code(status.ABORTED)).
function code(expected) {
  return (error) => {
    assert.equal(reel.statusName(error.code), reel.statusName(expected), error.message);
    return true;
  };
}

// ImportFilms is client-streaming: write the requests, end, await the response.
function importFilms(films) {
  return new Promise((resolve, reject) => {
    const call = catalog.importFilms({ deadline: reel.deadline() }, (error, response) => {
      if (error) return reject(error);
      if (response.importedCount !== films.length || response.failedCount !== 0) {
        return reject(new Error(`imported ${response.importedCount}, failed ${response.failedCount}: `
          + `${JSON.stringify(response.errors[0])}`));
      }
      return resolve(response.revision);
    });
    call.write({ films });
    call.end();
  });
}

// Runs a search to its end.
async function searchAll(request, timeoutMs = reel.DEFAULT_TIMEOUT_MS) {
  const messages = [];
  for await (const message of search.searchScenes(request, { deadline: reel.deadline(timeoutMs) })) {
    messages.push(message);
  }
  return { messages, hits: messages.flatMap((m) => m.hits), summary: messages.at(-1).summary };
}

// Every message carries hits, the last also the summary; ranks run 1..n
// with scores not increasing.
function checkStreamShape({ messages, hits, summary }) {
  messages.forEach((message, i) => {
    const last = i === messages.length - 1;
    assert.ok(message.hits.length > 0, `message ${i}`);
    assert.equal(message.summary !== null, last, `message ${i}`);
  });
  assert.deepEqual(hits.map((h) => h.rank), hits.map((_, i) => i + 1));
  hits.slice(1).forEach((hit, i) => assert.ok(hit.score <= hits[i].score));
  assert.equal(summary.returnedCount, hits.length);
  assert.ok(summary.totalMatches >= hits.length);
}

test('create, get, update with an etag conflict', async () => {
  const filmId = `${prefix}-etag`;
  const request = {
    filmId,
    requestId: `${filmId}-create`,
    film: { title: 'The Etag Affair', year: 1951, synopsis: 'Kept.' },
  };
  const { film: created } = await unary(catalog, 'createFilm', request);
  assert.equal(created.name, `films/${filmId}`);
  assert.ok(created.revision > 0 && created.etag);

  // A retry with the same requestId returns the first response, writing nothing.
  const { film: retried } = await unary(catalog, 'createFilm', request);
  assert.deepEqual([retried.revision, retried.etag], [created.revision, created.etag]);

  const { film: got } = await unary(catalog, 'getFilm', { name: created.name });
  assert.deepEqual([got.title, got.etag], ['The Etag Affair', created.etag]);

  const updateMask = { paths: ['title'] };
  const { film: updated } = await unary(catalog, 'updateFilm', {
    film: { name: created.name, etag: created.etag, title: 'The Etag Affair II' }, updateMask,
  });
  assert.equal(updated.title, 'The Etag Affair II');
  assert.equal(updated.synopsis, 'Kept.'); // outside the mask
  assert.ok(updated.revision > created.revision && updated.etag !== created.etag);

  await assert.rejects(unary(catalog, 'updateFilm', {
    film: { name: created.name, etag: created.etag, title: 'Lost update' }, updateMask,
  }), (error) => code(status.ABORTED)(error) && error.details.length > 0);

  const { film: afterFailure } = await unary(catalog, 'getFilm', { name: created.name });
  assert.deepEqual([afterFailure.title, afterFailure.etag], ['The Etag Affair II', updated.etag]);
});

test('list pagination to the end', async () => {
  const mine = Array.from({ length: 7 }, (_, i) => `films/${prefix}-page-0${i + 1}`);
  await importFilms(mine.map((name, i) => ({ name, title: `Page film ${i + 1}` })));
  const names = [];
  let pageToken = '';
  for (let pages = 1; ; pages++) {
    const page = await unary(catalog, 'listFilms', { pageSize: 3, pageToken });
    assert.ok(page.films.length <= 3 && page.revision > 0 && pages < 10_000);
    names.push(...page.films.map((film) => film.name));
    pageToken = page.nextPageToken;
    if (!pageToken) break;
  }
  // Film id order is byte order; JavaScript's default sort compares UTF-16
  // units, the same for these ASCII ids.
  assert.deepEqual(names, [...names].sort());
  assert.equal(new Set(names).size, names.length);
  assert.deepEqual(names.filter((name) => mine.includes(name)), mine);
});

// The seed film (parsed from its page) and a film with non-ASCII text,
// created once through the API.
let searchFilms;
function createSearchFilms() {
  searchFilms ??= (async () => {
    const root = path.resolve(__dirname, '..', '..', '..');
    const shared = process.env.REEL_SHARED_DIR || path.resolve(root, '..', 'shared');
    const seed = parseFilmPage(fs.readFileSync(path.join(shared, 'seed', 'the-red-shoes.txt'), 'utf8'));
    assert.equal(seed.title, 'The Red Shoes');
    assert.equal(seed.scenes.length, 9);
    const cafe = {
      title: 'Ballerína café 🩰',
      year: 2024,
      synopsis: 'A ballerína opens a café 🩰 in Reykjavík.',
      scenes: [{
        sceneId: 's1',
        title: '🩰 Ballerína café',
        description: 'The ballerína dances 🩰 through the café, slippers squeaking.',
      }],
    };
    const names = [];
    let revision = 0;
    for (const [filmId, film] of [[`${prefix}-the-red-shoes`, seed], [`${prefix}-ballerina-cafe`, cafe]]) {
      const response = await unary(catalog, 'createFilm', { film, filmId, requestId: `${filmId}-create` });
      names.push(response.film.name);
      revision = response.film.revision;
    }
    return { names, revision };
  })();
  return searchFilms;
}

test('streamed search: hits in rank order, highlights index JavaScript strings', async () => {
  const { names, revision } = await createSearchFilms();
  let result = await searchAll({ query: 'ballerina cafe', minRevision: revision, filter: { films: names } });
  checkStreamShape(result);
  const { hits, summary } = result;
  assert.ok(summary.indexRevision >= revision);
  assert.deepEqual([hits[0].film, hits[0].sceneId], [names[1], 's1']);

  // A JavaScript string is UTF-16 code units: slice with the UTF-16 offsets.
  for (const hit of hits) {
    for (const { snippet, spans } of hit.highlights) {
      assert.ok(spans.length > 0);
      const utf8 = Buffer.from(snippet, 'utf8');
      const codePoints = [...snippet];
      for (const span of spans) {
        const word = snippet.slice(span.startUtf16, span.endUtf16);
        assert.ok(['ballerína', 'café', 'ballerina'].includes(word.toLowerCase()), `${word} in ${snippet}`);
        assert.equal(utf8.subarray(span.startByte, span.endByte).toString('utf8'), word);
        assert.equal(codePoints.slice(span.startCodePoint, span.endCodePoint).join(''), word);
      }
    }
  }
  const title = hits[0].highlights.find((h) => h.field === 'HIGHLIGHT_FIELD_SCENE_TITLE');
  assert.equal(title.snippet, '🩰 Ballerína café');
  const [first] = title.spans;
  assert.equal(title.snippet.slice(first.startUtf16, first.endUtf16), 'Ballerína');
  // The units differ here: the emoji is 4 bytes, 2 UTF-16 units, 1 code point.
  assert.deepEqual([first.startByte, first.startUtf16, first.startCodePoint], [5, 3, 2]);

  // A small result comes whole in one message, the summary with its hits.
  result = await searchAll({ query: 'red shoes', minRevision: revision, filter: { films: [names[0]] } });
  checkStreamShape(result);
  assert.equal(result.hits.length, 9);
  assert.equal(result.messages.length, 1);
  assert.equal(result.summary.totalMatches, 9);
  assert.equal(result.summary.complete, true);
});

test('cancellation mid-stream', async () => {
  // 200 films of 5 scenes sharing a word: a stream far longer than flow
  // control lets the server send ahead.
  const filler = Array(8).fill('a long walk along the harbour past the bakery').join(' ');
  const films = Array.from({ length: 200 }, (_, f) => ({
    name: `films/${prefix}-many-${String(f).padStart(3, '0')}`,
    title: `Marzipan ${f}`,
    scenes: [1, 2, 3, 4, 5].map((s) => ({
      sceneId: `s${s}`, title: `Marzipan scene ${s}`, description: `${filler}, the marzipan ${s}. ${filler}`,
    })),
  }));
  const revision = await importFilms(films);
  const request = {
    query: 'marzipan', maxResults: 1000, minRevision: revision, filter: { films: films.map((f) => f.name) },
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    const call = search.searchScenes(request, { deadline: reel.deadline() });
    let messages = 0;
    let summary = false;
    await assert.rejects((async () => {
      for await (const message of call) {
        if (++messages === 1) {
          assert.ok(message.hits.length > 0 && message.hits.length <= 5);
          call.cancel();
        }
        summary ||= message.summary !== null;
      }
    })(), code(status.CANCELLED));
    assert.equal(summary, false, 'the stream completed despite the cancellation');
  }
  // The service is unharmed.
  const { hits } = await searchAll({ ...request, minRevision: 0 });
  assert.equal(hits.length, 1000);
});

test('deadline exceeded', async () => {
  const { film } = await unary(catalog, 'createFilm', { filmId: `${prefix}-deadline`, film: { title: 'Deadline' } });
  const start = Date.now();
  // An index revision that will not come: wait until the deadline.
  await assert.rejects(searchAll({ query: 'deadline', minRevision: film.revision + 1_000_000 }, 300),
    code(status.DEADLINE_EXCEEDED));
  assert.ok(Date.now() - start < 5000);
});

// Reads a WatchFilms stream from `start` until a message's revision reaches
// `until`: the events and that message's revision (the resume point).
async function readWatch(start, until) {
  const call = catalog.watchFilms({ startRevision: start }, { deadline: reel.deadline() });
  const events = [];
  try {
    for await (const message of call) {
      events.push(...message.events);
      if (message.revision >= until) return { events, resume: message.revision };
    }
  } finally {
    call.cancel(); // the stream never ends on its own
  }
  throw new Error('the watch stream ended');
}

test('watch resumes from a revision', async () => {
  const { film: created } = await unary(catalog, 'createFilm', { filmId: `${prefix}-watched`, film: { title: 'Watched' } });
  const { film: updated } = await unary(catalog, 'updateFilm', {
    film: { name: created.name, title: 'Watched again' }, updateMask: { paths: ['title'] },
  });

  let { events, resume } = await readWatch(created.revision, updated.revision);
  events.forEach((event, i) => assert.ok(event.revision > (i ? events[i - 1].revision : created.revision)));
  assert.deepEqual(
    events.filter((e) => e.name === created.name).map((e) => [e.type, e.revision, e.film.title]),
    [['EVENT_TYPE_UPDATED', updated.revision, 'Watched again']],
  );

  const deleted = await unary(catalog, 'deleteFilm', { name: created.name, etag: updated.etag });
  ({ events } = await readWatch(resume, deleted.revision));
  assert.ok(events.every((e) => e.revision > resume)); // no duplicate, no gap
  assert.deepEqual(
    events.filter((e) => e.name === created.name).map((e) => [e.type, e.revision, e.film]),
    [['EVENT_TYPE_DELETED', deleted.revision, null]],
  );
});

test('invalid argument', async () => {
  await assert.rejects(searchAll({ query: '"red shoes' }),
    (error) => code(status.INVALID_ARGUMENT)(error) && error.details.startsWith('query:'));
  await assert.rejects(unary(catalog, 'createFilm', { filmId: 'untitled', film: { title: '' } }),
    (error) => code(status.INVALID_ARGUMENT)(error) && error.details.startsWith('film.title'));
});

test('the example runs', async () => {
  const lines = [];
  assert.equal(await example.main([], (line) => lines.push(line)), 0);
  const out = lines.join('\n');
  assert.match(out, /#1 The Red Shoes/);
  assert.match(out, /\[/);
  assert.match(out, /INVALID_ARGUMENT: query:/);
});
