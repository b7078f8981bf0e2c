// Reel's client scenario, in Go (the same one clients/python and clients/node
// run): writes with etags, pagination, streamed search with highlights,
// search orders, cursor paging and facets, cancellation, deadlines, watch
// resumption, argument errors and role certificates over mutual TLS, against
// the real services that scripts/test-clients.sh starts. The tests are a
// consumer of the module: they import its packages by their paths.
package reel_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf16"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"reel.dev/reel/clients/go/catalogv1"
	"reel.dev/reel/clients/go/internal/filmpage"
	"reel.dev/reel/clients/go/reel"
	"reel.dev/reel/clients/go/searchv1"
)

const timeout = 10 * time.Second // for every call

var (
	catalog catalogv1.CatalogServiceClient
	search  searchv1.SearchServiceClient
	prefix  string // film ids of this run start with it
	ids     int64
)

// newID returns a film id unique to this run (tests may run with -count=N).
func newID(kind string) string {
	return fmt.Sprintf("%s-%s-%d", prefix, kind, atomic.AddInt64(&ids, 1))
}

func TestMain(m *testing.M) {
	catalogAddr, searchAddr := os.Getenv("REEL_CATALOG_ADDR"), os.Getenv("REEL_SEARCH_ADDR")
	if catalogAddr == "" || searchAddr == "" {
		fmt.Fprintln(os.Stderr, "REEL_CATALOG_ADDR and REEL_SEARCH_ADDR must be set: run "+
			"scripts/test-clients.sh, which starts catalog-service and search-service")
		os.Exit(1)
	}
	catalogConn, err := reel.Dial(catalogAddr, "")
	must(err)
	searchConn, err := reel.Dial(searchAddr, "")
	must(err)
	catalog = catalogv1.NewCatalogServiceClient(catalogConn)
	search = searchv1.NewSearchServiceClient(searchConn)
	b := make([]byte, 4)
	_, err = rand.Read(b)
	must(err)
	prefix = "go-" + hex.EncodeToString(b)
	must(waitForIndex())
	code := m.Run()
	catalogConn.Close()
	searchConn.Close()
	os.Exit(code)
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func check(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func waitForIndex() error {
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		status, err := search.GetIndexStatus(ctx, &searchv1.GetIndexStatusRequest{})
		cancel()
		if err != nil {
			return err
		}
		if status.Ready {
			return nil
		}
	}
	return errors.New("the search index never got ready")
}

func ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	return ctx
}

// wantCode fails the test unless err is a gRPC status with the code.
func wantCode(t *testing.T, err error, want codes.Code) *status.Status {
	t.Helper()
	st, ok := status.FromError(err)
	if !ok || st.Code() != want {
		t.Fatalf("got error %v, want code %v", err, want)
	}
	return st
}

// importFilms uses the client-streaming ImportFilms: Send, then CloseAndRecv.
func importFilms(t *testing.T, films []*catalogv1.Film) int64 {
	t.Helper()
	stream, err := catalog.ImportFilms(ctx(t))
	check(t, err)
	check(t, stream.Send(&catalogv1.ImportFilmsRequest{Films: films}))
	response, err := stream.CloseAndRecv()
	if err != nil {
		t.Fatal(err)
	}
	if response.ImportedCount != int64(len(films)) || response.FailedCount != 0 {
		t.Fatalf("imported %d, failed %d, first error %v",
			response.ImportedCount, response.FailedCount, response.Errors[0])
	}
	return response.Revision
}

// searchAll runs a search to its end.
func searchAll(t *testing.T, request *searchv1.SearchScenesRequest) (messages []*searchv1.SearchScenesResponse, hits []*searchv1.SceneHit) {
	t.Helper()
	stream, err := search.SearchScenes(ctx(t), request)
	check(t, err)
	for {
		message, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return messages, hits
		}
		if err != nil {
			t.Fatal(err)
		}
		messages = append(messages, message)
		hits = append(hits, message.Hits...)
	}
}

func TestCreateGetUpdateWithEtagConflict(t *testing.T) {
	filmID := newID("etag")
	request := &catalogv1.CreateFilmRequest{
		FilmId: filmID, RequestId: filmID + "-create",
		Film: &catalogv1.Film{Title: "The Etag Affair", Year: 1951, Synopsis: "Kept."}}
	response, err := catalog.CreateFilm(ctx(t), request)
	check(t, err)
	created := response.Film
	if created.Name != "films/"+filmID || created.Revision <= 0 || created.Etag == "" {
		t.Fatalf("created %v", created)
	}

	// A retry with the same request_id returns the first response, writing nothing.
	retried, err := catalog.CreateFilm(ctx(t), request)
	check(t, err)
	if retried.Film.Revision != created.Revision || retried.Film.Etag != created.Etag {
		t.Fatalf("retry wrote again: %v", retried.Film)
	}

	got, err := catalog.GetFilm(ctx(t), &catalogv1.GetFilmRequest{Name: created.Name})
	check(t, err)
	if got.Film.Title != "The Etag Affair" || got.Film.Etag != created.Etag {
		t.Fatalf("got %v", got.Film)
	}

	mask := &fieldmaskpb.FieldMask{Paths: []string{"title"}}
	update, err := catalog.UpdateFilm(ctx(t), &catalogv1.UpdateFilmRequest{
		Film:       &catalogv1.Film{Name: created.Name, Etag: created.Etag, Title: "The Etag Affair II"},
		UpdateMask: mask})
	check(t, err)
	updated := update.Film
	if updated.Title != "The Etag Affair II" || updated.Synopsis != "Kept." ||
		updated.Revision <= created.Revision || updated.Etag == created.Etag {
		t.Fatalf("updated %v", updated)
	}

	_, err = catalog.UpdateFilm(ctx(t), &catalogv1.UpdateFilmRequest{
		Film:       &catalogv1.Film{Name: created.Name, Etag: created.Etag, Title: "Lost update"},
		UpdateMask: mask})
	if st := wantCode(t, err, codes.Aborted); st.Message() == "" {
		t.Fatal("ABORTED without a message")
	}

	after, err := catalog.GetFilm(ctx(t), &catalogv1.GetFilmRequest{Name: created.Name})
	check(t, err)
	if after.Film.Title != "The Etag Affair II" || after.Film.Etag != updated.Etag {
		t.Fatalf("the failed update changed the film: %v", after.Film)
	}
}

