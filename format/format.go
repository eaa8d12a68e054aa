// Package format renders command output through Go templates as Docker's
// --format does: the same template functions, the `table` prefix that adds
// a header row and aligns columns, and `json` for one object per line.
package format

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
	"text/tabwriter"
	"text/template"
	"unicode"
	"unicode/utf8"

	"github.com/pkg/errors"
)

// The special --format values every listing command takes.
const (
	TableKey = "table" // a header row and aligned columns
	JSONKey  = "json"  // one JSON object per line
)

// Funcs are the template functions Docker's templates have, beside Go's
// built-ins (println, printf, index, len, ...).
var Funcs = template.FuncMap{
	"json":     jsonString,
	"join":     join,
	"split":    strings.Split,
	"lower":    strings.ToLower,
	"upper":    strings.ToUpper,
	"title":    title,
	"pad":      pad,
	"truncate": truncate,
}

// jsonString is {{json .}}: compact JSON without HTML escaping (a command
// line with && stays readable), with no trailing newline.
func jsonString(v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

// join joins any list, not only []string: a template run on decoded JSON
// (see Execute) holds lists as []any.
func join(list any, sep string) (string, error) {
	v := reflect.ValueOf(list)
	if !v.IsValid() {
		return "", nil
	}
	if v.Kind() != reflect.Slice && v.Kind() != reflect.Array {
		return "", errors.Errorf("join: want a list, got %T", list)
	}
	parts := make([]string, v.Len())
	for i := range parts {
		parts[i] = fmt.Sprint(v.Index(i).Interface())
	}
	return strings.Join(parts, sep), nil
}

// title upper-cases the first letter of every word, leaving the rest as
// written, as Docker's title.
func title(s string) string {
	out := []rune(s)
	start := true
	for i, r := range out {
		if start && unicode.IsLetter(r) {
			out[i] = unicode.ToTitle(r)
		}
		start = !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\''
	}
	return string(out)
}

// pad surrounds s with spaces, as Docker's pad.
func pad(s string, before, after int) string {
	if before < 0 || after < 0 {
		return s
	}
	return strings.Repeat(" ", before) + s + strings.Repeat(" ", after)
}

// truncate cuts s to n characters.
func truncate(s string, n int) string {
	if n < 0 || utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// Ellipsis shortens s to at most n characters, marking the cut with "…",
// as Docker's ps does with commands.
func Ellipsis(s string, n int) string {
	if n <= 0 || utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// Template is a parsed --format value.
type Template struct {
	tmpl  *template.Template
	table bool
}

// Error is a --format that cannot be parsed or run on the data: the
// user's mistake, reported in one line.
type Error struct{ Err error }

func (e *Error) Error() string {
	// text/template's messages are one line; a template that spans lines
	// is quoted in them as written, so its newlines are shown escaped.
	return "invalid --format: " + strings.ReplaceAll(e.Err.Error(), "\n", `\n`)
}

func (e *Error) Unwrap() error { return e.Err }

// Parse reads a Go template. A leading "table " asks for a header row and
// aligned columns; the escapes \t and \n stand for a tab and a newline,
// as Docker reads them (shells rarely pass real tabs).
func Parse(text string) (*Template, error) {
	t := &Template{}
	if text == TableKey || strings.HasPrefix(text, TableKey+" ") {
		t.table = true
		text = strings.TrimPrefix(text, TableKey)
	}
	text = strings.Trim(text, " ")
	text = strings.NewReplacer(`\t`, "\t", `\n`, "\n").Replace(text)
	tmpl, err := template.New("").Funcs(Funcs).Parse(text)
	if err != nil {
		return nil, &Error{Err: err}
	}
	t.tmpl = tmpl
	return t, nil
}

// IsTable reports whether the template asked for a table.
func (t *Template) IsTable() bool { return t.table }

// Empty reports whether the template has nothing in it, as "table" alone:
// the command then uses its own default columns.
func (t *Template) Empty() bool {
	return t.tmpl.Tree == nil || t.tmpl.Tree.Root == nil || len(t.tmpl.Tree.Root.Nodes) == 0
}

// Render executes the template on data. A field the data's type lacks is
// tried again on data's JSON form, so `{{.Config.Labels.x}}` and
// `{{index .State "Pid"}}` work as on Docker's JSON; if that fails too the
// first error is the one reported. Nothing is written on error.
func (t *Template) Render(data any) (string, error) {
	var buf bytes.Buffer
	err := t.tmpl.Execute(&buf, data)
	if err == nil {
		return buf.String(), nil
	}
	if raw, jerr := asJSONValue(data); jerr == nil {
		buf.Reset()
		strict, cerr := t.tmpl.Clone()
		if cerr == nil && strict.Option("missingkey=error").Execute(&buf, raw) == nil {
			return buf.String(), nil
		}
	}
	return "", &Error{Err: err}
}

// asJSONValue is v as encoding/json decodes its encoding: maps, lists,
// strings, float64s and bools.
func asJSONValue(v any) (any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber() // a pid or a size prints as written, not as 1.2e+06
	return out, d.Decode(&out)
}

// Lines renders the template once per item, each result on its own line,
// as inspect -f and ps --format without table do. Nothing is written if
// any item fails.
func (t *Template) Lines(w io.Writer, items []any) error {
	var out strings.Builder
	for _, it := range items {
		s, err := t.Render(it)
		if err != nil {
			return err
		}
		out.WriteString(s)
		out.WriteByte('\n')
	}
	_, err := io.WriteString(w, out.String())
	return errors.Wrap(err, "write output")
}

// Table renders header (the data whose fields are the column titles)
// then every item, with tab-separated cells aligned as Docker aligns them.
func (t *Template) Table(w io.Writer, header any, items []any) error {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 10, 1, 3, ' ', 0)
	for _, it := range append([]any{header}, items...) {
		s, err := t.Render(it)
		if err != nil {
			return err
		}
		fmt.Fprintln(tw, s)
	}
	if err := tw.Flush(); err != nil {
		return errors.Wrap(err, "format table")
	}
	_, err := w.Write(buf.Bytes())
	return errors.Wrap(err, "write output")
}

// JSONLines writes each item as one compact JSON object per line.
func JSONLines(w io.Writer, items []any) error {
	var out strings.Builder
	for _, it := range items {
		s, err := jsonString(it)
		if err != nil {
			return errors.Wrap(err, "encode output")
		}
		out.WriteString(s)
		out.WriteByte('\n')
	}
	_, err := io.WriteString(w, out.String())
	return errors.Wrap(err, "write output")
}
