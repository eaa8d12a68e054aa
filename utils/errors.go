package utils

import "fmt"

// JoinCleanup adds a failed cleanup to the error that caused it. The
// cause comes first, as the user needs it, and the result stays one line
// (the contract's errors are one line, which errors.Join's are not);
// both errors remain reachable through errors.Is and errors.As.
func JoinCleanup(cause error, cleanup string, err error) error {
	if err == nil {
		return cause
	}
	return fmt.Errorf("%w (and %s failed: %w)", cause, cleanup, err)
}