func TestListPaginationToTheEnd(t *testing.T) {
	pages := newID("page")
	var mine []string
	var films []*catalogv1.Film
	for i := 1; i <= 7; i++ {
		name := fmt.Sprintf("films/%s-%02d", pages, i)
		mine = append(mine, name)
		films = append(films, &catalogv1.Film{Name: name, Title: fmt.Sprintf("Page film %d", i)})
	}
	importFilms(t, films)

	var names []string
	token := ""
	for count := 1; ; count++ {
		page, err := catalog.ListFilms(ctx(t), &catalogv1.ListFilmsRequest{PageSize: 3, PageToken: token})
		check(t, err)
		if len(page.Films) > 3 || page.Revision <= 0 || count >= 10000 {
			t.Fatalf("page %d: %d films at revision %d", count, len(page.Films), page.Revision)
		}
		for _, film := range page.Films {
			names = append(names, film.Name)
		}
		if token = page.NextPageToken; token == "" {
			break
		}
	}
	if !sort.StringsAreSorted(names) {
		t.Fatalf("not in film id order: %v", names)
	}
	seen := map[string]bool{}
	var found []string
	for _, name := range names {
		if seen[name] {
			t.Fatalf("%s listed twice", name)
		}
		seen[name] = true
		if strings.HasPrefix(name, "films/"+pages+"-") {
			found = append(found, name)
		}
	}
	if strings.Join(found, " ") != strings.Join(mine, " ") {
		t.Fatalf("listed %v, want %v", found, mine)
	}
}

var (
	searchFilmsOnce     sync.Once
	searchFilmNames     []string
	searchFilmsRevision int64
	searchFilmsErr      error
)

// searchFilms creates, once, the seed film (parsed from its page) and a film
// with non-ASCII text through the API.
func searchFilms(t *testing.T) ([]string, int64) {
	t.Helper()
	searchFilmsOnce.Do(func() {
		searchFilmNames, searchFilmsRevision, searchFilmsErr = createSearchFilms(ctx(t))
	})
	if searchFilmsErr != nil {
		t.Fatalf("creating the search films: %v", searchFilmsErr)
	}
	return searchFilmNames, searchFilmsRevision
}

func createSearchFilms(ctx context.Context) (names []string, revision int64, err error) {
	shared := os.Getenv("REEL_SHARED_DIR")
	if shared == "" {
		shared = "../../../../shared" // beside the repository
	}
	text, err := os.ReadFile(shared + "/seed/the-red-shoes.txt")
	if err != nil {
		return nil, 0, fmt.Errorf("the seed page (set REEL_SHARED_DIR): %w", err)
	}
	seed, err := filmpage.Parse(string(text))
	if err != nil {
		return nil, 0, err
	}
	if seed.Title != "The Red Shoes" || len(seed.Scenes) != 9 {
		return nil, 0, fmt.Errorf("the seed page parsed to %q with %d scenes", seed.Title, len(seed.Scenes))
	}
	cafe := &catalogv1.Film{
		Title: "Ballerína café 🩰", Year: 2024,
		Synopsis: "A ballerína opens a café 🩰 in Reykjavík.",
		Scenes: []*catalogv1.Scene{{
			SceneId: "s1", Title: "🩰 Ballerína café",
			Description: "The ballerína dances 🩰 through the café, slippers squeaking."}}}
	for _, f := range []struct {
		id   string
		film *catalogv1.Film
	}{{prefix + "-the-red-shoes", seed}, {prefix + "-ballerina-cafe", cafe}} {
		response, err := catalog.CreateFilm(ctx, &catalogv1.CreateFilmRequest{
			Film: f.film, FilmId: f.id, RequestId: f.id + "-create"})
		if err != nil {
			return nil, 0, err
		}
		names = append(names, response.Film.Name)
		revision = response.Film.Revision
	}
	return names, revision, nil
}

func TestSearchStreamsRankedHitsWithHighlights(t *testing.T) {
	names, revision := searchFilms(t)
	messages, hits := searchAll(t, &searchv1.SearchScenesRequest{
		Query: "ballerina cafe", MinRevision: revision,
		Filter: &searchv1.SceneFilter{Films: names}})
	checkStreamShape(t, messages, hits)
	if summary := messages[len(messages)-1].Summary; summary.IndexRevision < revision {
		t.Fatalf("index revision %d < min_revision %d", summary.IndexRevision, revision)
	}
	if hits[0].Film != names[1] || hits[0].SceneId != "s1" {
		t.Fatalf("first hit %s/%s", hits[0].Film, hits[0].SceneId)
	}

	// A Go string is UTF-8 bytes: slice with the byte offsets.
	for _, hit := range hits {
		for _, highlight := range hit.Highlights {
			text := highlight.Snippet
			runes, units := []rune(text), utf16.Encode([]rune(text))
			if len(highlight.Spans) == 0 {
				t.Fatalf("highlight without spans: %v", highlight)
			}
			for _, span := range highlight.Spans {
				word := text[span.StartByte:span.EndByte]
				switch strings.ToLower(word) {
				case "ballerína", "café", "ballerina":
				default:
					t.Fatalf("span %v of %q is %q", span, text, word)
				}
				if string(runes[span.StartCodePoint:span.EndCodePoint]) != word ||
					string(utf16.Decode(units[span.StartUtf16:span.EndUtf16])) != word {
					t.Fatalf("span %v of %q: the units disagree", span, text)
				}
			}
		}
	}
	var title *searchv1.Highlight
	for _, highlight := range hits[0].Highlights {
		if highlight.Field == searchv1.HighlightField_HIGHLIGHT_FIELD_SCENE_TITLE {
			title = highlight
		}
	}
	if title == nil || title.Snippet != "🩰 Ballerína café" {
		t.Fatalf("scene title highlight %v", title)
	}
	first := title.Spans[0]
	if word := title.Snippet[first.StartByte:first.EndByte]; word != "Ballerína" {
		t.Fatalf("first span %q", word)
	}
	// The units differ here: the emoji is 4 bytes, 2 UTF-16 units, 1 code point.
	if first.StartByte != 5 || first.StartUtf16 != 3 || first.StartCodePoint != 2 {
		t.Fatalf("first span %v", first)
	}

	// A small result comes whole in one message, the summary with its hits.
	messages, hits = searchAll(t, &searchv1.SearchScenesRequest{
		Query: "red shoes", MinRevision: revision,
		Filter: &searchv1.SceneFilter{Films: names[:1]}})
	checkStreamShape(t, messages, hits)
	summary := messages[len(messages)-1].Summary
	if len(hits) != 9 || len(messages) != 1 ||
		summary.TotalMatches != 9 || !summary.Complete {
		t.Fatalf("%d hits in %d messages (first %d), summary %v",
			len(hits), len(messages), len(messages[0].Hits), summary)
	}
}

