// Reel's client scenario through @reel/client as installed (the same one
// clients/python and clients/go run): writes with etags, pagination,
// streamed search with highlights, search orders, cursor paging and facets,
// cancellation, deadlines, watch resumption and argument errors, against
// the real services that scripts/test-clients.sh starts.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import {
  CatalogClient,
  FilmEvent_EventType as EventType,
  HighlightField,
  SearchClient,
  SortOrder,
  Status,
  isReelError,
  statusName,
} from '@reel/client';
import { parseFilmPage } from '../example/filmpage.mjs';
import { main as example } from '../example/example.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
let catalog;
let search;
const prefix = `js-${crypto.randomBytes(4).toString('hex')}`; // film ids of this run

before(async () => {
  const catalogAddr = process.env.REEL_CATALOG_ADDR;
  const searchAddr = process.env.REEL_SEARCH_ADDR;
  assert.ok(catalogAddr && searchAddr, 'REEL_CATALOG_ADDR and REEL_SEARCH_ADDR must be set: run '
    + 'scripts/test-clients.sh, which starts catalog-service and search-service');
  catalog = new CatalogClient(catalogAddr);
  search = new SearchClient(searchAddr);
  for (const stop = Date.now() + 30_000; ; await new Promise((r) => setTimeout(r, 100))) {
    if ((await search.getIndexStatus()).ready) break;
    assert.ok(Date.now() < stop, 'the search index never got ready');
  }
});

after(() => {
  catalog.close();
  search.close();
});

// Rejects with a ReelError of that code: assert.rejects(promise, code(Status.ABORTED)).
function code(expected) {
  return (error) => {
    assert.ok(isReelError(error), `not a ReelError: ${error?.stack ?? error}`);
    assert.equal(error.codeName, statusName(expected), error.message);
    assert.equal(error.code, expected);
    assert.equal(error.message, `${error.codeName}: ${error.details}`);
    return true;
  };
}

// ImportFilms (client-streaming): every film imported, resolves to the
// revision of the last.
async function importFilms(films) {
  const response = await catalog.importFilms({ films });
  assert.equal(response.importedCount, BigInt(films.length), JSON.stringify(response.errors[0]));
  assert.equal(response.failedCount, 0n);
  return response.revision;
}

// Runs a search to its end, message by message.
async function searchAll(request, timeoutMs) {
  const messages = [];
  for await (const message of search.searchScenes(request, { timeoutMs })) messages.push(message);
  return { messages, hits: messages.flatMap((m) => m.hits), summary: messages.at(-1).summary };
}

// Every message carries hits, the last also the summary; ranks run 1..n
// with scores not increasing.
function checkStreamShape({ messages, hits, summary }) {
  messages.forEach((message, i) => {
    const last = i === messages.length - 1;
    assert.ok(message.hits.length > 0, `message ${i}`);
    assert.equal(message.summary !== undefined, last, `message ${i}`);
  });
  assert.deepEqual(hits.map((h) => h.rank), hits.map((_, i) => i + 1));
  hits.slice(1).forEach((hit, i) => assert.ok(hit.score <= hits[i].score));
  assert.equal(summary.returnedCount, hits.length);
  assert.ok(summary.totalMatches >= BigInt(hits.length));
}

