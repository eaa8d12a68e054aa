package prestart

// For prestart_test, which checks them against their owners.
const (
	InitCommandForTest     = initCommand
	LogArgForTest          = logArg
	InsideNameForTest      = insideName
	FreshNamespacesForTest = uintptr(freshNamespaces)
)