// checkStreamShape: every message carries hits, the last also the summary;
// ranks run 1..n with scores not increasing.
func checkStreamShape(t *testing.T, messages []*searchv1.SearchScenesResponse, hits []*searchv1.SceneHit) {
	t.Helper()
	if len(messages) == 0 || len(hits) == 0 {
		t.Fatalf("%d messages, %d hits", len(messages), len(hits))
	}
	for i, message := range messages {
		last := i == len(messages)-1
		if len(message.Hits) == 0 || (message.Summary != nil) != last {
			t.Fatalf("message %d of %d: %d hits, summary %v", i, len(messages), len(message.Hits), message.Summary)
		}
	}
	for i, hit := range hits {
		if hit.Rank != int32(i+1) || (i > 0 && hit.Score > hits[i-1].Score) {
			t.Fatalf("hit %d: rank %d, score %v", i, hit.Rank, hit.Score)
		}
	}
	summary := messages[len(messages)-1].Summary
	if summary.ReturnedCount != int32(len(hits)) || summary.TotalMatches < int64(len(hits)) {
		t.Fatalf("summary %v for %d hits", summary, len(hits))
	}
}

var (
	manyScenesOnce     sync.Once
	manyScenesNames    []string
	manyScenesRevision int64
)

// manyScenes imports, once, 200 films of 5 scenes sharing a word: a stream
// far longer than flow control lets the server send ahead.
func manyScenes(t *testing.T) ([]string, int64) {
	manyScenesOnce.Do(func() { manyScenesNames, manyScenesRevision = importManyScenes(t) })
	if manyScenesNames == nil {
		t.Fatal("importing the films failed")
	}
	return manyScenesNames, manyScenesRevision
}

func importManyScenes(t *testing.T) ([]string, int64) {
	filler := strings.TrimSpace(strings.Repeat("a long walk along the harbour past the bakery ", 8))
	var names []string
	var films []*catalogv1.Film
	for f := 0; f < 200; f++ {
		film := &catalogv1.Film{Name: fmt.Sprintf("films/%s-many-%03d", prefix, f), Title: fmt.Sprintf("Marzipan %d", f)}
		for s := 1; s <= 5; s++ {
			film.Scenes = append(film.Scenes, &catalogv1.Scene{
				SceneId: fmt.Sprintf("s%d", s), Title: fmt.Sprintf("Marzipan scene %d", s),
				Description: fmt.Sprintf("%s, the marzipan %d. %s", filler, s, filler)})
		}
		names = append(names, film.Name)
		films = append(films, film)
	}
	return names, importFilms(t, films)
}

func TestCancellationMidStream(t *testing.T) {
	names, revision := manyScenes(t)
	request := &searchv1.SearchScenesRequest{
		Query: "marzipan", MaxResults: 1000, MinRevision: revision,
		Filter: &searchv1.SceneFilter{Films: names}}
	for attempt := 0; attempt < 3; attempt++ {
		callCtx, cancel := context.WithTimeout(context.Background(), timeout)
		stream, err := search.SearchScenes(callCtx, request)
		check(t, err)
		first, err := stream.Recv()
		check(t, err)
		if len(first.Hits) == 0 || len(first.Hits) > 5 {
			t.Fatalf("first message has %d hits", len(first.Hits))
		}
		cancel() // cancelling the context cancels the call
		summary := false
		for {
			message, err := stream.Recv()
			if err != nil {
				// Messages already received may still be read; then the cancellation.
				wantCode(t, err, codes.Canceled)
				break
			}
			summary = summary || message.Summary != nil
		}
		if summary {
			t.Fatal("the stream completed despite the cancellation")
		}
	}
	// The service is unharmed.
	_, hits := searchAll(t, &searchv1.SearchScenesRequest{
		Query: "marzipan", MaxResults: 1000, Filter: &searchv1.SceneFilter{Films: names}})
	if len(hits) != 1000 {
		t.Fatalf("%d hits after the cancellations", len(hits))
	}
}

func TestDeadlineExceeded(t *testing.T) {
	created, err := catalog.CreateFilm(ctx(t), &catalogv1.CreateFilmRequest{
		FilmId: newID("deadline"), Film: &catalogv1.Film{Title: "Deadline"}})
	check(t, err)
	start := time.Now()
	callCtx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	// An index revision that will not come: wait until the deadline.
	stream, err := search.SearchScenes(callCtx, &searchv1.SearchScenesRequest{
		Query: "deadline", MinRevision: created.Film.Revision + 1000000})
	if err == nil {
		_, err = stream.Recv()
	}
	wantCode(t, err, codes.DeadlineExceeded)
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Fatalf("took %v", elapsed)
	}
}

