// Command mutate checks that the test suite catches the bugs listed in
// scripts/mutations.txt: for each one it copies the tree, puts the bug in
// (a literal find-and-replace), builds, runs `go test ./...`, and reports
// every mutation the tests let through. The working tree is never
// touched. Run it with `make mutate`; -run NAME limits it to matching
// mutations.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// mutation is one deliberate bug: replace the single occurrence of Find
// in File with Replace.
type mutation struct {
	Name, Why, File, Find, Replace string
}

func main() {
	list := flag.String("list", "scripts/mutations.txt", "the mutations to apply")
	run := flag.String("run", "", "only mutations whose name matches this regexp")
	check := flag.Bool("check", false, "only check that every mutation still applies")
	flag.Parse()
	if err := mutate(*list, *run, *check); err != nil {
		fmt.Fprintln(os.Stderr, "mutate:", err)
		os.Exit(1)
	}
}

func mutate(listPath, pattern string, checkOnly bool) error {
	muts, err := parse(listPath)
	if err != nil {
		return err
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return fmt.Errorf("bad -run: %w", err)
	}
	// Check every mutation still applies before spending minutes on any.
	for _, m := range muts {
		data, err := os.ReadFile(m.File)
		if err != nil {
			return fmt.Errorf("%s: %w", m.Name, err)
		}
		if n := strings.Count(string(data), m.Find); n != 1 {
			return fmt.Errorf("%s: the text to replace occurs %d times in %s (want once): update %s", m.Name, n, m.File, listPath)
		}
	}
	if checkOnly {
		fmt.Printf("all %d mutations apply\n", len(muts))
		return nil
	}
	tree, err := os.MkdirTemp("", "mydocker-mutate-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tree)
	if err := copyTree(".", tree); err != nil {
		return fmt.Errorf("copy the tree: %w", err)
	}
	// Each caught mutation's test output is kept, to tell a real catch
	// from a test that failed by chance.
	logs, err := os.MkdirTemp("", "mydocker-mutate-logs-")
	if err != nil {
		return err
	}
	fmt.Println("test output of each caught mutation:", logs)
	fmt.Println("baseline: the unmutated tree must pass")
	if ok, out := suite(tree); !ok {
		return fmt.Errorf("the unmutated tree fails its tests:\n%s", out)
	}
	var survived []string
	for _, m := range muts {
		if !re.MatchString(m.Name) {
			continue
		}
		start := time.Now()
		path := filepath.Join(tree, m.File)
		orig, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(strings.Replace(string(orig), m.Find, m.Replace, 1)), 0o644); err != nil {
			return err
		}
		// A mutation that does not compile is no bug a user could meet:
		// it would count as caught by the build. Report it to be fixed.
		if out, err := compile(tree); err != nil {
			if werr := os.WriteFile(path, orig, 0o644); werr != nil {
				return werr
			}
			fmt.Printf("%-9s %-32s %5.0fs  %s\n          %s\n", "BROKEN", m.Name, time.Since(start).Seconds(), m.Why, firstLine(out))
			survived = append(survived, m.Name+": does not compile: "+firstLine(out))
			continue
		}
		ok, out := suite(tree)
		if err := os.WriteFile(path, orig, 0o644); err != nil {
			return err
		}
		verdict := "caught"
		if ok {
			verdict = "SURVIVED"
			survived = append(survived, m.Name+": "+m.Why)
		}
		fmt.Printf("%-9s %-32s %5.0fs  %s\n", verdict, m.Name, time.Since(start).Seconds(), m.Why)
		if !ok {
			fmt.Printf("          by %s\n", failures(out))
			if logs != "" {
				_ = os.WriteFile(filepath.Join(logs, m.Name+".log"), []byte(out), 0o644)
			}
		}
	}
	if len(survived) > 0 {
		return fmt.Errorf("%d mutations survived the tests or do not compile:\n  %s", len(survived), strings.Join(survived, "\n  "))
	}
	fmt.Println("every mutation was caught")
	return nil
}

// compile builds every package and test of the tree without running anything.
func compile(dir string) (string, error) {
	cmd := exec.Command("sh", "-c", "go build ./... && go vet ./... 2>&1")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			return l
		}
	}
	return strings.TrimSpace(s)
}

// suite builds the tree and runs every test; ok means all passed.
func suite(dir string) (bool, string) {
	cmd := exec.Command("sh", "-c", "make -s build && go vet ./... && go test -count=1 ./... 2>&1")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return err == nil, string(out)
}

// failures names what failed in the suite's output: the failing tests,
// or the build or vet step when no test ran.
func failures(out string) string {
	var names []string
	for _, l := range strings.Split(out, "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "--- FAIL: ") {
			names = append(names, strings.Fields(l)[2])
		}
	}
	if len(names) == 0 {
		return "the build or go vet"
	}
	return strings.Join(names, ", ")
}

// parse reads the mutation list:
//
//	=== name
//	why: what the bug would cost a user
//	file: path/from/the/repo/root.go
//	--- find
//	lines to find
//	+++ replace
//	lines to put instead
//
// Lines starting with # outside find/replace blocks are comments.
func parse(path string) ([]mutation, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var muts []mutation
	var cur *mutation
	var section string
	var find, repl []string
	finish := func() error {
		if cur == nil {
			return nil
		}
		// Blank lines before the next mutation separate, not replace.
		for len(repl) > 0 && strings.TrimSpace(repl[len(repl)-1]) == "" {
			repl = repl[:len(repl)-1]
		}
		cur.Find, cur.Replace = strings.Join(find, "\n"), strings.Join(repl, "\n")
		if cur.File == "" || cur.Find == "" {
			return fmt.Errorf("%s: mutation %s needs a file and text to find", path, cur.Name)
		}
		muts = append(muts, *cur)
		return nil
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "=== "):
			if err := finish(); err != nil {
				return nil, err
			}
			cur, section, find, repl = &mutation{Name: strings.TrimSpace(line[4:])}, "", nil, nil
		case cur == nil || section == "" && (strings.HasPrefix(line, "#") || strings.TrimSpace(line) == ""):
		case line == "--- find":
			section = "find"
		case line == "+++ replace":
			section = "replace"
		case section == "find":
			find = append(find, line)
		case section == "replace":
			repl = append(repl, line)
		case strings.HasPrefix(line, "why: "):
			cur.Why = line[5:]
		case strings.HasPrefix(line, "file: "):
			cur.File = line[6:]
		default:
			return nil, fmt.Errorf("%s: unexpected line %q in mutation %s", path, line, cur.Name)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return muts, finish()
}

// copyTree copies the source tree (not .git, not the built binary).
func copyTree(src, dst string) error {
	return filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if rel == ".git" || rel == "mydocker" {
			if fi.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		switch {
		case fi.IsDir():
			return os.MkdirAll(target, fi.Mode().Perm())
		case fi.Mode()&os.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case fi.Mode().IsRegular():
			in, err := os.Open(p)
			if err != nil {
				return err
			}
			defer in.Close()
			out, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, fi.Mode().Perm())
			if err != nil {
				return err
			}
			if _, err := io.Copy(out, in); err != nil {
				out.Close()
				return err
			}
			return out.Close()
		}
		return nil
	})
}
