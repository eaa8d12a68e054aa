package utils

// IsLowerHex reports whether s is n lowercase hexadecimal digits, with
// min <= n <= max: the form of IDs and their prefixes. A loop, where a
// regular expression such as ^[0-9a-f]{64}$ compiles into a program of
// 64 steps at its first use in every process.
func IsLowerHex(s string, min, max int) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