// readWatch reads a WatchFilms stream from start until a message's revision
// reaches until: the events and that message's revision (the resume point).
func readWatch(t *testing.T, start, until int64) ([]*catalogv1.FilmEvent, int64) {
	t.Helper()
	callCtx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel() // the stream never ends on its own
	stream, err := catalog.WatchFilms(callCtx, &catalogv1.WatchFilmsRequest{StartRevision: start})
	check(t, err)
	var events []*catalogv1.FilmEvent
	for {
		message, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, message.Events...)
		if message.Revision >= until {
			return events, message.Revision
		}
	}
}

func TestWatchResumesFromARevision(t *testing.T) {
	created, err := catalog.CreateFilm(ctx(t), &catalogv1.CreateFilmRequest{
		FilmId: newID("watched"), Film: &catalogv1.Film{Title: "Watched"}})
	check(t, err)
	name := created.Film.Name
	updated, err := catalog.UpdateFilm(ctx(t), &catalogv1.UpdateFilmRequest{
		Film:       &catalogv1.Film{Name: name, Title: "Watched again"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}}})
	check(t, err)

	events, resume := readWatch(t, created.Film.Revision, updated.Film.Revision)
	var mine []string
	for i, event := range events {
		if event.Revision <= created.Film.Revision || (i > 0 && event.Revision <= events[i-1].Revision) {
			t.Fatalf("event %d at revision %d after %d", i, event.Revision, created.Film.Revision)
		}
		if event.Name == name {
			mine = append(mine, fmt.Sprintf("%v %d %s", event.Type, event.Revision, event.Film.GetTitle()))
		}
	}
	want := fmt.Sprintf("EVENT_TYPE_UPDATED %d Watched again", updated.Film.Revision)
	if strings.Join(mine, "; ") != want {
		t.Fatalf("events %q, want %q", mine, want)
	}

	deleted, err := catalog.DeleteFilm(ctx(t), &catalogv1.DeleteFilmRequest{Name: name, Etag: updated.Film.Etag})
	check(t, err)
	events, _ = readWatch(t, resume, deleted.Revision)
	mine = nil
	for _, event := range events {
		if event.Revision <= resume {
			t.Fatalf("event at revision %d replayed after resuming from %d", event.Revision, resume)
		}
		if event.Name == name {
			mine = append(mine, fmt.Sprintf("%v %d %v", event.Type, event.Revision, event.Film != nil))
		}
	}
	want = fmt.Sprintf("EVENT_TYPE_DELETED %d false", deleted.Revision)
	if strings.Join(mine, "; ") != want {
		t.Fatalf("events %q, want %q", mine, want)
	}
}

func TestInvalidArgument(t *testing.T) {
	stream, err := search.SearchScenes(ctx(t), &searchv1.SearchScenesRequest{Query: `"red shoes`})
	if err == nil { // a streaming call's status arrives with the first Recv
		_, err = stream.Recv()
	}
	if st := wantCode(t, err, codes.InvalidArgument); !strings.HasPrefix(st.Message(), "query:") {
		t.Fatalf("message %q", st.Message())
	}

	_, err = catalog.CreateFilm(ctx(t), &catalogv1.CreateFilmRequest{
		FilmId: "untitled", Film: &catalogv1.Film{Title: ""}})
	if st := wantCode(t, err, codes.InvalidArgument); !strings.HasPrefix(st.Message(), "film.title") {
		t.Fatalf("message %q", st.Message())
	}
}

// TestExampleRuns builds cmd/reel-example and runs it, a child process
// with the services' addresses in its environment.
func TestExampleRuns(t *testing.T) {
	module := moduleDir(t)
	example := filepath.Join(t.TempDir(), "reel-example")
	runGo(t, module, nil, "build", "-o", example, "./cmd/reel-example")

	version := exec.Command(example, "-version")
	out, err := version.Output()
	if err != nil || string(out) != reel.Version+"\n" {
		t.Fatalf("reel-example -version: %q, %v", out, err)
	}

	var output bytes.Buffer
	command := exec.Command(example)
	command.Dir = module
	command.Stdout, command.Stderr = &output, &output
	if err := command.Run(); err != nil {
		t.Fatalf("reel-example: %v\n%s", err, output.String())
	}
	for _, want := range []string{"#1 The Red Shoes", "[", "InvalidArgument: query:"} {
		if !strings.Contains(output.String(), want) {
			t.Fatalf("output lacks %q:\n%s", want, output.String())
		}
	}
}

// --- Role certificates against the TLS pair (docs/security.md) ---------------

// Roles: REEL_PKI_DIR/ROLE holds ca.crt, tls.crt and tls.key of a client
// certificate whose identity is spiffe://reel/ns/test/sa/ROLE.
const (
	roleWriter   = "reel-writer"
	roleReader   = "reel-search" // catalog reader
	roleSearcher = "reel-web"
	roleNobody   = "nobody" // no role
)

func identity(role string) string { return "spiffe://reel/ns/test/sa/" + role }

// tlsConn dials the TLS pair's catalog or search ("catalog", "search") with
// role's certificate (role "": the CA only, no certificate), closed when the
// test ends.
func tlsConn(t *testing.T, role, service string) *grpc.ClientConn {
	t.Helper()
	variable := map[string]string{"catalog": "REEL_TLS_CATALOG_ADDR", "search": "REEL_TLS_SEARCH_ADDR"}[service]
	address, pki := os.Getenv(variable), os.Getenv("REEL_PKI_DIR")
	if address == "" || pki == "" {
		t.Fatalf("%s and REEL_PKI_DIR must be set: run scripts/test-clients.sh", variable)
	}
	dir := filepath.Join(pki, role)
	if role == "" {
		dir = t.TempDir()
		ca, err := os.ReadFile(filepath.Join(pki, roleWriter, "ca.crt"))
		check(t, err)
		check(t, os.WriteFile(filepath.Join(dir, "ca.crt"), ca, 0o644))
	}
	conn, err := reel.Dial(address, dir)
	check(t, err)
	t.Cleanup(func() { conn.Close() })
	return conn
}

