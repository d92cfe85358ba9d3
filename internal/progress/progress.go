// Package progress draws a one-line progress bar on a terminal. On anything
// that is not a terminal (a file, a pipe, CI logs) it stays silent.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Bar is a progress bar for a known or unknown total.
type Bar struct {
	w     io.Writer
	label string
	total int64 // 0 if unknown
	n     int64
	start time.Time
	last  time.Time
	on    bool
}

// IsTerminal reports whether f is a character device (a terminal).
func IsTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// New returns a bar drawing on f when f is a terminal. total may be 0 (unknown).
func New(f *os.File, label string, total int64) *Bar {
	return &Bar{w: f, label: label, total: total, start: time.Now(), on: IsTerminal(f)}
}

// Add advances the bar by n, redrawing at most ten times a second.
func (b *Bar) Add(n int64) {
	b.n += n
	if !b.on {
		return
	}
	if now := time.Now(); now.Sub(b.last) >= 100*time.Millisecond {
		b.last = now
		b.draw()
	}
}

func (b *Bar) draw() {
	el := time.Since(b.start).Seconds()
	rate := 0.0
	if el > 0 {
		rate = float64(b.n) / el
	}
	if b.total > 0 {
		const width = 30
		frac := float64(b.n) / float64(b.total)
		if frac > 1 {
			frac = 1
		}
		fill := int(frac * width)
		fmt.Fprintf(b.w, "\r%s [%s%s] %3.0f%% %d/%d %.0f/s ", b.label, strings.Repeat("=", fill), strings.Repeat(" ", width-fill), frac*100, b.n, b.total, rate)
		return
	}
	fmt.Fprintf(b.w, "\r%s %d %.0f/s ", b.label, b.n, rate)
}

// Done draws the final state and ends the line.
func (b *Bar) Done() {
	if !b.on {
		return
	}
	b.draw()
	fmt.Fprintln(b.w)
}
