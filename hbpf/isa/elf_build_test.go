package isa

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestTestdataReproducible rebuilds the committed BPF objects from their C
// sources in a temporary copy of each directory, with the directory's own
// Makefile, and requires identical bytes: the objects are what the sources
// say, and building them does not depend on where the tree is.
func TestTestdataReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("rebuilds the BPF objects with clang; skipped in -short mode")
	}
	for _, tool := range []string{"clang", "make"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found: install clang, llvm and libbpf-dev (Debian) to check the committed BPF objects", tool)
		}
	}
	out, err := exec.Command("clang", "--version").Output()
	if err != nil {
		t.Skipf("clang --version: %v", err)
	}
	have := strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])

	for _, dir := range []string{filepath.Dir(elfXDPDir), "testdata"} {
		objs, err := filepath.Glob(filepath.Join(dir, "*.o"))
		if err != nil {
			t.Fatal(err)
		}
		sub, err := filepath.Glob(filepath.Join(dir, "xdp", "*.o"))
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, sub...)
		if len(objs) == 0 {
			t.Fatalf("no objects in %s", dir)
		}

		// The compiler is named in the DWARF producer string; another clang
		// makes other bytes, which says nothing about the sources.
		committed, err := os.ReadFile(objs[0])
		if err != nil {
			t.Fatal(err)
		}
		if built := regexp.MustCompile(`[A-Z][A-Za-z]* clang version [^\x00]*|clang version [^\x00]*`).Find(committed); !strings.HasPrefix(have, string(built)) {
			t.Skipf("the objects in %s were built with %q, this machine has %q: rebuild them with make to compare", dir, built, have)
		}

		tmp := t.TempDir()
		copyTree(t, dir, tmp)
		cmd := exec.Command("make", "-s", "-B", "-C", tmp)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("make in a copy of %s: %v\n%s", dir, err, out)
		}
		for _, obj := range objs {
			rel, _ := filepath.Rel(dir, obj)
			want, err := os.ReadFile(obj)
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(filepath.Join(tmp, rel))
			if err != nil {
				t.Errorf("%s was not rebuilt: %v", obj, err)
				continue
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from a fresh build (%d bytes, committed %d): rebuild with make -C %s and commit", obj, len(got), len(want), dir)
			}
		}
	}
}

// copyTree copies the Makefile, C sources and headers of dir (and of its
// subdirectories) to dst.
func copyTree(t *testing.T, dir, dst string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		switch filepath.Ext(path) {
		case ".c", ".h":
		default:
			if d.Name() != "Makefile" {
				return nil
			}
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