// wantDenied fails the test unless err is PERMISSION_DENIED naming role's
// identity and the method.
func wantDenied(t *testing.T, err error, role, method string) {
	t.Helper()
	message := wantCode(t, err, codes.PermissionDenied).Message()
	if !strings.HasPrefix(message, "authorization: "+identity(role)) ||
		!strings.Contains(message, " may not call "+method) {
		t.Fatalf("message %q, want the identity %s and the method %s", message, identity(role), method)
	}
}

var (
	tlsFilmOnce sync.Once
	tlsFilmMade *catalogv1.Film
	tlsFilmErr  error
)

// tlsFilm: a film the writer created, once, on the TLS catalog, with a word
// of its own.
func tlsFilm(t *testing.T) *catalogv1.Film {
	t.Helper()
	tlsFilmOnce.Do(func() {
		filmID := prefix + "-tls-quokka"
		var response *catalogv1.CreateFilmResponse
		response, tlsFilmErr = catalogv1.NewCatalogServiceClient(tlsConn(t, roleWriter, "catalog")).CreateFilm(
			ctx(t), &catalogv1.CreateFilmRequest{
				FilmId: filmID, RequestId: filmID + "-create",
				Film: &catalogv1.Film{Title: "The Quokka Certificate", Year: 2024, Scenes: []*catalogv1.Scene{{
					SceneId: "s1", Title: "Quokka at the gate",
					Description: "A quokka shows its certificate to the guard."}}}})
		if tlsFilmErr == nil {
			tlsFilmMade = response.Film
		}
	})
	if tlsFilmErr != nil {
		t.Fatalf("the writer's CreateFilm: %v", tlsFilmErr)
	}
	return tlsFilmMade
}

func TestTLSWriterWritesReaderReadsButMayNotWrite(t *testing.T) {
	film := tlsFilm(t)
	if film.Name != "films/"+prefix+"-tls-quokka" || film.Revision <= 0 {
		t.Fatalf("created %v", film)
	}

	reader := catalogv1.NewCatalogServiceClient(tlsConn(t, roleReader, "catalog"))
	got, err := reader.GetFilm(ctx(t), &catalogv1.GetFilmRequest{Name: film.Name})
	check(t, err)
	if got.Film.Title != "The Quokka Certificate" || got.Film.Etag != film.Etag {
		t.Fatalf("got %v", got.Film)
	}
	page, err := reader.ListFilms(ctx(t), &catalogv1.ListFilmsRequest{PageSize: 1000})
	check(t, err)
	listed := false
	for _, f := range page.Films {
		listed = listed || f.Name == film.Name
	}
	if !listed || page.Revision < film.Revision {
		t.Fatalf("ListFilms at revision %d lacks %s", page.Revision, film.Name)
	}

	_, err = reader.CreateFilm(ctx(t), &catalogv1.CreateFilmRequest{
		FilmId: prefix + "-tls-by-reader", Film: &catalogv1.Film{Title: "Not allowed"}})
	wantDenied(t, err, roleReader, "/reel.catalog.v1.CatalogService/CreateFilm")
	// Nothing was written.
	_, err = reader.GetFilm(ctx(t), &catalogv1.GetFilmRequest{Name: "films/" + prefix + "-tls-by-reader"})
	wantCode(t, err, codes.NotFound)
}

func TestTLSSearcherFindsTheWritersFilmReaderMayNotSearch(t *testing.T) {
	film := tlsFilm(t)
	request := &searchv1.SearchScenesRequest{
		Query: "quokka certificate", MinRevision: film.Revision, // read-your-writes
		Filter: &searchv1.SceneFilter{Films: []string{film.Name}}}
	searcher := searchv1.NewSearchServiceClient(tlsConn(t, roleSearcher, "search"))
	stream, err := searcher.SearchScenes(ctx(t), request)
	check(t, err)
	var hits []string
	var summary *searchv1.SearchSummary
	for {
		message, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		check(t, err)
		for _, hit := range message.Hits {
			hits = append(hits, hit.Film+" "+hit.SceneId)
		}
		summary = message.Summary
	}
	if strings.Join(hits, "; ") != film.Name+" s1" || summary == nil || summary.IndexRevision < film.Revision {
		t.Fatalf("hits %v, summary %v", hits, summary)
	}
	indexStatus, err := searcher.GetIndexStatus(ctx(t), &searchv1.GetIndexStatusRequest{})
	check(t, err)
	if !indexStatus.Ready || indexStatus.AppliedRevision < film.Revision {
		t.Fatalf("index status %v", indexStatus)
	}

	reader := searchv1.NewSearchServiceClient(tlsConn(t, roleReader, "search"))
	stream, err = reader.SearchScenes(ctx(t), request)
	if err == nil { // a streaming call's status arrives with the first Recv
		_, err = stream.Recv()
	}
	wantDenied(t, err, roleReader, "/reel.search.v1.SearchService/SearchScenes")
}

