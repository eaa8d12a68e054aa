package kube

import (
	"os"

	"github.com/pkg/errors"
	corev1 "k8s.io/api/core/v1"
)

// PrepareHostPath checks a hostPath volume's path on the host as its
// type says, creating it for DirectoryOrCreate (mode 0755, parents too)
// and FileOrCreate (an empty file, mode 0644), as the kubelet does.
func PrepareHostPath(p string, typ corev1.HostPathType) error {
	fi, err := os.Stat(p)
	if os.IsNotExist(err) {
		switch typ {
		case corev1.HostPathUnset:
			return nil // no check: the bind mount says what is wrong
		case corev1.HostPathDirectoryOrCreate:
			return errors.Wrapf(os.MkdirAll(p, 0o755), "hostPath %s", p)
		case corev1.HostPathFileOrCreate:
			f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
			if err != nil {
				return errors.Wrapf(err, "hostPath %s", p)
			}
			return errors.Wrapf(f.Close(), "hostPath %s", p)
		}
		return errors.Errorf("hostPath %s (type %s) does not exist", p, typ)
	}
	if err != nil {
		return errors.Wrapf(err, "hostPath %s", p)
	}
	var ok bool
	m := fi.Mode()
	switch typ {
	case corev1.HostPathUnset:
		ok = true
	case corev1.HostPathDirectoryOrCreate, corev1.HostPathDirectory:
		ok = m.IsDir()
	case corev1.HostPathFileOrCreate, corev1.HostPathFile:
		ok = m.IsRegular()
	case corev1.HostPathSocket:
		ok = m&os.ModeSocket != 0
	case corev1.HostPathCharDev:
		ok = m&os.ModeCharDevice != 0
	case corev1.HostPathBlockDev:
		ok = m&os.ModeDevice != 0 && m&os.ModeCharDevice == 0
	}
	if !ok {
		return errors.Errorf("hostPath %s is not of type %s", p, typ)
	}
	return nil
}