test('create, get, update with an etag conflict', async () => {
  const filmId = `${prefix}-etag`;
  const request = {
    filmId,
    requestId: `${filmId}-create`,
    film: { title: 'The Etag Affair', year: 1951, synopsis: 'Kept.' },
  };
  const { film: created } = await catalog.createFilm(request);
  assert.equal(created.name, `films/${filmId}`);
  assert.equal(typeof created.revision, 'bigint'); // int64
  assert.ok(created.revision > 0n && created.etag);

  // A retry with the same requestId returns the first response, writing nothing.
  const { film: retried } = await catalog.createFilm(request);
  assert.deepEqual([retried.revision, retried.etag], [created.revision, created.etag]);

  const { film: got } = await catalog.getFilm({ name: created.name });
  assert.deepEqual([got.title, got.etag], ['The Etag Affair', created.etag]);

  const updateMask = { paths: ['title'] };
  const { film: updated } = await catalog.updateFilm({
    film: { name: created.name, etag: created.etag, title: 'The Etag Affair II' }, updateMask,
  });
  assert.equal(updated.title, 'The Etag Affair II');
  assert.equal(updated.synopsis, 'Kept.'); // outside the mask
  assert.ok(updated.revision > created.revision && updated.etag !== created.etag);

  await assert.rejects(catalog.updateFilm({
    film: { name: created.name, etag: created.etag, title: 'Lost update' }, updateMask,
  }), (error) => code(Status.ABORTED)(error) && error.details.length > 0
    && error.method === '/reel.catalog.v1.CatalogService/UpdateFilm');

  const { film: afterFailure } = await catalog.getFilm({ name: created.name });
  assert.deepEqual([afterFailure.title, afterFailure.etag], ['The Etag Affair II', updated.etag]);
});

test('list pagination to the end', async () => {
  const mine = Array.from({ length: 7 }, (_, i) => `films/${prefix}-page-0${i + 1}`);
  await importFilms(mine.map((name, i) => ({ name, title: `Page film ${i + 1}` })));
  const names = [];
  let pageToken = '';
  for (let pages = 1; ; pages++) {
    const page = await catalog.listFilms({ pageSize: 3, pageToken });
    assert.ok(page.films.length <= 3 && page.revision > 0n && pages < 10_000);
    names.push(...page.films.map((film) => film.name));
    pageToken = page.nextPageToken;
    if (!pageToken) break;
  }
  // Film id order is byte order; JavaScript's default sort compares UTF-16
  // units, the same for these ASCII ids.
  assert.deepEqual(names, [...names].sort());
  assert.equal(new Set(names).size, names.length);
  assert.deepEqual(names.filter((name) => mine.includes(name)), mine);

  // films() follows the pages itself.
  const all = [];
  for await (const film of catalog.films({ pageSize: 3 })) all.push(film.name);
  assert.deepEqual(all.filter((name) => mine.includes(name)), mine);
  assert.deepEqual(all, [...all].sort());
});