func TestTLSNoRoleOnlyHealthAndNoCertificateNoConnection(t *testing.T) {
	_, err := catalogv1.NewCatalogServiceClient(tlsConn(t, roleNobody, "catalog")).ListFilms(
		ctx(t), &catalogv1.ListFilmsRequest{PageSize: 1})
	wantDenied(t, err, roleNobody, "/reel.catalog.v1.CatalogService/ListFilms")

	stream, err := searchv1.NewSearchServiceClient(tlsConn(t, roleNobody, "search")).SearchScenes(
		ctx(t), &searchv1.SearchScenesRequest{Query: "quokka"})
	if err == nil {
		_, err = stream.Recv()
	}
	wantDenied(t, err, roleNobody, "/reel.search.v1.SearchService/SearchScenes")

	for _, service := range []string{"catalog", "search"} {
		health, err := healthpb.NewHealthClient(tlsConn(t, roleNobody, service)).Check(ctx(t), &healthpb.HealthCheckRequest{})
		check(t, err)
		if health.Status != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("%s health: %v", service, health.Status)
		}
	}

	// Without a client certificate the handshake fails: no call gets
	// through, not even health.
	_, err = healthpb.NewHealthClient(tlsConn(t, "", "catalog")).Check(ctx(t), &healthpb.HealthCheckRequest{})
	wantCode(t, err, codes.Unavailable)
}

// --- Orders, pages and facets (docs/api.md) ----------------------------------

// randomWord returns a made-up word of this run (letters only, so it is
// indexed as one word): searching it finds this run's films and no others.
func randomWord(t *testing.T) string {
	b := make([]byte, 12)
	_, err := rand.Read(b)
	check(t, err)
	for i := range b {
		b[i] = 'a' + b[i]%26
	}
	return string(b)
}

// facetedFilms: six films with known years, genres and directors, sharing
// a made-up word in ten of their scenes; a second word marks one scene as
// the best match. The other nine are three groups of three scenes with the
// same text, so equal scores, which pages of 1, 2 or 3 hits split.
type facetedFilms struct {
	word, best string
	names      map[string]string // film key -> film name
	keys       map[string]string // film name -> film key
	films      map[string]*catalogv1.Film
	revision   int64 // of the import
}

func importFacetedFilms(t *testing.T) *facetedFilms {
	f := &facetedFilms{word: randomWord(t), best: randomWord(t),
		names: map[string]string{}, keys: map[string]string{}, films: map[string]*catalogv1.Film{}}
	texts := []string{
		"The " + f.word + " waits.",
		"The " + f.word + " waits by the window.",
		"The " + f.word + " waits by the window, and waits, and waits."}
	specs := []struct {
		key, title string
		year       int32
		genres     []string
		directors  []string
		texts      []int // of the scenes with the word
	}{
		{"cinder", "Cinder Harbour", 1961, []string{"drama", "mystery"}, []string{"Ada Moreau"}, []int{0, 1, 2}},
		{"aurora", "Aurora Station", 1948, []string{"drama"}, []string{"Ben Okafor"}, []int{0, 1}},
		{"beacon", "beacon Lane", 1975, []string{"comedy", "drama"}, []string{"Ada Moreau"}, []int{0}},
		{"dusk", "Dusk Parade", 1948, []string{"comedy"}, []string{"Cleo Varga"}, []int{2, 2}},
		{"ember", "Ember Field", 2003, []string{"mystery"}, []string{"Dev Rao"}, []int{1}},
		{"garnet", "Garnet Road", 0, []string{"documentary"}, []string{"Eve Lund"}, []int{2}}, // year unknown
	}
	var films []*catalogv1.Film
	for _, spec := range specs {
		film := &catalogv1.Film{
			Name: "films/" + newID("facets-"+spec.key), Title: spec.title, Year: spec.year,
			Genres: spec.genres, Directors: spec.directors, Synopsis: "An evening in town."}
		for s, text := range spec.texts {
			film.Scenes = append(film.Scenes, &catalogv1.Scene{
				SceneId: fmt.Sprintf("s%d", s+1), Title: fmt.Sprintf("%s, part %d", spec.title, s+1),
				Description: texts[text]})
		}
		// A scene without the word: never a match.
		film.Scenes = append(film.Scenes, &catalogv1.Scene{
			SceneId: "s9", Title: spec.title + ", the end", Description: "Everyone goes home."})
		f.names[spec.key], f.keys[film.Name], f.films[spec.key] = film.Name, spec.key, film
		films = append(films, film)
	}
	f.films["dusk"].Scenes[1].Description += " Then the " + f.best + " arrives." // the best match
	f.revision = importFilms(t, films)
	return f
}

// hitIDs: "film scene" per hit.
func hitIDs(hits []*searchv1.SceneHit) []string {
	var ids []string
	for _, hit := range hits {
		ids = append(ids, hit.Film+" "+hit.SceneId)
	}
	return ids
}

func ranks(hits []*searchv1.SceneHit) []int32 {
	var out []int32
	for _, hit := range hits {
		out = append(out, hit.Rank)
	}
	return out
}

// oneTo returns 1..n, the ranks of n hits.
func oneTo(n int) []int32 {
	out := make([]int32, n)
	for i := range out {
		out[i] = int32(i + 1)
	}
	return out
}

func facetValues(values []*searchv1.FacetValue) string {
	var out []string
	for _, value := range values {
		out = append(out, fmt.Sprintf("%s=%d", value.Value, value.SceneCount))
	}
	return strings.Join(out, " ")
}

// relevanceBefore: a before b in the relevance order (SortKey), which ends
// every order.
func relevanceBefore(a, b *searchv1.SortKey) bool {
	if a.MatchedClauses != b.MatchedClauses {
		return a.MatchedClauses > b.MatchedClauses
	}
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	if a.Film != b.Film {
		return a.Film < b.Film
	}
	return a.SceneOrdinal < b.SceneOrdinal
}

// summaryOf: the last message's summary.
func summaryOf(messages []*searchv1.SearchScenesResponse) *searchv1.SearchSummary {
	return messages[len(messages)-1].Summary
}

