package cosim

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/hbpf/hbpf/hbpf/rtl"
	"github.com/hbpf/hbpf/testbench"
	"github.com/hbpf/hbpf/verilator"
)

// ErrNoVerilator is returned by Build when verilator or make is not installed.
var ErrNoVerilator = errors.New("verilator not found (Debian: apt-get install verilator)")

// BuildConfig says what to build.
type BuildConfig struct {
	RTL      rtl.Config // the core
	Trace    bool       // build with VCD tracing (for --vcd)
	CacheDir string     // default: $XDG_CACHE_HOME/hbpf/verilator or ~/.cache/hbpf/verilator
	Log      io.Writer  // build output; default discarded
	Jobs     int        // parallel compile jobs; default 2
}

// Model is a built Verilator model of one core configuration.
type Model struct {
	Dir      string        // build directory
	Binary   string        // the harness executable
	Config   rtl.Config    // the core it models
	Cached   bool          // found already built
	Duration time.Duration // time spent building (or finding) it
}

// Available reports why Build cannot work on this machine, or nil.
func Available() error {
	for _, tool := range []string{"verilator", "make"} {
		if _, err := exec.LookPath(tool); err != nil {
			if tool == "verilator" {
				return ErrNoVerilator
			}
			return fmt.Errorf("%s not found: %w", tool, err)
		}
	}
	return nil
}

var (
	versionOnce sync.Once
	versionText string
	versionErr  error
)

func verilatorVersion() (string, error) {
	versionOnce.Do(func() {
		out, err := exec.Command("verilator", "--version").Output()
		versionText, versionErr = string(bytes.TrimSpace(out)), err
	})
	return versionText, versionErr
}

// CacheDir returns the default directory of built models.
func CacheDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("cache directory: %w", err)
	}
	return filepath.Join(base, "hbpf", "verilator"), nil
}

// Build generates the RTL for cfg.RTL and verilates it, or finds the model
// already built.
func Build(ctx context.Context, cfg BuildConfig) (*Model, error) {
	t0 := time.Now()
	if err := Available(); err != nil {
		return nil, err
	}
	files, err := rtl.Generate(cfg.RTL)
	if err != nil {
		return nil, fmt.Errorf("generate rtl: %w", err)
	}
	ver, err := verilatorVersion()
	if err != nil {
		return nil, fmt.Errorf("verilator --version: %w", err)
	}
	jobs := cfg.Jobs
	if jobs <= 0 {
		jobs = 2
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00trace=%v\x00", rtl.Hash(files), ver, cfg.Trace)
	h.Write(testbench.Harness)
	h.Write(verilator.Makefile)
	key := hex.EncodeToString(h.Sum(nil))[:20]

	root := cfg.CacheDir
	if root == "" {
		if root, err = CacheDir(); err != nil {
			return nil, err
		}
	}
	dir := filepath.Join(root, key)
	m := &Model{Dir: dir, Binary: filepath.Join(dir, "obj", "hbpf_tb"), Config: cfg.RTL}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("build model: %w", err)
	}
	unlock, err := lockFile(dir + ".lock")
	if err != nil {
		return nil, err
	}
	defer unlock()
	if _, err := os.Stat(m.Binary); err == nil {
		m.Cached, m.Duration = true, time.Since(t0)
		return m, nil
	}
	_ = os.RemoveAll(dir)
	rtlDir, tbDir := filepath.Join(dir, "rtl"), filepath.Join(dir, "testbench")
	if err := rtl.Write(rtlDir, files); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(tbDir, 0o755); err != nil {
		return nil, fmt.Errorf("build model: %w", err)
	}
	if err := os.WriteFile(filepath.Join(tbDir, "hbpf_tb.cpp"), testbench.Harness, 0o644); err != nil {
		return nil, fmt.Errorf("build model: %w", err)
	}
	mk := filepath.Join(dir, "Makefile")
	if err := os.WriteFile(mk, verilator.Makefile, 0o644); err != nil {
		return nil, fmt.Errorf("build model: %w", err)
	}
	args := []string{"-f", mk, "RTL=rtl", "BUILD=obj", "TB=testbench", fmt.Sprintf("JOBS=%d", jobs)}
	if cfg.Trace {
		args = append(args, "TRACE=1")
	}
	cmd := exec.CommandContext(ctx, "make", args...)
	cmd.Dir = dir
	var out bytes.Buffer
	w := io.Writer(&out)
	if cfg.Log != nil {
		w = io.MultiWriter(&out, cfg.Log)
	}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Run(); err != nil {
		_ = os.RemoveAll(dir)
		tail := out.Bytes()
		if len(tail) > 4000 {
			tail = tail[len(tail)-4000:]
		}
		return nil, fmt.Errorf("verilate %s: %w\n%s", dir, err, tail)
	}
	m.Duration = time.Since(t0)
	return m, nil
}

// lockFile takes an exclusive lock on path, for builds running in parallel
// (go test runs packages at once).
func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
