// The module as others use it: its version, and a module of a user's that
// requires it and builds and runs the README's example.
package reel_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"reel.dev/reel/clients/go/reel"
	"reel.dev/reel/clients/go/searchv1"
)

// moduleDir: the module's root folder (the tests run in its reel/ folder).
func moduleDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("..")
	check(t, err)
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Fatalf("the module's go.mod: %v", err)
	}
	return dir
}

// runGo runs the go command that runs the tests, in dir, with the test's
// environment and then env; it returns the standard output.
func runGo(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	goCommand := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goCommand); err != nil {
		goCommand = "go"
	}
	command := exec.Command(goCommand, args...)
	command.Dir = dir
	command.Env = append(os.Environ(), env...) // the last of a name wins
	var stdout, stderr bytes.Buffer
	command.Stdout, command.Stderr = &stdout, &stderr
	if err := command.Run(); err != nil {
		t.Fatalf("go %s (in %s): %v\n%s%s", strings.Join(args, " "), dir, err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

func TestVersionIsTheRepositorysVersion(t *testing.T) {
	text, err := os.ReadFile(filepath.Join(moduleDir(t), "..", "..", "VERSION"))
	check(t, err)
	if want := strings.TrimSpace(string(text)); reel.Version != want || want == "" {
		t.Fatalf("reel.Version %q, the VERSION file %q", reel.Version, want)
	}
	if want := "reel-go/" + reel.Version; reel.UserAgent != want {
		t.Fatalf("reel.UserAgent %q, want %q", reel.UserAgent, want)
	}
}

// workspaceReplaces: the replace directives of the go.work the module is
// built with (generate.sh's, over Debian's Go sources), folders made
// absolute; none without a workspace (modules then come from GOPROXY).
func workspaceReplaces(t *testing.T, module string) []string {
	t.Helper()
	work := strings.TrimSpace(runGo(t, module, nil, "env", "GOWORK"))
	if work == "" || work == "off" {
		return nil
	}
	text, err := os.ReadFile(work)
	check(t, err)
	var replaces []string
	inBlock := false
	for scanner := bufio.NewScanner(bytes.NewReader(text)); scanner.Scan(); {
		line := strings.TrimSpace(scanner.Text())
		switch {
		case line == "replace (":
			inBlock = true
			continue
		case inBlock && line == ")":
			inBlock = false
			continue
		case strings.HasPrefix(line, "replace "):
			line = strings.TrimPrefix(line, "replace ")
		case !inBlock:
			continue
		}
		from, to, ok := strings.Cut(line, "=>")
		target := strings.Fields(to)
		if !ok || len(target) == 0 {
			continue
		}
		if strings.HasPrefix(target[0], "./") || strings.HasPrefix(target[0], "../") {
			target[0] = filepath.Join(filepath.Dir(work), target[0])
		}
		replaces = append(replaces, strings.TrimSpace(from)+" => "+strings.Join(target, " "))
	}
	return replaces
}

// readmeExample: the README's example program (its Go block that is a
// main package).
func readmeExample(t *testing.T, module string) string {
	t.Helper()
	text, err := os.ReadFile(filepath.Join(module, "README.md"))
	check(t, err)
	for _, block := range strings.Split(string(text), "```go\n")[1:] {
		code, _, _ := strings.Cut(block, "```")
		if strings.HasPrefix(code, "package main\n") {
			return code
		}
	}
	t.Fatal("README.md has no Go block starting with package main")
	return ""
}

// TestConsumerModuleRunsTheREADMEExample: a module of a user's, in a
// temporary folder, requires this one the way README.md says (replace
// directives to the module's folder and, offline, to Debian's Go sources),
// gets its go.mod tidied, and builds and runs the README's example against
// the services: in plaintext, and over mutual TLS as a searcher and as a
// certificate without a role.
func TestConsumerModuleRunsTheREADMEExample(t *testing.T) {
	module := moduleDir(t)
	consumer := t.TempDir()
	goMod := fmt.Sprintf("module example.com/reel-consumer\n\ngo 1.19\n\n"+
		"require reel.dev/reel/clients/go v%s\n\nreplace reel.dev/reel/clients/go => %s\n",
		reel.Version, module)
	if replaces := workspaceReplaces(t, module); len(replaces) > 0 {
		goMod += "\nreplace (\n\t" + strings.Join(replaces, "\n\t") + "\n)\n"
	}
	check(t, os.WriteFile(filepath.Join(consumer, "go.mod"), []byte(goMod), 0o644))
	check(t, os.WriteFile(filepath.Join(consumer, "main.go"), []byte(readmeExample(t, module)), 0o644))
	env := []string{"GOWORK=off", "GOFLAGS="} // the consumer's own go.mod, nothing else
	runGo(t, consumer, env, "mod", "tidy")
	tidied, err := os.ReadFile(filepath.Join(consumer, "go.mod"))
	check(t, err)
	if !strings.Contains(string(tidied), "google.golang.org/grpc v") {
		t.Fatalf("the tidied go.mod lacks grpc:\n%s", tidied)
	}
	binary := filepath.Join(consumer, "reel-consumer")
	runGo(t, consumer, env, "build", "-o", binary, ".")

	// The seed film, indexed: the example's search finds it.
	names, revision := searchFilms(t)
	searchAll(t, &searchv1.SearchScenesRequest{
		Query: "red shoes", MinRevision: revision, Filter: &searchv1.SceneFilter{Films: names[:1]}})
	run := func(args ...string) (string, error) {
		var output bytes.Buffer
		command := exec.Command(binary, args...)
		command.Stdout, command.Stderr = &output, &output
		err := command.Run()
		return output.String(), err
	}
	out, err := run(os.Getenv("REEL_SEARCH_ADDR"), "red shoes")
	if err != nil || !strings.Contains(out, " The Red Shoes: ") {
		t.Fatalf("the example in plaintext: %v\n%s", err, out)
	}

	tlsSearch, pki := os.Getenv("REEL_TLS_SEARCH_ADDR"), os.Getenv("REEL_PKI_DIR")
	if tlsSearch == "" || pki == "" {
		t.Fatal("REEL_TLS_SEARCH_ADDR and REEL_PKI_DIR must be set: run scripts/test-clients.sh")
	}
	// The writer's film on the TLS pair, indexed (a search with min_revision
	// returns once it is).
	film := tlsFilm(t)
	stream, err := searchv1.NewSearchServiceClient(tlsConn(t, roleSearcher, "search")).SearchScenes(
		ctx(t), &searchv1.SearchScenesRequest{Query: "quokka", MinRevision: film.Revision})
	for err == nil {
		_, err = stream.Recv()
	}
	if !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	out, err = run(tlsSearch, "quokka certificate", filepath.Join(pki, roleSearcher))
	if err != nil || !strings.Contains(out, " The Quokka Certificate: ") {
		t.Fatalf("the example over TLS as %s: %v\n%s", roleSearcher, err, out)
	}
	out, err = run(tlsSearch, "quokka certificate", filepath.Join(pki, roleNobody))
	if err == nil || !strings.Contains(out, "PermissionDenied: authorization: "+identity(roleNobody)) {
		t.Fatalf("the example over TLS as %s: %v\n%s", roleNobody, err, out)
	}
}
