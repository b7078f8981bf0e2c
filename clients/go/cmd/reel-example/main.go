// Command reel-example calls Reel from Go: it imports a film page, streams
// a search, follows WatchFilms for a few events and shows how errors read.
//
//	go generate ./...   # once, in clients/go: the stubs (see README.md)
//	go run ./cmd/reel-example -page ../../../shared/seed/the-red-shoes.txt
//
// Addresses come from -catalog / -search, else REEL_CATALOG_ADDR /
// REEL_SEARCH_ADDR, else 127.0.0.1:50051 / 127.0.0.1:50052
// (scripts/run-local.sh). With -tls_dir DIR the calls go over TLS: DIR/ca.crt
// verifies the services and DIR/tls.crt + DIR/tls.key, when present, are the
// client certificate (the identity the services' authorization policy
// decides on; docs/security.md).
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"reel.dev/reel/clients/go/catalogv1"
	"reel.dev/reel/clients/go/internal/filmpage"
	"reel.dev/reel/clients/go/reel"
	"reel.dev/reel/clients/go/searchv1"
)

const timeout = 10 * time.Second // for every call: always set a deadline

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "reel-example:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	flags := flag.NewFlagSet("reel-example", flag.ContinueOnError)
	catalogAddr := flags.String("catalog", envOr("REEL_CATALOG_ADDR", "127.0.0.1:50051"), "catalog-service host:port")
	searchAddr := flags.String("search", envOr("REEL_SEARCH_ADDR", "127.0.0.1:50052"), "search-service host:port")
	page := flags.String("page", defaultPage(), "film page to import")
	query := flags.String("query", "red shoes dance", "what to search for")
	tlsDir := flags.String("tls_dir", "", "directory with ca.crt (+ tls.crt, tls.key): connect over TLS")
	version := flags.Bool("version", false, "print the client's version and exit")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if *version {
		fmt.Fprintln(out, reel.Version)
		return nil
	}

	catalogConn, err := reel.Dial(*catalogAddr, *tlsDir)
	if err != nil {
		return err
	}
	defer catalogConn.Close()
	searchConn, err := reel.Dial(*searchAddr, *tlsDir)
	if err != nil {
		return err
	}
	defer searchConn.Close()
	catalog := catalogv1.NewCatalogServiceClient(catalogConn)
	search := searchv1.NewSearchServiceClient(searchConn)

	film, err := importPage(catalog, *page, out)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\n$ search %q\n", *query)
	if err := searchScenes(search, *query, film.Revision, out); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	latest, err := catalog.ListFilms(ctx, &catalogv1.ListFilmsRequest{PageSize: 1})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nthe latest changes (the catalog is at revision %d):\n", latest.Revision)
	start := latest.Revision - 3
	if start < 0 {
		start = 0
	}
	if err := watch(catalog, start, latest.Revision, 5, out); err != nil {
		return err
	}

	fmt.Fprintln(out, "\nan error, read the gRPC way:")
	err = searchScenes(search, `"unbalanced`, 0, out)
	// status.Code and status.Convert read the code and message of any error
	// a call returns (codes.OK for nil).
	fmt.Fprintf(out, "  %v: %s\n", status.Code(err), status.Convert(err).Message())
	return nil
}

// importPage creates the page's film, or reads it when it already exists.
func importPage(catalog catalogv1.CatalogServiceClient, path string, out io.Writer) (*catalogv1.Film, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	film, err := filmpage.Parse(string(text))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	filmID := slug(film.Title)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	// One request_id per logical create: a retry with the same id (after a
	// lost response) returns the first response instead of writing twice.
	created, err := catalog.CreateFilm(ctx, &catalogv1.CreateFilmRequest{
		Film: film, FilmId: filmID, RequestId: randomID()})
	if err == nil {
		fmt.Fprintf(out, "created %s at revision %d\n", created.Film.Name, created.Film.Revision)
		return created.Film, nil
	}
	// Errors carry a status code and a message naming the field at fault.
	if status.Code(err) != codes.AlreadyExists {
		return nil, err
	}
	fmt.Fprintf(out, "%v: %s -> reading it instead\n", status.Code(err), status.Convert(err).Message())
	got, err := catalog.GetFilm(ctx, &catalogv1.GetFilmRequest{Name: "films/" + filmID})
	if err != nil {
		return nil, err
	}
	return got.Film, nil
}

// searchScenes prints the hits as they arrive, best first.
func searchScenes(search searchv1.SearchServiceClient, query string, minRevision int64, out io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	stream, err := search.SearchScenes(ctx, &searchv1.SearchScenesRequest{
		Query: query, MaxResults: 5, MinRevision: minRevision}) // read-your-writes
	if err != nil {
		return err
	}
	for {
		message, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, hit := range message.Hits {
			fmt.Fprintf(out, "#%d %s: %s (%.3f)\n", hit.Rank, hit.FilmTitle, hit.SceneTitle, hit.Score)
			for i, highlight := range hit.Highlights {
				if i == 2 {
					break
				}
				fmt.Fprintf(out, "    %v: %s\n", highlight.Field, clip(mark(highlight), 160))
			}
		}
		if s := message.Summary; s != nil {
			fmt.Fprintf(out, "%d of %d matches (index at revision %d)\n", s.ReturnedCount, s.TotalMatches, s.IndexRevision)
		}
	}
}

// mark wraps the matched words in [brackets]. A Go string is UTF-8 bytes,
// so the byte offsets are the ones to slice with.
func mark(highlight *searchv1.Highlight) string {
	var b strings.Builder
	last := int32(0)
	for _, span := range highlight.Spans {
		b.WriteString(highlight.Snippet[last:span.StartByte])
		b.WriteString("[" + highlight.Snippet[span.StartByte:span.EndByte] + "]")
		last = span.EndByte
	}
	b.WriteString(highlight.Snippet[last:])
	return b.String()
}

// watch prints the changes after start (at most limit) until the stream
// reaches until.
func watch(catalog catalogv1.CatalogServiceClient, start, until int64, limit int, out io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel() // the stream never ends on its own: cancelling ends it
	stream, err := catalog.WatchFilms(ctx, &catalogv1.WatchFilmsRequest{StartRevision: start})
	if err != nil {
		return err
	}
	for shown := 0; ; {
		message, err := stream.Recv()
		if err != nil {
			return err
		}
		for _, event := range message.Events {
			if shown == limit {
				break
			}
			fmt.Fprintf(out, "  revision %d: %v %s\n", event.Revision, event.Type, event.Name)
			shown++
		}
		// message.Revision is where to resume from next time.
		if message.Revision >= until || shown == limit {
			return nil
		}
	}
}

var nonAlnum = regexp.MustCompile(`[^a-z0-9]+`)

// slug makes a film id from a title: "The Red Shoes" -> "the-red-shoes".
func slug(title string) string {
	if id := strings.Trim(nonAlnum.ReplaceAllString(strings.ToLower(title), "-"), "-"); id != "" {
		return id
	}
	return "film"
}

func randomID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

func envOr(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}

// defaultPage is the seed page in the shared folder beside the repository,
// or under $REEL_SHARED_DIR.
func defaultPage() string {
	shared := os.Getenv("REEL_SHARED_DIR")
	if shared == "" {
		shared = filepath.Join("..", "..", "..", "shared") // run in clients/go
	}
	return filepath.Join(shared, "seed", "the-red-shoes.txt")
}
