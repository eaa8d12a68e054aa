package main

import "testing"

func TestSuggest(t *testing.T) {
	known := []string{"run", "ps", "images", "inspect", "network", "rm", "rmi", "ls", "list", "exec", "logs"}
	for typed, want := range map[string]string{
		"rnu":     "run", // swapped letters
		"imgaes":  "images",
		"imagse":  "images",
		"inspekt": "inspect",
		"netwrok": "network",
		"lss":     "ls",
		"pss":     "ps",
		"exce":    "exec",
		"foo":     "", // nothing close
		"x":       "", // too short to guess
		"":        "",
		"stats":   "", // two edits from ps... but more than half of it
	} {
		if got := suggest(typed, known); got != want {
			t.Errorf("suggest(%q) = %q, want %q", typed, got, want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"run", "run", 0}, {"rnu", "run", 1}, {"run", "rm", 2}, {"", "abc", 3},
		{"kitten", "sitting", 3}, {"ab", "ba", 1},
	} {
		if got := editDistance(c.a, c.b); got != c.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func FuzzSuggest(f *testing.F) {
	f.Add("rnu")
	f.Add("ïmages")
	f.Fuzz(func(t *testing.T, typed string) {
		known := []string{"run", "images", "ps"}
		if s := suggest(typed, known); s != "" && editDistance(typed, s) > 2 {
			t.Fatalf("suggest(%q) = %q, more than two edits away", typed, s)
		}
	})
}
