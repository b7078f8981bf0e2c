#!/usr/bin/env node
// Calls Reel with @reel/client: imports a film page, streams a search,
// follows WatchFilms for a few events and shows how errors read.
//
//   npm ci && npm run build     # once, in clients/node
//   node example/example.mjs --page ../../../shared/seed/the-red-shoes.txt
//
// Addresses come from --catalog / --search, else REEL_CATALOG_ADDR /
// REEL_SEARCH_ADDR, else 127.0.0.1:50051 / 127.0.0.1:50052
// (scripts/run-local.sh). With --tls_dir DIR the calls go over TLS: DIR/ca.crt
// verifies the services and DIR/tls.crt + DIR/tls.key, when present, are the
// client certificate (the identity the services' authorization policy
// decides on; docs/security.md).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CatalogClient, FilmEvent_EventType, HighlightField, SearchClient, Status } from '@reel/client';
import { parseFilmPage } from './filmpage.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

// A film id from a title: "The Red Shoes" -> "the-red-shoes".
function slug(title) {
  return title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'film';
}

// Creates the page's film, or reads it when it already exists.
async function importPage(catalog, pagePath, print) {
  const film = parseFilmPage(fs.readFileSync(pagePath, 'utf8'));
  const filmId = slug(film.title);
  try {
    // One requestId per logical create: a retry with the same id (after a
    // lost response) returns the first response instead of writing twice.
    const { film: created } = await catalog.createFilm({ film, filmId, requestId: crypto.randomUUID() });
    print(`created ${created.name} at revision ${created.revision}`);
    return created;
  } catch (error) {
    // Errors carry the gRPC code and a message naming the field at fault.
    if (error.code !== Status.ALREADY_EXISTS) throw error;
    print(`${error.codeName}: ${error.details} -> reading it instead`);
    return (await catalog.getFilm({ name: `films/${filmId}` })).film;
  }
}

// Wraps the matched words in [brackets]. A JavaScript string is UTF-16 code
// units, so the UTF-16 offsets are the ones to slice with.
function mark({ snippet, spans }) {
  let out = '';
  let last = 0;
  for (const span of spans) {
    out += `${snippet.slice(last, span.startUtf16)}[${snippet.slice(span.startUtf16, span.endUtf16)}]`;
    last = span.endUtf16;
  }
  return out + snippet.slice(last);
}

// Prints the hits as they arrive, best first, then the summary.
async function search(client, query, minRevision, print) {
  const results = client.search({ query, maxResults: 5, minRevision }); // minRevision: read-your-writes
  for await (const hit of results) {
    print(`#${hit.rank} ${hit.filmTitle}: ${hit.sceneTitle} (${hit.score.toFixed(3)})`);
    for (const highlight of hit.highlights.slice(0, 2)) {
      print(`    ${HighlightField[highlight.field]}: ${mark(highlight).slice(0, 160)}`);
    }
  }
  const s = results.summary;
  print(`${s.returnedCount} of ${s.totalMatches} matches (index at revision ${s.indexRevision})`);
}

// Prints the changes after `start` (at most `limit`) until the stream
// reaches `until`. Leaving the loop cancels the stream.
async function watch(catalog, start, until, limit, print) {
  let shown = 0;
  for await (const message of catalog.watchFilms({ startRevision: start }, { timeoutMs: 10_000 })) {
    for (const event of message.events.slice(0, limit - shown)) {
      print(`  revision ${event.revision}: ${FilmEvent_EventType[event.type]} ${event.name}`);
      shown += 1;
    }
    // message.revision is where to resume from next time.
    if (message.revision >= until || shown === limit) break;
  }
}

export async function main(argv = process.argv.slice(2), print = console.log) {
  const shared = process.env.REEL_SHARED_DIR || path.resolve(here, '..', '..', '..', '..', 'shared');
  const { values: args } = parseArgs({
    args: argv,
    options: {
      catalog: { type: 'string', default: process.env.REEL_CATALOG_ADDR || '127.0.0.1:50051' },
      search: { type: 'string', default: process.env.REEL_SEARCH_ADDR || '127.0.0.1:50052' },
      page: { type: 'string', default: path.join(shared, 'seed', 'the-red-shoes.txt') },
      query: { type: 'string', default: 'red shoes dance' },
      tls_dir: { type: 'string' },
    },
  });
  const options = args.tls_dir ? { tls: args.tls_dir } : {};
  const catalog = new CatalogClient(args.catalog, options);
  const searcher = new SearchClient(args.search, options);
  try {
    const film = await importPage(catalog, args.page, print);
    print(`\n$ search ${JSON.stringify(args.query)}`);
    await search(searcher, args.query, film.revision, print);

    const { revision } = await catalog.listFilms({ pageSize: 1 });
    print(`\nthe latest changes (the catalog is at revision ${revision}):`);
    await watch(catalog, revision > 3n ? revision - 3n : 0n, revision, 5, print);

    print('\nan error, read the gRPC way:');
    try {
      await search(searcher, '"unbalanced', 0n, print);
    } catch (error) {
      print(`  ${error.codeName}: ${error.details}`);
    }
  } finally {
    catalog.close();
    searcher.close();
  }
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then((code) => { process.exitCode = code; }, (error) => {
    console.error(`example: ${error.message}`);
    process.exitCode = 1;
  });
}
