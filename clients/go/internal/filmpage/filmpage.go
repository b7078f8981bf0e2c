// Package filmpage is a minimal reader of Reel's film page format, for the
// example and the tests, which import a page through the API rather than
// with reelctl.
package filmpage

import (
	"errors"
	"fmt"
	"strings"

	"reel.dev/reel/clients/go/catalogv1"
)

// Parse reads a film page:
//
//	The Red Shoes                           <- first line: the title
//	In this classic drama, ...              <- lines before any heading: synopsis
//	Sound Tracks from The Red Shoes by ...  <- section headings ("... from ...")
//	Entr'acte                               <- soundtrack: a title line, then
//	Entr'acte by Walter Goehr, Interlude    <-   "TITLE by ARTIST, DESCRIPTION"
//	Memorable Scenes from Movie The Red Shoes
//	The Audition                            <- scene: a title line,
//	In a high-stakes audition, ...          <-   a description line,
//	Context: This scene highlights ...      <-   an optional "Context:" line
//
// It covers the simple case (the catalog's own importer also handles
// multi-paragraph scenes, quotes with speakers and curly-quote variants).
// The page has no name or year: the film leaves them unset.
func Parse(text string) (*catalogv1.Film, error) {
	var lines []string
	for _, line := range strings.Split(strings.TrimPrefix(text, "\ufeff"), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.EqualFold(line, "Download App") {
			lines = append(lines, line)
		}
	}
	if len(lines) == 0 || sectionOf(lines[0]) != "" {
		return nil, errors.New("the page has no title line")
	}
	film := &catalogv1.Film{Title: lines[0]}
	var synopsis []string
	section := ""
	var track *catalogv1.SoundtrackEntry
	var scene *catalogv1.Scene
	for _, line := range lines[1:] {
		if kind := sectionOf(line); kind != "" {
			section, track, scene = kind, nil, nil
			continue
		}
		switch section {
		case "":
			synopsis = append(synopsis, line)
		case "quotes":
			film.Quotes = append(film.Quotes, &catalogv1.Quote{Text: line})
		case "soundtracks":
			if track != nil && strings.HasPrefix(line, track.Title+" by ") {
				details := strings.TrimPrefix(line, track.Title+" by ")
				track.Artist, track.Description, _ = strings.Cut(details, ", ")
				track = nil
			} else {
				track = &catalogv1.SoundtrackEntry{Title: line}
				film.Soundtracks = append(film.Soundtracks, track)
			}
		case "scenes":
			switch {
			case scene != nil && strings.HasPrefix(strings.ToLower(line), "context:"):
				scene.Context = strings.TrimSpace(line[len("context:"):])
			case scene != nil && scene.Description == "":
				scene.Description = line
			default:
				scene = &catalogv1.Scene{SceneId: fmt.Sprintf("s%d", len(film.Scenes)+1), Title: line}
				film.Scenes = append(film.Scenes, scene)
			}
		}
	}
	film.Synopsis = strings.Join(synopsis, "\n")
	return film, nil
}

var sectionPrefixes = []struct{ prefix, kind string }{
	{"dialogues from movie", "quotes"},
	{"quotes from movie", "quotes"},
	{"sound tracks from", "soundtracks"},
	{"soundtracks from", "soundtracks"},
	{"memorable scenes from movie", "scenes"},
}

func sectionOf(line string) string {
	lower := strings.ToLower(line)
	for _, p := range sectionPrefixes {
		if strings.HasPrefix(lower, p.prefix) {
			return p.kind
		}
	}
	if strings.Contains(lower, " from movie ") {
		return "other"
	}
	return ""
}
