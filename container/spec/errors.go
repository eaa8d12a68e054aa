package spec

import (
	"errors"

	"mydocker/constant"
)

// ExitError is a failure with the exit code mydocker ends with: 125 when
// mydocker itself failed, 126 or 127 when the command could not be run
// (init sends these to the host as MsgError), or a container command's
// own code, passed on silently when Err is nil.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return ""
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// ExitCode is the code mydocker ends with for err: an ExitError's, else
// constant.ExitMydocker.
func ExitCode(err error) int {
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	var coded interface{ ExitCode() int }
	if errors.As(err, &coded) {
		return coded.ExitCode()
	}
	return constant.ExitMydocker
}
