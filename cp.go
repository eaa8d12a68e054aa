package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/pkg/errors"
	"github.com/urfave/cli"
	"golang.org/x/sys/unix"

	"mydocker/container"
	"mydocker/image"
)

var cpCommand = cli.Command{
	Name:  "cp",
	Usage: "copy files between a container (running or not) and the host",
	ArgsUsage: "CONTAINER:SRC DEST|-\n" +
		"   mydocker cp [-a] SRC|- CONTAINER:DEST",
	Description: `As docker cp: a directory is copied whole (SRC/. copies its contents); a
   DEST that exists as a directory receives SRC inside it, otherwise SRC is
   copied to the name DEST. "-" is a tar stream on stdin or stdout. Symlinks
   are copied as symlinks. Files get the destination user's owner (root in the
   container, you on the host) unless -a keeps the source's uid and gid.`,
	Flags: []cli.Flag{
		cli.BoolFlag{Name: "a, archive", Usage: "keep the source's owners (uid:gid)"},
	},
	Action: cpAction,
}

// cpEnd is one side of cp: a container path or a host path.
type cpEnd struct {
	container string // "" on the host
	path      string
}

// parseCpArg splits "CONTAINER:PATH" as Docker does: a colon before any
// slash names a container; a host path with a colon is written ./a:b.
func parseCpArg(arg string) cpEnd {
	if arg == "-" || strings.HasPrefix(arg, "/") || strings.HasPrefix(arg, ".") {
		return cpEnd{path: arg}
	}
	c, p, ok := strings.Cut(arg, ":")
	if !ok || c == "" || strings.Contains(c, "/") {
		return cpEnd{path: arg}
	}
	return cpEnd{container: c, path: p}
}

func cpAction(ctx *cli.Context) error {
	if ctx.NArg() != 2 {
		return errors.New(`"cp" requires exactly 2 arguments: CONTAINER:SRC DEST or SRC CONTAINER:DEST`)
	}
	src, dst := parseCpArg(ctx.Args()[0]), parseCpArg(ctx.Args()[1])
	switch {
	case src.container != "" && dst.container != "":
		return errors.New("cp: copying between containers is not supported")
	case src.container == "" && dst.container == "":
		return errors.New("cp: one of SRC and DEST must be CONTAINER:PATH")
	case src.path == "" || dst.path == "":
		return errors.New("cp: a path must not be empty")
	}
	store := container.NewStore(root(ctx))
	keep := ctx.Bool("archive")
	if src.container != "" {
		id, err := store.Resolve(src.container)
		if err != nil {
			return err
		}
		return store.WithFS(id, func(fs *container.FS) error { return copyOut(fs, src.path, dst.path, keep) })
	}
	id, err := store.Resolve(dst.container)
	if err != nil {
		return err
	}
	return store.WithFS(id, func(fs *container.FS) error { return copyIn(fs, src.path, dst.path, keep) })
}

// contentsOnly: "dir/." copies what is in dir, not dir itself.
func contentsOnly(p string) bool { return p == "." || strings.HasSuffix(p, "/.") }

// copyOut copies container path src to host path dst ("-": stdout).
func copyOut(fs *container.FS, src, dst string, keep bool) error {
	pl, err := fs.Locate(src)
	if err != nil {
		return err
	}
	parent, base, err := pl.OpenParent()
	if err != nil {
		return errors.Wrapf(err, "%s in the container", src)
	}
	defer parent.Close()
	srcIsDir, err := isDirAt(parent, base)
	if err != nil {
		return errors.Wrapf(err, "%s in the container", src)
	}
	if dst == "-" {
		return image.PackEntry(os.Stdout, int(parent.Fd()), base, nameOf(src, base), false)
	}
	fi, statErr := os.Stat(dst)
	exists := statErr == nil
	target, as, err := cpTarget(src, dst, srcIsDir, exists, exists && fi.IsDir(), base)
	if err != nil {
		return err
	}
	if contentsOnly(src) && !exists {
		if err := os.Mkdir(dst, 0o755); err != nil {
			return errors.Wrap(err, "cp")
		}
	}
	owner := &image.Owner{UID: os.Getuid(), GID: os.Getgid()}
	if keep {
		owner = nil
	}
	return pipeCopy(func(w io.Writer) error {
		return image.PackEntry(w, int(parent.Fd()), base, as, contentsOnly(src))
	}, func(r io.Reader) error { return extract(r, target, owner) })
}

