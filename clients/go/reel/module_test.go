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

// consumerModule writes a module of a user's in a temporary folder that
// requires this one at reel.Version, the way README.md says (offline: with
// the workspace's replace directives to Debian's Go sources), with the
// README's example as its main.go. It returns the folder.
func consumerModule(t *testing.T, module string, replaceDirectives ...string) string {
	t.Helper()
	consumer := t.TempDir()
	goMod := fmt.Sprintf("module example.com/reel-consumer\n\ngo 1.19\n\nrequire reel.dev/reel/clients/go v%s\n",
		reel.Version)
	if replaces := append(replaceDirectives, workspaceReplaces(t, module)...); len(replaces) > 0 {
		goMod += "\nreplace (\n\t" + strings.Join(replaces, "\n\t") + "\n)\n"
	}
	check(t, os.WriteFile(filepath.Join(consumer, "go.mod"), []byte(goMod), 0o644))
	check(t, os.WriteFile(filepath.Join(consumer, "main.go"), []byte(readmeExample(t, module)), 0o644))
	return consumer
}

// buildConsumer tidies the consumer's go.mod and builds it (with env, and
// with its go.mod only: no workspace); it returns the program.
func buildConsumer(t *testing.T, consumer string, env ...string) string {
	t.Helper()
	env = append([]string{"GOWORK=off", "GOFLAGS="}, env...)
	runGo(t, consumer, env, "mod", "tidy")
	tidied, err := os.ReadFile(filepath.Join(consumer, "go.mod"))
	check(t, err)
	if !strings.Contains(string(tidied), "google.golang.org/grpc v") {
		t.Fatalf("the tidied go.mod lacks grpc:\n%s", tidied)
	}
	program := filepath.Join(consumer, "reel-consumer")
	runGo(t, consumer, env, "build", "-o", program, ".")
	return program
}

// runProgram runs program with args: its output (standard output and
// error) and how it ended.
func runProgram(program string, args ...string) (string, error) {
	var output bytes.Buffer
	command := exec.Command(program, args...)
	command.Stdout, command.Stderr = &output, &output
	err := command.Run()
	return output.String(), err
}

// seedFilmIndexed: the seed film, created and indexed, so the example's
// search for "red shoes" finds it.
func seedFilmIndexed(t *testing.T) {
	t.Helper()
	names, revision := searchFilms(t)
	searchAll(t, &searchv1.SearchScenesRequest{
		Query: "red shoes", MinRevision: revision, Filter: &searchv1.SceneFilter{Films: names[:1]}})
}

// TestConsumerModuleRunsTheREADMEExample: a user's module requires this one
// from a checkout (a replace directive to the module's folder), gets its
// go.mod tidied, and builds and runs the README's example against the
// services: in plaintext, and over mutual TLS as a searcher and as a
// certificate without a role.
func TestConsumerModuleRunsTheREADMEExample(t *testing.T) {
	module := moduleDir(t)
	program := buildConsumer(t, consumerModule(t, module, "reel.dev/reel/clients/go => "+module))

	seedFilmIndexed(t)
	out, err := runProgram(program, os.Getenv("REEL_SEARCH_ADDR"), "red shoes")
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
	out, err = runProgram(program, tlsSearch, "quokka certificate", filepath.Join(pki, roleSearcher))
	if err != nil || !strings.Contains(out, " The Quokka Certificate: ") {
		t.Fatalf("the example over TLS as %s: %v\n%s", roleSearcher, err, out)
	}
	out, err = runProgram(program, tlsSearch, "quokka certificate", filepath.Join(pki, roleNobody))
	if err == nil || !strings.Contains(out, "PermissionDenied: authorization: "+identity(roleNobody)) {
		t.Fatalf("the example over TLS as %s: %v\n%s", roleNobody, err, out)
	}
}

// TestPackagedModule: package.sh's module proxy serves the module, stubs
// included, at reel.Version; a user's module gets it from there (GOPROXY,
// its own module cache) and runs the README's example.
func TestPackagedModule(t *testing.T) {
	module := moduleDir(t)
	proxy := t.TempDir()
	command := exec.Command(filepath.Join(module, "package.sh"), proxy)
	if output, err := command.CombinedOutput(); err != nil {
		t.Fatalf("package.sh: %v\n%s", err, output)
	}
	list, err := os.ReadFile(filepath.Join(proxy, "reel.dev", "reel", "clients", "go", "@v", "list"))
	check(t, err)
	if string(list) != "v"+reel.Version+"\n" {
		t.Fatalf("the proxy lists %q", list)
	}

	consumer := consumerModule(t, module)
	program := buildConsumer(t, consumer, "GOPROXY=file://"+filepath.ToSlash(proxy),
		"GONOSUMDB=reel.dev", "GOMODCACHE="+t.TempDir(), "GOFLAGS=-modcacherw")
	sums, err := os.ReadFile(filepath.Join(consumer, "go.sum"))
	check(t, err)
	if !strings.Contains(string(sums), "reel.dev/reel/clients/go v"+reel.Version+" h1:") {
		t.Fatalf("go.sum lacks the downloaded module:\n%s", sums)
	}
	seedFilmIndexed(t)
	if out, err := runProgram(program, os.Getenv("REEL_SEARCH_ADDR"), "red shoes"); err != nil ||
		!strings.Contains(out, " The Red Shoes: ") {
		t.Fatalf("the example: %v\n%s", err, out)
	}
}
