package format

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

type item struct {
	Name   string
	Args   []string
	Labels map[string]string
}

func (i item) Upper() string { return strings.ToUpper(i.Name) }

func TestRender(t *testing.T) {
	data := item{Name: "web", Args: []string{"a", "b c"}, Labels: map[string]string{"k": "v<&>"}}
	tests := []struct {
		tmpl, want string
	}{
		{`{{.Name}}`, "web"},
		{`{{.Upper}}`, "WEB"},
		{`{{json .Args}}`, `["a","b c"]`},
		{`{{json .Labels}}`, `{"k":"v<&>"}`}, // no HTML escaping, as Docker
		{`{{json .}}`, `{"Name":"web","Args":["a","b c"],"Labels":{"k":"v<&>"}}`},
		{`{{join .Args ","}}`, "a,b c"},
		{`{{join (split "x:y:z" ":") "-"}}`, "x-y-z"},
		{`{{lower "AbC"}} {{upper "aBc"}}`, "abc ABC"},
		{`{{title "hello big-world"}}`, "Hello Big-World"},
		{`{{println .Name}}`, "web\n"},
		{`{{pad .Name 1 2}}|`, " web  |"},
		{`{{truncate .Name 2}}`, "we"},
		{`{{index .Labels "k"}}`, "v<&>"},
		{`{{.Name}}\t{{.Name}}`, "web\tweb"}, // \t as Docker reads it
		{`{{.Name}}\n`, "web\n"},
		// A field the type lacks is looked up in its JSON form: here the
		// map's keys, as on Docker's raw JSON.
		{`{{.Labels.k}}`, "v<&>"},
	}
	for _, tt := range tests {
		tm, err := Parse(tt.tmpl)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.tmpl, err)
			continue
		}
		got, err := tm.Render(data)
		if err != nil || got != tt.want {
			t.Errorf("Render(%q) = %q, %v; want %q", tt.tmpl, got, err, tt.want)
		}
	}
}

func TestJoinOfDecodedJSON(t *testing.T) {
	got, err := join([]any{"a", 1, true}, " ")
	if err != nil || got != "a 1 true" {
		t.Fatalf("join = %q, %v", got, err)
	}
	if _, err := join("abc", ","); err == nil {
		t.Fatal("join of a string: no error")
	}
	if got, err := join(nil, ","); err != nil || got != "" {
		t.Fatalf("join(nil) = %q, %v", got, err)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		tmpl string
		want string // in the message
	}{
		{`{{.Name`, "unclosed action"},
		{`{{nosuchfunc .Name}}`, `function "nosuchfunc" not defined`},
		{`{{.Missing}}`, "can't evaluate field Missing"},
		{`{{json}}`, "wrong number of args"},
		{"{{.Name}}\n{{.Missing}}", "can't evaluate field Missing"},
	}
	for _, tt := range tests {
		tm, err := Parse(tt.tmpl)
		if err == nil {
			_, err = tm.Render(item{Name: "x"})
		}
		var fe *Error
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), tt.want) ||
			!strings.HasPrefix(err.Error(), "invalid --format: ") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: error %v, want one line with %q", tt.tmpl, err, tt.want)
		}
	}
}

func TestTable(t *testing.T) {
	tm, err := Parse(`table {{.Name}}\t{{.Upper}}`)
	if err != nil || !tm.IsTable() {
		t.Fatalf("Parse: %v, table %v", err, tm.IsTable())
	}
	var buf bytes.Buffer
	header := item{Name: "NAME"}
	if err := tm.Table(&buf, header, []any{item{Name: "a"}, item{Name: "longer-name"}}); err != nil {
		t.Fatal(err)
	}
	want := "NAME          NAME\n" +
		"a             A\n" +
		"longer-name   LONGER-NAME\n"
	if buf.String() != want {
		t.Fatalf("table:\n%s\nwant:\n%s", buf.String(), want)
	}
	// A failing row prints nothing.
	buf.Reset()
	bad, _ := Parse(`table {{index .Args 5}}`)
	if err := bad.Table(&buf, item{Args: make([]string, 6)}, []any{item{}}); err == nil || buf.Len() != 0 {
		t.Fatalf("failing table: %v, wrote %q", err, buf.String())
	}
}

func TestTableAlone(t *testing.T) {
	for _, s := range []string{"table", "table ", "table  "} {
		tm, err := Parse(s)
		if err != nil || !tm.IsTable() || !tm.Empty() {
			t.Errorf("Parse(%q): %v, table %v empty %v", s, err, tm.IsTable(), tm.Empty())
		}
	}
	for _, s := range []string{"tables", "{{.Name}}", "json"} {
		tm, err := Parse(s)
		if err != nil || tm.IsTable() {
			t.Errorf("Parse(%q): %v, table %v", s, err, tm.IsTable())
		}
	}
}

func TestLinesAndJSONLines(t *testing.T) {
	tm, _ := Parse(`{{.Name}}`)
	var buf bytes.Buffer
	if err := tm.Lines(&buf, []any{item{Name: "a"}, item{Name: "b"}}); err != nil || buf.String() != "a\nb\n" {
		t.Fatalf("Lines = %q, %v", buf.String(), err)
	}
	buf.Reset()
	if err := JSONLines(&buf, []any{map[string]string{"ID": "x&y"}, map[string]int{"N": 1}}); err != nil ||
		buf.String() != "{\"ID\":\"x&y\"}\n{\"N\":1}\n" {
		t.Fatalf("JSONLines = %q, %v", buf.String(), err)
	}
}

func TestEllipsis(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 20, "short"},
		{"exactly-twenty-chars", 20, "exactly-twenty-chars"},
		{"twenty-one-characters", 20, "twenty-one-characte…"},
		{"ünïcödé-ünïcödé", 5, "ünïc…"},
		{"x", 0, "x"},
	}
	for _, tt := range tests {
		if got := Ellipsis(tt.in, tt.n); got != tt.want {
			t.Errorf("Ellipsis(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

// FuzzParse: any --format text either parses or is refused with a
// one-line error; rendering never panics.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"{{.Name}}", "table {{.Name}}\\t{{json .Args}}", "{{", "{{join .Args}}", "table", `{{index .Labels "k"}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := Parse(s)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		if _, err := tm.Render(item{Name: "n", Args: []string{"a"}, Labels: map[string]string{"k": "v"}}); err != nil && strings.Contains(err.Error(), "\n") {
			t.Fatalf("multi-line error %q", err)
		}
	})
}
