package maps

import (
	"github.com/cilium/ebpf"

	"github.com/hbpf/hbpf/hbpf/isa"
)

// Queue is a QUEUE (FIFO) or STACK (LIFO) map, used by bpf_map_push_elem,
// bpf_map_pop_elem and bpf_map_peek_elem. Keys are empty. Values live in a
// ring of MaxEntries slots; the programs only ever get copies.
type Queue struct {
	base
	stack bool
	head  int // next slot to write
	tail  int // oldest element
	count int
}

func newQueue(s *isa.MapSpec) *Queue {
	return &Queue{base: newBase(s, int(s.MaxEntries)), stack: s.Type == ebpf.Stack}
}

// Lookup always returns -1: programs read queues with PeekValue and Pop.
func (q *Queue) Lookup([]byte) int { return -1 }

// Peek always returns -1; see PeekValue.
func (q *Queue) Peek([]byte) int { return -1 }

// Update pushes value, as the bpf(2) syscall does for queues and stacks.
func (q *Queue) Update(key, value []byte, flags uint64) error {
	if err := q.checkKV(opPush, key, value); err != nil {
		return err
	}
	return q.Push(value, flags)
}

// Delete fails with ErrInvalid, as in the kernel.
func (q *Queue) Delete([]byte) error {
	return q.errs.wrap(opDelete, ErrInvalid)
}

// Push is bpf_map_push_elem: flags BPF_NOEXIST or beyond BPF_EXIST are
// -EINVAL; a full map is -E2BIG unless flags is BPF_EXIST, which drops the
// oldest element (for a stack too) to make room.
func (q *Queue) Push(value []byte, flags uint64) error {
	if len(value) != q.valueSize {
		return q.errs.argError(opPush, "value is %d bytes, want %d", len(value), q.valueSize)
	}
	if flags&UpdateNoExist != 0 || flags > UpdateExist {
		return q.errs.wrap(opPush, ErrInvalid)
	}
	if q.count == q.max {
		if flags != UpdateExist {
			return q.errs.wrap(opPush, ErrFull)
		}
		q.tail = (q.tail + 1) % q.max
		q.count--
	}
	copy(q.value(q.head), value)
	q.head = (q.head + 1) % q.max
	q.count++
	return nil
}

// top returns the slot Pop and PeekValue read: the oldest element of a queue,
// the newest of a stack.
func (q *Queue) top() int {
	if q.stack {
		return (q.head - 1 + q.max) % q.max
	}
	return q.tail
}

// Pop is bpf_map_pop_elem: it copies the next element into dst and removes
// it; an empty map is -ENOENT.
func (q *Queue) Pop(dst []byte) error {
	if len(dst) != q.valueSize {
		return q.errs.argError(opPop, "buffer is %d bytes, want %d", len(dst), q.valueSize)
	}
	if q.count == 0 {
		return q.errs.wrap(opPop, ErrKeyNotExist)
	}
	copy(dst, q.value(q.top()))
	if q.stack {
		q.head = q.top()
	} else {
		q.tail = (q.tail + 1) % q.max
	}
	q.count--
	return nil
}

// PeekValue is bpf_map_peek_elem: it copies the next element into dst
// without removing it; an empty map is -ENOENT.
func (q *Queue) PeekValue(dst []byte) error {
	if len(dst) != q.valueSize {
		return q.errs.argError(opPeek, "buffer is %d bytes, want %d", len(dst), q.valueSize)
	}
	if q.count == 0 {
		return q.errs.wrap(opPeek, ErrKeyNotExist)
	}
	copy(dst, q.value(q.top()))
	return nil
}

// Len returns the number of elements.
func (q *Queue) Len() int { return q.count }

// Entries returns the elements in the order Pop would return them, with
// empty keys.
func (q *Queue) Entries() []isa.MapKV {
	kvs := make([]isa.MapKV, q.count)
	for i := range kvs {
		var s int
		if q.stack {
			s = (q.head - 1 - i + 2*q.max) % q.max
		} else {
			s = (q.tail + i) % q.max
		}
		kvs[i] = isa.MapKV{Key: []byte{}, Value: clone(q.value(s))}
	}
	return kvs
}
