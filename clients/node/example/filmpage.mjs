// A minimal reader of Reel's film page format, for importing a page through
// the API rather than with reelctl:
//
//   The Red Shoes                           <- first line: the title
//   In this classic drama, ...              <- lines before any heading: synopsis
//   Sound Tracks from The Red Shoes by ...  <- section headings ("... from ...")
//   Entr'acte                               <- soundtrack: a title line, then
//   Entr'acte by Walter Goehr, Interlude    <-   "TITLE by ARTIST, DESCRIPTION"
//   Memorable Scenes from Movie The Red Shoes
//   The Audition                            <- scene: a title line,
//   In a high-stakes audition, ...          <-   a description line,
//   Context: This scene highlights ...      <-   an optional "Context:" line
//
// It covers the simple case (the catalog's own importer also handles
// multi-paragraph scenes, quotes with speakers and curly-quote variants).
// The page has no name or year: the film leaves them unset.

const SECTIONS = [
  ['dialogues from movie', 'quotes'],
  ['quotes from movie', 'quotes'],
  ['sound tracks from', 'soundtracks'],
  ['soundtracks from', 'soundtracks'],
  ['memorable scenes from movie', 'scenes'],
];

function sectionOf(line) {
  const lower = line.toLowerCase();
  const known = SECTIONS.find(([prefix]) => lower.startsWith(prefix));
  if (known) return known[1];
  return lower.includes(' from movie ') ? 'other' : null;
}

// Returns the Film a page describes, as a plain object of its fields (what
// CatalogClient.createFilm takes as `film`).
export function parseFilmPage(text) {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && line.toLowerCase() !== 'download app');
  if (lines.length === 0 || sectionOf(lines[0])) throw new Error('the page has no title line');
  const film = { title: lines[0], synopsis: '', quotes: [], soundtracks: [], scenes: [] };
  const synopsis = [];
  let section = null;
  let track = null;
  let scene = null;
  for (const line of lines.slice(1)) {
    const kind = sectionOf(line);
    if (kind) {
      [section, track, scene] = [kind, null, null];
    } else if (section === null) {
      synopsis.push(line);
    } else if (section === 'quotes') {
      film.quotes.push({ text: line });
    } else if (section === 'soundtracks') {
      if (track && line.startsWith(`${track.title} by `)) {
        const details = line.slice(track.title.length + 4);
        const comma = details.indexOf(', ');
        track.artist = comma < 0 ? details : details.slice(0, comma);
        track.description = comma < 0 ? '' : details.slice(comma + 2);
        track = null;
      } else {
        track = { title: line };
        film.soundtracks.push(track);
      }
    } else if (section === 'scenes') {
      if (scene && line.toLowerCase().startsWith('context:')) {
        scene.context = line.slice('context:'.length).trim();
      } else if (scene && !scene.description) {
        scene.description = line;
      } else {
        scene = { sceneId: `s${film.scenes.length + 1}`, title: line };
        film.scenes.push(scene);
      }
    }
  }
  film.synopsis = synopsis.join('\n');
  return film;
}