// The seed film (parsed from its page) and a film with non-ASCII text,
// created once through the API.
let searchFilms;
function createSearchFilms() {
  searchFilms ??= (async () => {
    const shared = process.env.REEL_SHARED_DIR || path.resolve(here, '..', '..', '..', '..', 'shared');
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
    let revision = 0n;
    for (const [filmId, film] of [[`${prefix}-the-red-shoes`, seed], [`${prefix}-ballerina-cafe`, cafe]]) {
      const response = await catalog.createFilm({ film, filmId, requestId: `${filmId}-create` });
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
  const title = hits[0].highlights.find((h) => h.field === HighlightField.SCENE_TITLE);
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
  assert.equal(result.summary.totalMatches, 9n);
  assert.equal(result.summary.complete, true);

  // search(): the same hits one by one, the summary once they are read.
  const results = search.search({ query: 'red shoes', filter: { films: [names[0]] } });
  const one = [];
  for await (const hit of results) {
    assert.equal(results.summary, undefined); // only after the last hit
    one.push(`${hit.film} ${hit.sceneId}`);
  }
  assert.deepEqual(one, result.hits.map((hit) => `${hit.film} ${hit.sceneId}`));
  assert.equal(results.summary.totalMatches, 9n);
  assert.equal(results.messages, 1);
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
    // Aborting the call's signal: the loop throws CANCELLED.
    const controller = new AbortController();
    let messages = 0;
    let summary = false;
    await assert.rejects((async () => {
      for await (const message of search.searchScenes(request, { signal: controller.signal })) {
        if (++messages === 1) {
          assert.ok(message.hits.length > 0 && message.hits.length <= 5);
          controller.abort();
        }
        summary ||= message.summary !== undefined;
      }
    })(), code(Status.CANCELLED));
    assert.equal(summary, false, 'the stream completed despite the cancellation');
  }
  // SearchResults.cancel() after the first hit: the same.
  const results = search.search(request);
  let read = 0;
  await assert.rejects((async () => {
    for await (const hit of results) {
      if (++read === 1) {
        assert.equal(hit.rank, 1);
        results.cancel();
      }
    }
  })(), code(Status.CANCELLED));
  assert.ok(read < 1000);
  assert.equal(results.summary, undefined);
  // The service is unharmed.
  const { hits } = await search.searchAll({ ...request, minRevision: 0n });
  assert.equal(hits.length, 1000);
});

test('deadline exceeded', async () => {
  const { film } = await catalog.createFilm({ filmId: `${prefix}-deadline`, film: { title: 'Deadline' } });
  const start = Date.now();
  // An index revision that will not come: wait until the deadline.
  await assert.rejects(searchAll({ query: 'deadline', minRevision: film.revision + 1_000_000n }, 300),
    code(Status.DEADLINE_EXCEEDED));
  assert.ok(Date.now() - start < 5000);
});

// Reads a WatchFilms stream from `start` until a message's revision reaches
// `until`: the events and that message's revision (the resume point).
// Returning from the loop cancels the stream, which never ends on its own.
async function readWatch(start, until) {
  const events = [];
  for await (const message of catalog.watchFilms({ startRevision: start }, { timeoutMs: 10_000 })) {
    events.push(...message.events);
    if (message.revision >= until) return { events, resume: message.revision };
  }
  throw new Error('the watch stream ended');
}

test('watch resumes from a revision', async () => {
  const { film: created } = await catalog.createFilm({ filmId: `${prefix}-watched`, film: { title: 'Watched' } });
  const { film: updated } = await catalog.updateFilm({
    film: { name: created.name, title: 'Watched again' }, updateMask: { paths: ['title'] },
  });

  let { events, resume } = await readWatch(created.revision, updated.revision);
  events.forEach((event, i) => assert.ok(event.revision > (i ? events[i - 1].revision : created.revision)));
  assert.deepEqual(
    events.filter((e) => e.name === created.name).map((e) => [e.type, e.revision, e.film.title]),
    [[EventType.UPDATED, updated.revision, 'Watched again']],
  );

  const deleted = await catalog.deleteFilm({ name: created.name, etag: updated.etag });
  ({ events } = await readWatch(resume, deleted.revision));
  assert.ok(events.every((e) => e.revision > resume)); // no duplicate, no gap
  assert.deepEqual(
    events.filter((e) => e.name === created.name).map((e) => [e.type, e.revision, e.film]),
    [[EventType.DELETED, deleted.revision, undefined]],
  );
});

test('close() cancels the calls in flight and later ones', async () => {
  const own = new CatalogClient(process.env.REEL_CATALOG_ADDR);
  const { revision } = await own.listFilms({ pageSize: 1 });
  let events = 0;
  const watching = (async () => {
    for await (const message of own.watchFilms({ startRevision: revision })) events += message.events.length;
  })();
  own.close();
  await assert.rejects(watching, code(Status.CANCELLED));
  await assert.rejects(own.getFilm({ name: `films/${prefix}-etag` }), code(Status.CANCELLED));
  assert.equal(events, 0);
});

test('invalid argument', async () => {
  await assert.rejects(searchAll({ query: '"red shoes' }),
    (error) => code(Status.INVALID_ARGUMENT)(error) && error.details.startsWith('query:'));
  await assert.rejects(catalog.createFilm({ filmId: 'untitled', film: { title: '' } }),
    (error) => code(Status.INVALID_ARGUMENT)(error) && error.details.startsWith('film.title'));
  await assert.rejects(catalog.getFilm({ name: `films/${prefix}-missing` }), code(Status.NOT_FOUND));
});

test('the example runs', async () => {
  const lines = [];
  assert.equal(await example([], (line) => lines.push(line)), 0);
  const out = lines.join('\n');
  assert.match(out, /#1 The Red Shoes/);
  assert.match(out, /\[/);
  assert.match(out, /INVALID_ARGUMENT: query:/);
});

// --- Orders, pages and facets (docs/api.md) ----------------------------------
// In this file, not one of its own: node --test runs files side by side, and
// a write by another test while a search is paged moves the index past the
// page tokens' revision (FAILED_PRECONDITION).

// A made-up word of this run (letters only, so it is indexed as one word):
// searching it finds this run's films and no others.
function randomWord() {
  return Array.from(crypto.randomBytes(12), (b) => String.fromCharCode(97 + (b % 26))).join('');
}

// Six films with known years, genres and directors, sharing a made-up word
// in ten of their scenes; a second word marks one scene as the best match.
// The other nine are three groups of three scenes with the same text, so
// equal scores, which pages of 1, 2 or 3 hits split. Imported once.
let facetedFilms;
function importFacetedFilms() {
  facetedFilms ??= (async () => {
    const word = randomWord();
    const best = randomWord();
    const texts = [
      `The ${word} waits.`,
      `The ${word} waits by the window.`,
      `The ${word} waits by the window, and waits, and waits.`,
    ];
    // key: title, year, genres, directors, the texts of its scenes with the word
    const specs = {
      cinder: ['Cinder Harbour', 1961, ['drama', 'mystery'], ['Ada Moreau'], [0, 1, 2]],
      aurora: ['Aurora Station', 1948, ['drama'], ['Ben Okafor'], [0, 1]],
      beacon: ['beacon Lane', 1975, ['comedy', 'drama'], ['Ada Moreau'], [0]],
      dusk: ['Dusk Parade', 1948, ['comedy'], ['Cleo Varga'], [2, 2]],
      ember: ['Ember Field', 2003, ['mystery'], ['Dev Rao'], [1]],
      garnet: ['Garnet Road', 0, ['documentary'], ['Eve Lund'], [2]], // year unknown
    };
    const films = {};
    for (const [key, [title, year, genres, directors, matching]] of Object.entries(specs)) {
      films[key] = {
        name: `films/${prefix}-facets-${key}`,
        title,
        year,
        genres,
        directors,
        synopsis: 'An evening in town.',
        scenes: [
          ...matching.map((text, i) => ({
            sceneId: `s${i + 1}`, title: `${title}, part ${i + 1}`, description: texts[text],
          })),
          // A scene without the word: never a match.
          { sceneId: 's9', title: `${title}, the end`, description: 'Everyone goes home.' },
        ],
      };
    }
    films.dusk.scenes[1].description += ` Then the ${best} arrives.`; // the best match
    const revision = await importFilms(Object.values(films));
    const keys = Object.fromEntries(Object.entries(films).map(([key, film]) => [film.name, key]));
    return { word, best, films, keys, revision };
  })();
  return facetedFilms;
}

const hitIds = (hits) => hits.map((hit) => `${hit.film} ${hit.sceneId}`);
const facetValues = (values) => values.map((v) => [v.value, Number(v.sceneCount)]);
const oneTo = (n) => Array.from({ length: n }, (_, i) => i + 1);

// The relevance order (SortKey), which ends every order: negative when a
// comes first.
function byRelevance(a, b) {
  const [x, y] = [a.sortKey, b.sortKey];
  return (y.matchedClauses - x.matchedClauses) || (y.score - x.score)
    || (x.film < y.film ? -1 : x.film > y.film ? 1 : 0) || (x.sceneOrdinal - y.sceneOrdinal);
}

// Follows nextPageToken to the end (SearchClient.pages): the hits of every
// page, and how many pages.
async function searchPages(request) {
  const hits = [];
  let pages = 0;
  for await (const page of search.pages(request)) {
    assert.ok(page.hits.length <= request.maxResults && ++pages <= 100);
    hits.push(...page.hits);
  }
  return { hits, pages };
}

test('facets count every match', async () => {
  const { word, keys, revision } = await importFacetedFilms();
  const { hits, summary: first } = await searchAll({
    query: word, minRevision: revision, maxResults: 2, facets: { genres: 2, years: 3 },
  });
  assert.equal(first.totalMatches, 10n);
  assert.equal(hits.length, 2);
  assert.ok(hits.every((hit) => keys[hit.film]));
  // Over every match, not only the hits returned; most scenes first, then
  // by value; films without a year are not counted.
  assert.deepEqual(facetValues(first.facets.genres), [['drama', 6], ['mystery', 4]]);
  assert.deepEqual(facetValues(first.facets.years), [['1948', 4], ['1961', 3], ['1975', 1]]);
  assert.deepEqual(first.facets.directors, []); // not asked for

  // A later page may ask for other facets: still over every match.
  const { summary } = await searchAll({
    query: word, maxResults: 2, pageToken: first.nextPageToken, facets: { genres: 10, directors: 3 },
  });
  assert.deepEqual(facetValues(summary.facets.genres),
    [['drama', 6], ['mystery', 4], ['comedy', 3], ['documentary', 1]]);
  assert.deepEqual(facetValues(summary.facets.directors),
    [['Ada Moreau', 4], ['Ben Okafor', 2], ['Cleo Varga', 2]]);
  assert.deepEqual(summary.facets.years, []);
});

test('sort orders', async () => {
  const { word, best, films, keys, revision } = await importFacetedFilms();
  // Relevance (the default): the scene with both words first.
  const result = await searchAll({ query: `${word} ${best}`, minRevision: revision });
  checkStreamShape(result);
  assert.deepEqual(hitIds(result.hits.slice(0, 1)), [`${films.dusk.name} s2`]);
  assert.deepEqual(result.hits.map((hit) => hit.sortKey.matchedClauses), [2, ...Array(9).fill(1)]);

  const { hits: relevance } = await searchAll({ query: word });
  assert.deepEqual(hitIds(relevance), hitIds([...relevance].sort(byRelevance)));
  const matches = hitIds(relevance).sort();
  assert.equal(matches.length, 10);

  // Each order sorts by its own key, then by relevance. Films without a year
  // come last both ways; titles compare ASCII letters case-insensitively
  // ("beacon Lane" after "Aurora Station").
  const unknownLast = (a, b) => (a.year === 0) - (b.year === 0);
  const title = (hit) => hit.filmTitle.toLowerCase();
  const orders = {
    [SortOrder.YEAR_ASCENDING]: {
      compare: (a, b) => unknownLast(a, b) || (a.year - b.year) || byRelevance(a, b),
      want: (hits) => assert.deepEqual(hits.map((hit) => hit.year),
        [1948, 1948, 1948, 1948, 1961, 1961, 1961, 1975, 2003, 0]),
    },
    [SortOrder.YEAR_DESCENDING]: {
      compare: (a, b) => unknownLast(a, b) || (b.year - a.year) || byRelevance(a, b),
      want: (hits) => assert.deepEqual(hits.map((hit) => hit.year),
        [2003, 1975, 1961, 1961, 1961, 1948, 1948, 1948, 1948, 0]),
    },
    [SortOrder.TITLE]: {
      compare: (a, b) => (title(a) < title(b) ? -1 : title(a) > title(b) ? 1 : byRelevance(a, b)),
      want: (hits) => assert.deepEqual(hits.map((hit) => keys[hit.film]),
        ['aurora', 'aurora', 'beacon', 'cinder', 'cinder', 'cinder', 'dusk', 'dusk', 'ember', 'garnet']),
    },
  };
  for (const [key, { compare, want }] of Object.entries(orders)) {
    const sort = Number(key);
    const { hits } = await searchAll({ query: word, sort });
    assert.deepEqual(hitIds(hits).sort(), matches, sort);
    assert.deepEqual(hitIds(hits), hitIds([...hits].sort(compare)), sort);
    assert.deepEqual(hits.map((hit) => hit.rank), oneTo(10), sort);
    want(hits);
  }
});

test('cursor paging', async () => {
  const { word, revision } = await importFacetedFilms();
  for (const sort of [SortOrder.RELEVANCE, SortOrder.TITLE]) {
    const { hits: whole, summary } = await searchAll({ query: word, sort, maxResults: 1000, minRevision: revision });
    assert.equal(whole.length, 10);
    assert.equal(summary.totalMatches, 10n);
    assert.equal(summary.nextPageToken, '');

    // Pages until no nextPageToken: the same hits, ranks continuing, also
    // where a page ends between scenes of equal score. Pages of 5 end at the
    // last hit: no token to an empty page.
    for (const [maxResults, wantPages] of [[2, 5], [1, 10], [3, 4], [5, 2]]) {
      const { hits, pages } = await searchPages({ query: word, sort, maxResults });
      assert.deepEqual(hitIds(hits), hitIds(whole), `${sort}, pages of ${maxResults}`);
      assert.deepEqual(hits.map((hit) => hit.rank), oneTo(10), `${sort}, pages of ${maxResults}`);
      assert.equal(pages, wantPages, `${sort}, pages of ${maxResults}`);
    }

    // At most one scene per film, over all pages: each film's first hit.
    const { hits: capped } = await searchPages({ query: word, sort, maxResults: 2, maxScenesPerFilm: 1 });
    const firsts = whole.filter((hit, i) => whole.findIndex((h) => h.film === hit.film) === i);
    assert.equal(firsts.length, 6);
    assert.deepEqual(hitIds(capped), hitIds(firsts), sort);
    assert.deepEqual(capped.map((hit) => hit.rank), oneTo(6), sort);
  }
});

test('page tokens refused', async () => {
  const { word, best, revision } = await importFacetedFilms();
  const { summary } = await searchAll({ query: word, maxResults: 2, minRevision: revision });
  const token = summary.nextPageToken;
  assert.ok(token);
  const refused = (request, expected = Status.INVALID_ARGUMENT) => assert.rejects(
    searchAll({ maxResults: 2, ...request }),
    (error) => {
      code(expected)(error);
      assert.match(error.details, /page_token/);
      return true;
    },
  );

  // A token of another request: another query, order or cap.
  await refused({ query: `${word} ${best}`, pageToken: token });
  await refused({ query: word, sort: SortOrder.TITLE, pageToken: token });
  await refused({ query: word, maxScenesPerFilm: 1, pageToken: token });
  // Altered: a character changed in the middle (where every character
  // carries bits of the token), cut short, or not a token at all.
  const middle = token.length >> 1;
  const altered = token.slice(0, middle) + (token[middle] === 'A' ? 'B' : 'A') + token.slice(middle + 1);
  for (const bad of [altered, token.slice(0, -4), 'not-a-token']) {
    await refused({ query: word, pageToken: bad });
  }

  // Unaltered, with its request, the token still continues the order.
  const { hits } = await searchAll({ query: word, maxResults: 2, pageToken: token });
  assert.deepEqual(hits.map((hit) => hit.rank), [3, 4]);

  // Once the index applies a later write, the order cannot be continued.
  const { film } = await catalog.createFilm({ filmId: `${prefix}-facets-later`, film: { title: 'Later' } });
  await searchAll({ query: 'later', minRevision: film.revision });
  await refused({ query: word, pageToken: token }, Status.FAILED_PRECONDITION);
});