// searchErr runs a search to its end and returns its error (nil at EOF).
func searchErr(t *testing.T, request *searchv1.SearchScenesRequest) error {
	t.Helper()
	stream, err := search.SearchScenes(ctx(t), request)
	for err == nil {
		_, err = stream.Recv()
	}
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// searchPages follows next_page_token to the end: the hits of every page
// and how many pages there were.
func searchPages(t *testing.T, request *searchv1.SearchScenesRequest) (hits []*searchv1.SceneHit, pages int) {
	t.Helper()
	request = proto.Clone(request).(*searchv1.SearchScenesRequest)
	for {
		messages, page := searchAll(t, request)
		if len(page) > int(request.MaxResults) || pages >= 100 {
			t.Fatalf("page %d: %d hits, max_results %d", pages+1, len(page), request.MaxResults)
		}
		hits = append(hits, page...)
		pages++
		if request.PageToken = summaryOf(messages).NextPageToken; request.PageToken == "" {
			return hits, pages
		}
	}
}

func TestSearchOrdersPagesAndFacets(t *testing.T) {
	f := importFacetedFilms(t)

	t.Run("facets", func(t *testing.T) {
		messages, hits := searchAll(t, &searchv1.SearchScenesRequest{
			Query: f.word, MinRevision: f.revision, MaxResults: 2,
			Facets: &searchv1.FacetRequest{Genres: 2, Years: 3}})
		summary := summaryOf(messages)
		if summary.TotalMatches != 10 || len(hits) != 2 || f.keys[hits[0].Film] == "" {
			t.Fatalf("%d hits of %d, first %s", len(hits), summary.TotalMatches, hits[0].Film)
		}
		// Over every match, not only the hits returned; most scenes first,
		// then by value; films without a year are not counted.
		facets := summary.Facets
		if got := facetValues(facets.GetGenres()); got != "drama=6 mystery=4" {
			t.Errorf("genres %s", got)
		}
		if got := facetValues(facets.GetYears()); got != "1948=4 1961=3 1975=1" {
			t.Errorf("years %s", got)
		}
		if len(facets.GetDirectors()) != 0 { // not asked for
			t.Errorf("directors %s", facetValues(facets.Directors))
		}

		// A later page may ask for other facets: still over every match.
		messages, _ = searchAll(t, &searchv1.SearchScenesRequest{
			Query: f.word, MaxResults: 2, PageToken: summary.NextPageToken,
			Facets: &searchv1.FacetRequest{Genres: 10, Directors: 3}})
		facets = summaryOf(messages).Facets
		if got := facetValues(facets.GetGenres()); got != "drama=6 mystery=4 comedy=3 documentary=1" {
			t.Errorf("genres on page 2 %s", got)
		}
		if got := facetValues(facets.GetDirectors()); got != "Ada Moreau=4 Ben Okafor=2 Cleo Varga=2" {
			t.Errorf("directors on page 2 %s", got)
		}
		if len(facets.GetYears()) != 0 {
			t.Errorf("years on page 2 %s", facetValues(facets.Years))
		}
	})

	t.Run("sort", func(t *testing.T) {
		// Relevance (the default): the scene with both words first.
		messages, hits := searchAll(t, &searchv1.SearchScenesRequest{
			Query: f.word + " " + f.best, MinRevision: f.revision})
		checkStreamShape(t, messages, hits)
		if len(hits) != 10 || hits[0].Film != f.names["dusk"] || hits[0].SceneId != "s2" ||
			hits[0].SortKey.MatchedClauses != 2 || hits[1].SortKey.MatchedClauses != 1 {
			t.Fatalf("relevance order %v", hitIDs(hits))
		}
		_, relevance := searchAll(t, &searchv1.SearchScenesRequest{Query: f.word})
		matches := hitIDs(relevance)
		sort.Strings(matches)
		if !sort.SliceIsSorted(relevance, func(i, j int) bool {
			return relevanceBefore(relevance[i].SortKey, relevance[j].SortKey)
		}) {
			t.Errorf("not in relevance order: %v", hitIDs(relevance))
		}

		// Each order sorts by its own key, then by relevance. Films without
		// a year come last both ways; titles compare ASCII letters
		// case-insensitively ("beacon Lane" after "Aurora Station").
		yearLast := func(year int32) bool { return year == 0 }
		for _, order := range []struct {
			sort   searchv1.SortOrder
			before func(a, b *searchv1.SceneHit) (before, decided bool)
			want   string
		}{
			{searchv1.SortOrder_SORT_ORDER_YEAR_ASCENDING, func(a, b *searchv1.SceneHit) (bool, bool) {
				if a.Year == b.Year {
					return false, false
				}
				if yearLast(a.Year) || yearLast(b.Year) {
					return yearLast(b.Year), true
				}
				return a.Year < b.Year, true
			}, "1948 1948 1948 1948 1961 1961 1961 1975 2003 0"},
			{searchv1.SortOrder_SORT_ORDER_YEAR_DESCENDING, func(a, b *searchv1.SceneHit) (bool, bool) {
				if a.Year == b.Year {
					return false, false
				}
				if yearLast(a.Year) || yearLast(b.Year) {
					return yearLast(b.Year), true
				}
				return a.Year > b.Year, true
			}, "2003 1975 1961 1961 1961 1948 1948 1948 1948 0"},
			{searchv1.SortOrder_SORT_ORDER_TITLE, func(a, b *searchv1.SceneHit) (bool, bool) {
				ta, tb := strings.ToLower(a.FilmTitle), strings.ToLower(b.FilmTitle)
				return ta < tb, ta != tb
			}, "aurora aurora beacon cinder cinder cinder dusk dusk ember garnet"},
		} {
			t.Run(order.sort.String(), func(t *testing.T) {
				_, hits := searchAll(t, &searchv1.SearchScenesRequest{Query: f.word, Sort: order.sort})
				ids := hitIDs(hits)
				sort.Strings(ids)
				if strings.Join(ids, "; ") != strings.Join(matches, "; ") {
					t.Fatalf("hits %v, want the matches %v", hitIDs(hits), matches)
				}
				if !sort.SliceIsSorted(hits, func(i, j int) bool {
					if before, decided := order.before(hits[i], hits[j]); decided {
						return before
					}
					return relevanceBefore(hits[i].SortKey, hits[j].SortKey)
				}) {
					t.Errorf("out of order: %v", hitIDs(hits))
				}
				if fmt.Sprint(ranks(hits)) != fmt.Sprint(oneTo(10)) {
					t.Errorf("ranks %v", ranks(hits))
				}
				var got []string
				for _, hit := range hits {
					if order.sort == searchv1.SortOrder_SORT_ORDER_TITLE {
						got = append(got, f.keys[hit.Film])
					} else {
						got = append(got, fmt.Sprint(hit.Year))
					}
				}
				if strings.Join(got, " ") != order.want {
					t.Errorf("got %s, want %s", strings.Join(got, " "), order.want)
				}
			})
		}
	})

	t.Run("paging", func(t *testing.T) {
		for _, order := range []searchv1.SortOrder{
			searchv1.SortOrder_SORT_ORDER_RELEVANCE, searchv1.SortOrder_SORT_ORDER_TITLE,
		} {
			t.Run(order.String(), func(t *testing.T) {
				messages, whole := searchAll(t, &searchv1.SearchScenesRequest{
					Query: f.word, Sort: order, MaxResults: 1000, MinRevision: f.revision})
				if summary := summaryOf(messages); len(whole) != 10 || summary.TotalMatches != 10 ||
					summary.NextPageToken != "" {
					t.Fatalf("%d hits, summary %v", len(whole), summary)
				}
				// Pages until no next_page_token: the same hits, ranks
				// continuing, also where a page ends between scenes of equal
				// score. Pages of 5 end at the last hit: no token to an empty
				// page.
				for _, size := range []struct{ maxResults, pages int }{{2, 5}, {1, 10}, {3, 4}, {5, 2}} {
					paged, pages := searchPages(t, &searchv1.SearchScenesRequest{
						Query: f.word, Sort: order, MaxResults: int32(size.maxResults)})
					if strings.Join(hitIDs(paged), "; ") != strings.Join(hitIDs(whole), "; ") {
						t.Errorf("pages of %d: %v\nunpaged: %v", size.maxResults, hitIDs(paged), hitIDs(whole))
					}
					if fmt.Sprint(ranks(paged)) != fmt.Sprint(oneTo(10)) || pages != size.pages {
						t.Errorf("pages of %d: %d pages, ranks %v", size.maxResults, pages, ranks(paged))
					}
				}

				// At most one scene per film, over all pages: each film's
				// first hit.
				capped, _ := searchPages(t, &searchv1.SearchScenesRequest{
					Query: f.word, Sort: order, MaxResults: 2, MaxScenesPerFilm: 1})
				var firsts []*searchv1.SceneHit
				seen := map[string]bool{}
				for _, hit := range whole {
					if !seen[hit.Film] {
						seen[hit.Film] = true
						firsts = append(firsts, hit)
					}
				}
				if len(firsts) != 6 || strings.Join(hitIDs(capped), "; ") != strings.Join(hitIDs(firsts), "; ") {
					t.Errorf("capped %v, want %v", hitIDs(capped), hitIDs(firsts))
				}
				if fmt.Sprint(ranks(capped)) != fmt.Sprint(oneTo(6)) {
					t.Errorf("capped ranks %v", ranks(capped))
				}
			})
		}
	})

	t.Run("page token refused", func(t *testing.T) {
		messages, _ := searchAll(t, &searchv1.SearchScenesRequest{
			Query: f.word, MaxResults: 2, MinRevision: f.revision})
		token := summaryOf(messages).NextPageToken
		if token == "" {
			t.Fatal("no next_page_token")
		}
		refused := func(t *testing.T, request *searchv1.SearchScenesRequest, want codes.Code) {
			t.Helper()
			request.MaxResults = 2
			if message := wantCode(t, searchErr(t, request), want).Message(); !strings.Contains(message, "page_token") {
				t.Fatalf("message %q does not name page_token", message)
			}
		}
		// A token of another request: another query, order or cap.
		for name, other := range map[string]*searchv1.SearchScenesRequest{
			"query": {Query: f.word + " " + f.best},
			"sort":  {Query: f.word, Sort: searchv1.SortOrder_SORT_ORDER_TITLE},
			"cap":   {Query: f.word, MaxScenesPerFilm: 1},
		} {
			t.Run("other "+name, func(t *testing.T) {
				other.PageToken = token
				refused(t, other, codes.InvalidArgument)
			})
		}
		// Altered: a character changed in the middle (where every character
		// carries bits of the token), cut short, or not a token at all.
		middle, replacement := len(token)/2, "A"
		if token[middle] == 'A' {
			replacement = "B"
		}
		for name, bad := range map[string]string{
			"altered":     token[:middle] + replacement + token[middle+1:],
			"cut short":   token[:len(token)-4],
			"not a token": "not-a-token",
		} {
			t.Run(name, func(t *testing.T) {
				refused(t, &searchv1.SearchScenesRequest{Query: f.word, PageToken: bad}, codes.InvalidArgument)
			})
		}

		// Unaltered, with its request, the token still continues the order.
		_, hits := searchAll(t, &searchv1.SearchScenesRequest{Query: f.word, MaxResults: 2, PageToken: token})
		if fmt.Sprint(ranks(hits)) != "[3 4]" {
			t.Fatalf("ranks %v", ranks(hits))
		}

		// Once the index applies a later write, the order cannot be continued.
		written, err := catalog.CreateFilm(ctx(t), &catalogv1.CreateFilmRequest{
			FilmId: newID("facets-later"), Film: &catalogv1.Film{Title: "Later"}})
		check(t, err)
		searchAll(t, &searchv1.SearchScenesRequest{Query: "later", MinRevision: written.Film.Revision})
		refused(t, &searchv1.SearchScenesRequest{Query: f.word, PageToken: token}, codes.FailedPrecondition)
	})
}
