package maps

import (
	"errors"
	"fmt"
)

// Linux errno values, independent of the host the simulator runs on.
const (
	errnoENOENT     = 2
	errnoE2BIG      = 7
	errnoEAGAIN     = 11
	errnoENOMEM     = 12
	errnoEBUSY      = 16
	errnoEEXIST     = 17
	errnoENODEV     = 19
	errnoEINVAL     = 22
	errnoENOSPC     = 28
	errnoEOVERFLOW  = 75
	errnoEOPNOTSUPP = 95
)

// Error is the type of this package's sentinel errors. Each carries the
// errno the kernel returns for the same condition; see [Errno].
type Error struct {
	msg   string
	errno int64
	idx   int
}

func (e *Error) Error() string { return e.msg }

// Errno returns the positive Linux errno of e.
func (e *Error) Errno() int64 { return e.errno }

var sentinels []*Error

func newError(msg string, errno int64) *Error {
	e := &Error{msg: msg, errno: errno, idx: len(sentinels)}
	sentinels = append(sentinels, e)
	return e
}

// Sentinel errors. Operations return them wrapped with the map's name and the
// operation; test with errors.Is and convert with [Errno].
var (
	// ErrKeyNotExist: no entry for the key (-ENOENT).
	ErrKeyNotExist = newError("key does not exist", errnoENOENT)
	// ErrKeyExist: BPF_NOEXIST and the key is present (-EEXIST).
	ErrKeyExist = newError("key already exists", errnoEEXIST)
	// ErrFull: a hash-like map or a queue is full (-E2BIG).
	ErrFull = newError("map is full", errnoE2BIG)
	// ErrIndexOutOfRange: an array index is not below MaxEntries on update
	// (-E2BIG, as the kernel returns it).
	ErrIndexOutOfRange = newError("index out of range", errnoE2BIG)
	// ErrNoSpace: an LPM trie is full (-ENOSPC).
	ErrNoSpace = newError("no space left in trie", errnoENOSPC)
	// ErrInvalid: bad flags, bad key or value, or an operation the map type
	// rejects with -EINVAL (such as deleting from an array).
	ErrInvalid = newError("invalid argument", errnoEINVAL)
	// ErrNotSupported: the map type has no such operation (-EOPNOTSUPP);
	// also returned by [New] for unsupported map types.
	ErrNotSupported = newError("operation not supported", errnoEOPNOTSUPP)
	// ErrAgain: a ring buffer has no room for a record (-EAGAIN).
	ErrAgain = newError("no room in ring buffer", errnoEAGAIN)
	// ErrOverflow: a CPUMAP queue size above the kernel's limit (-EOVERFLOW).
	ErrOverflow = newError("value too large", errnoEOVERFLOW)
	// ErrNoMemory: allocation failure (-ENOMEM). The maps of this package
	// preallocate and never return it; it is here for the runtime's helpers.
	ErrNoMemory = newError("out of memory", errnoENOMEM)
	// ErrBusy: resource busy (-EBUSY). The maps of this package never
	// contend; it is here for the runtime's helpers (e.g. re-entrancy).
	ErrBusy = newError("resource busy", errnoEBUSY)
	// ErrNoDevice: no such device (-ENODEV). Not returned by this package,
	// which does not model the host's CPUs and devices; for the runtime.
	ErrNoDevice = newError("no such device", errnoENODEV)
)

// Errno converts an error returned by this package into the value a BPF helper
// returns: 0 for nil, the negative errno of the wrapped sentinel, or -EINVAL
// for any other error.
func Errno(err error) int64 {
	if err == nil {
		return 0
	}
	var e *Error
	if errors.As(err, &e) {
		return -e.errno
	}
	return -errnoEINVAL
}

// opError is a sentinel wrapped with the map and the operation.
type opError struct {
	mapName string
	op      string
	err     *Error
}

func (e *opError) Error() string {
	return fmt.Sprintf("map %s: %s: %s", e.mapName, e.op, e.err.msg)
}

func (e *opError) Unwrap() error { return e.err }

// Operations, for error context.
type op uint8

const (
	opUpdate op = iota
	opDelete
	opPush
	opPop
	opPeek
	opOutput
	opSubmit
	opDiscard
	opCount
)

var opNames = [opCount]string{"update", "delete", "push", "pop", "peek", "output", "submit", "discard"}

// errTable caches wrapped errors per map so that per-packet failures, such as
// an update with BPF_NOEXIST of a key that exists, do not allocate.
type errTable struct {
	name string
	t    [opCount][]error
}

func (t *errTable) wrap(o op, e *Error) error {
	if t.t[o] == nil {
		t.t[o] = make([]error, len(sentinels))
	}
	p := &t.t[o][e.idx]
	if *p == nil {
		*p = &opError{mapName: t.name, op: opNames[o], err: e}
	}
	return *p
}

// argError reports a caller mistake (wrong key or value size): it allocates,
// as it does not happen with a correct runtime.
func (t *errTable) argError(o op, format string, args ...any) error {
	return fmt.Errorf("map %s: %s: %s: %w", t.name, opNames[o], fmt.Sprintf(format, args...), ErrInvalid)
}
