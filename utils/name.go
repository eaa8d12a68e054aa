package utils

// IsName reports whether s is a name as Docker allows for containers and
// networks (and we for blog images and volumes): a letter or a digit,
// then letters, digits, '_', '.' and '-'. Callers add their own bounds on
// the length.
//
// It is a loop, not a regular expression: names are checked on the path
// of every run and exec (the name given, each record read), and a
// regular expression is compiled on its first use in each process.
func IsName(s string) bool {
	if s == "" || !isAlnum(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '_' && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
