package apperr

import (
	"bufio"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// repoRoot is the module root, from this package's folder.
const repoRoot = "../.."

// statuses maps each code to the statuses it is answered with.
type statuses map[string][]int

func (s statuses) add(code string, status int) {
	if !slices.Contains(s[code], status) {
		s[code] = append(s[code], status)
		slices.Sort(s[code])
	}
}

func declared() statuses {
	out := statuses{}
	for _, e := range Catalogue() {
		out.add(e.Code, e.Status)
	}
	return out
}

var (
	// A row of the error-code tables: | `code` | 400 | when | (a code answered with two
	// statuses has a row for each; "400, 401" in one row is read as both too).
	codeRow = regexp.MustCompile("^\\| `([a-z_]+)` \\| ([0-9, ]+) \\|")
	// A status and a code written together anywhere in the API document: 409 `name_taken`.
	statusCode = regexp.MustCompile("\\b([1-5][0-9][0-9]) `([a-z_]+)`")
)

// documented reads docs/api.md: the rows of the tables under "## Error codes" (up to the
// next "## " heading), and every "NNN `code`" written anywhere else.
func documented(t *testing.T) (table statuses, mentions statuses) {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot, "docs", "api.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	table, mentions = statuses{}, statuses{}
	inSection := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			inSection = line == "## Error codes"
			continue
		}
		for _, m := range statusCode.FindAllStringSubmatch(line, -1) {
			status, _ := strconv.Atoi(m[1])
			mentions.add(m[2], status)
		}
		m := codeRow.FindStringSubmatch(line)
		if !inSection || m == nil {
			continue
		}
		for _, s := range strings.Split(m[2], ",") {
			status, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil {
				t.Fatalf("docs/api.md: %q: status %q is not a number", line, s)
			}
			table.add(m[1], status)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(table) == 0 {
		t.Fatal(`docs/api.md has no "## Error codes" table rows`)
	}
	return table, mentions
}

func TestTheDocsListEveryDeclaredCode(t *testing.T) {
	want := declared()
	table, mentions := documented(t)
	for _, code := range slices.Sorted(maps.Keys(want)) {
		got, ok := table[code]
		switch {
		case !ok:
			t.Errorf("%s (%v) is declared in codes.go but not in docs/api.md's error-code tables", code, want[code])
		case !slices.Equal(got, want[code]):
			t.Errorf("%s: docs/api.md says status %v, codes.go declares %v", code, got, want[code])
		}
	}
	for _, code := range slices.Sorted(maps.Keys(table)) {
		if _, ok := want[code]; !ok {
			t.Errorf("%s is in docs/api.md's error-code tables but not declared in codes.go", code)
		}
	}
	// Elsewhere the document names a code with its status ("409 `name_taken`"): the pair
	// must be a declared one, so the endpoint tables cannot drift from the catalogue either.
	for _, code := range slices.Sorted(maps.Keys(mentions)) {
		for _, status := range mentions[code] {
			if !slices.Contains(want[code], status) {
				t.Errorf("docs/api.md writes %d `%s`, but codes.go declares %s with %v", status, code, code, want[code])
			}
		}
	}
}

var snakeCase = regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`)

func TestEveryTemplateIsAWholeAnswer(t *testing.T) {
	if len(Catalogue()) != int(templateCount) {
		t.Fatalf("Catalogue has %d answers, %d templates are declared", len(Catalogue()), templateCount)
	}
	for i, e := range Catalogue() {
		switch {
		case !snakeCase.MatchString(e.Code):
			t.Errorf("template %d: code %q is not a snake_case word", i, e.Code)
		case e.Status < 400 || e.Status > 599:
			t.Errorf("%s: status %d is not an error status", e.Code, e.Status)
		case e.Msg == "":
			t.Errorf("%s: no message for the person", e.Code)
		case e.Fields != nil || e.Cause() != nil:
			t.Errorf("%s: a declared template carries fields or a cause", e.Code)
		}
	}
}

func TestTemplatesAreCopiedNeverShared(t *testing.T) {
	e := LoginFailed.Wrap(nil)
	e.Msg = "changed"
	c := Catalogue()
	c[LoginFailed].Msg = "changed too"
	if got := LoginFailed.E().Msg; got == "changed" || got == "changed too" {
		t.Fatalf("changing a copy changed the declared answer: %q", got)
	}
}

// The packages answer with the declared templates, not with answers of their own: no
// apperr.E is written as a literal outside this package.
func TestNoPackageWritesAnAnswerOfItsOwn(t *testing.T) {
	skip := []string{"backend/apperr", "frontend", "node_modules", ".git", "build"}
	fset := token.NewFileSet()
	err := filepath.WalkDir(repoRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(repoRoot, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if slices.ContainsFunc(skip, func(s string) bool { return rel == s || strings.HasPrefix(rel, s+"/") }) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.CompositeLit)
			if !ok {
				return true
			}
			if sel, ok := lit.Type.(*ast.SelectorExpr); ok && sel.Sel.Name == "E" {
				if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "apperr" {
					t.Errorf("%s: writes an apperr.E of its own; declare it in backend/apperr/codes.go and use its Template",
						fset.Position(lit.Pos()))
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
