"""A minimal reader of Reel's film page format, for importing a page through
the API (CatalogClient.create_film / import_films) rather than with reelctl.

    The Red Shoes                           <- first line: the title
    In this classic drama, ...              <- lines before any heading: synopsis
    Sound Tracks from The Red Shoes by ...  <- section headings ("... from ...")
    Entr'acte                               <- soundtrack: a title line, then
    Entr'acte by Walter Goehr, Interlude    <-   "TITLE by ARTIST, DESCRIPTION"
    Memorable Scenes from Movie The Red Shoes
    The Audition                            <- scene: a title line,
    In a high-stakes audition, ...          <-   a description line,
    Context: This scene highlights ...      <-   an optional "Context:" line

It covers the simple case (the catalog's own importer also handles
multi-paragraph scenes, quotes with speakers and curly-quote variants).
"""

from __future__ import annotations

from typing import Optional

from reel.catalog.v1 import catalog_pb2

_SECTIONS = {
    "dialogues from movie": "quotes",
    "quotes from movie": "quotes",
    "sound tracks from": "soundtracks",
    "soundtracks from": "soundtracks",
    "memorable scenes from movie": "scenes",
}
_CHROME = {"download app"}


def _section_of(line: str) -> Optional[str]:
    lower = line.lower()
    for prefix, kind in _SECTIONS.items():
        if lower.startswith(prefix):
            return kind
    return "other" if " from movie " in lower else None


def parse_film_page(text: str) -> catalog_pb2.Film:
    """Returns the Film a page describes (no name or year: pages have none)."""
    lines = [line.strip() for line in text.lstrip("\ufeff").splitlines()]
    lines = [line for line in lines if line and line.lower() not in _CHROME]
    if not lines or _section_of(lines[0]):
        raise ValueError("the page has no title line")
    film = catalog_pb2.Film(title=lines[0])
    synopsis, section = [], None
    track = scene = None
    for line in lines[1:]:
        kind = _section_of(line)
        if kind:
            section, track, scene = kind, None, None
        elif section is None:
            synopsis.append(line)
        elif section == "quotes":
            film.quotes.add(text=line)
        elif section == "soundtracks":
            if track is not None and line.startswith(track.title + " by "):
                artist, _, description = line[len(track.title) + 4:].partition(", ")
                track.artist, track.description = artist, description
                track = None
            else:
                track = film.soundtracks.add(title=line)
        elif section == "scenes":
            if line.lower().startswith("context:") and scene is not None:
                scene.context = line[len("context:"):].strip()
            elif scene is not None and not scene.description:
                scene.description = line
            else:
                scene = film.scenes.add(scene_id=f"s{len(film.scenes) + 1}", title=line)
    film.synopsis = "\n".join(synopsis)
    return film