// copyIn copies host path src ("-": a tar stream on stdin) to container
// path dst.
func copyIn(fs *container.FS, src, dst string, keep bool) error {
	pl, err := fs.Locate(dst)
	if err != nil {
		return err
	}
	if pl.ReadOnly {
		return errors.Errorf("cp: %s is on a read-only file system in the container", dst)
	}
	exists, isDir, err := pl.Stat()
	if err != nil {
		return errors.Wrapf(err, "%s in the container", dst)
	}
	owner := &image.Owner{}
	if keep {
		owner = nil
	}
	if src == "-" {
		if !exists || !isDir {
			return errors.Errorf("cp: %s is not a directory in the container", dst)
		}
		d, err := pl.OpenDir()
		if err != nil {
			return err
		}
		defer d.Close()
		return extract(os.Stdin, container.FdPath(d), owner)
	}
	srcDir, base := filepath.Split(filepath.Clean(src))
	if srcDir == "" {
		srcDir = "."
	}
	if contentsOnly(src) {
		srcDir, base = filepath.Dir(filepath.Clean(src)), filepath.Base(filepath.Clean(src))
		if base == "." || filepath.Clean(src) == "." {
			srcDir, base = filepath.Clean(src), "."
		}
	}
	parent, err := os.Open(srcDir)
	if err != nil {
		return errors.Wrap(err, "cp")
	}
	defer parent.Close()
	srcIsDir, err := isDirAt(parent, base)
	if err != nil {
		return errors.Wrapf(err, "cp %s", src)
	}
	_, as, err := cpTarget(src, dst, srcIsDir, exists, isDir, base)
	if err != nil {
		return err
	}
	// Where to extract: dst itself if it is a directory (or is made one
	// for "src/."), else the directory that holds it.
	into := pl
	if !(exists && isDir) {
		if contentsOnly(src) {
			d, b, err := pl.OpenParent()
			if err != nil {
				return errors.Wrapf(err, "%s in the container", dst)
			}
			err = unix.Mkdirat(int(d.Fd()), b, 0o755)
			d.Close()
			if err != nil {
				return errors.Wrapf(err, "create %s in the container", dst)
			}
		} else {
			into.Rel = filepath.Dir(pl.Rel)
			if into.Rel == "." {
				into.Rel = ""
			}
		}
	}
	d, err := into.OpenDir()
	if err != nil {
		return errors.Wrapf(err, "%s in the container", filepath.Dir(dst))
	}
	defer d.Close()
	return pipeCopy(func(w io.Writer) error {
		return image.PackEntry(w, int(parent.Fd()), base, as, contentsOnly(src))
	}, func(r io.Reader) error { return extract(r, container.FdPath(d), owner) })
}

// cpTarget applies Docker's rules: SRC into an existing directory DST
// keeps its name; otherwise it takes DST's name, in DST's parent. It
// returns the host directory to extract into (copyOut) and the name.
func cpTarget(src, dst string, srcIsDir, exists, isDir bool, base string) (string, string, error) {
	switch {
	case strings.HasSuffix(dst, "/") && !exists:
		return "", "", errors.Errorf("cp: no such directory: %s", dst)
	case srcIsDir && exists && !isDir:
		return "", "", errors.Errorf("cp: cannot copy directory %s onto file %s", src, dst)
	case contentsOnly(src) && !srcIsDir:
		return "", "", errors.Errorf("cp: %s: not a directory", src)
	case contentsOnly(src):
		return dst, ".", nil
	case exists && isDir:
		return dst, nameOf(src, base), nil
	}
	return filepath.Dir(filepath.Clean(dst)), filepath.Base(filepath.Clean(dst)), nil
}

// nameOf is the name a copied path keeps: its last element ("/" has none:
// its contents are copied).
func nameOf(p, base string) string {
	if base == "." || base == "" || base == "/" {
		return "."
	}
	return base
}

func isDirAt(dir *os.File, name string) (bool, error) {
	var st unix.Stat_t
	if err := unix.Fstatat(int(dir.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return false, err
	}
	return st.Mode&unix.S_IFMT == unix.S_IFDIR, nil
}

func extract(r io.Reader, dir string, owner *image.Owner) error {
	limit, err := image.MaxSize()
	if err != nil {
		return err
	}
	return image.Extract(r, dir, limit, owner)
}

// pipeCopy streams what pack writes into unpack; the first error wins.
func pipeCopy(pack func(io.Writer) error, unpack func(io.Reader) error) error {
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := pack(pw)
		pw.CloseWithError(err)
		done <- err
	}()
	uerr := unpack(pr)
	pr.CloseWithError(errors.New("cp: the destination stopped reading"))
	perr := <-done
	if perr != nil {
		return perr
	}
	return uerr
}
