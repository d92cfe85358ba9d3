package packets

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"
)

// Ethernet framing costs, in bytes.
const (
	// FCSLen is the length of the frame check sequence, which captures
	// usually omit.
	FCSLen = 4
	// PreambleLen is the preamble (7 bytes) and start frame delimiter (1).
	PreambleLen = 8
	// IFGLen is the minimum inter-frame gap.
	IFGLen = 12
	// WireOverhead is what every frame costs on the link besides its own
	// bytes: preamble, start frame delimiter and inter-frame gap.
	WireOverhead = PreambleLen + IFGLen
	// MinFrameLen is the minimum Ethernet frame including the FCS.
	MinFrameLen = 64
)

// WireBytes returns the link time one frame occupies, in byte times: the
// frame padded to the 64-byte minimum, plus the FCS unless frameLen already
// includes it, plus [WireOverhead]. A minimum-size frame (60 bytes in a
// capture without FCS) costs 84 byte times: 14.88 million frames/s at
// 10 Gbit/s.
func WireBytes(frameLen int, fcsIncluded bool) int {
	if !fcsIncluded {
		frameLen += FCSLen
	}
	return max(frameLen, MinFrameLen) + WireOverhead
}

// SizeBuckets are the upper bounds (inclusive) of the frame-size histogram
// buckets of [SizeSummary], in bytes including the FCS. They follow the RMON
// etherStats ranges (RFC 2819) with jumbo frames in a bucket of their own:
// runts, 64, 65–127, 128–255, 256–511, 512–1023, 1024–1518, 1519 and above.
var SizeBuckets = []int{63, 64, 127, 255, 511, 1023, 1518, math.MaxInt32}

// SizeBucket is one bucket of a frame-size histogram.
type SizeBucket struct {
	Lo, Hi int   // frame sizes including the FCS, both inclusive
	Count  int64 // number of frames
}

// String returns the bucket's range, such as "65-127" or "1519+".
func (b SizeBucket) String() string {
	switch {
	case b.Hi >= math.MaxInt32:
		return fmt.Sprintf("%d+", b.Lo)
	case b.Lo == b.Hi:
		return fmt.Sprint(b.Lo)
	}
	return fmt.Sprintf("%d-%d", b.Lo, b.Hi)
}

// SizeSummary describes the sizes of a trace's frames. Frame sizes are the
// frames' original lengths as captured (Packet.OrigLen), without the FCS
// unless the counter was told the capture includes it.
type SizeSummary struct {
	Packets       int64
	CapturedBytes int64 // bytes held by the capture
	FrameBytes    int64 // original frame lengths
	WireBytes     int64 // link time in byte times, see [WireBytes]
	Truncated     int64 // frames captured shorter than they were
	Min, Max      int   // frame lengths
	Mean          float64
	Median        float64
	P99           float64
	// Histogram counts frames by size including the FCS, in [SizeBuckets].
	Histogram []SizeBucket
}

// MeanWireBytes returns the mean link time of a frame in byte times.
func (s SizeSummary) MeanWireBytes() float64 {
	if s.Packets == 0 {
		return 0
	}
	return float64(s.WireBytes) / float64(s.Packets)
}

// LineRatePPS returns the packet rate that fills a link of bitsPerSecond with
// frames of this trace's size mix.
func (s SizeSummary) LineRatePPS(bitsPerSecond float64) float64 {
	if s.WireBytes == 0 {
		return 0
	}
	return bitsPerSecond / (8 * s.MeanWireBytes())
}

// SizeCounter accumulates a [SizeSummary] packet by packet, for traces
// streamed with [Reader].
type SizeCounter struct {
	// FCSIncluded tells that captured frames end with their FCS.
	FCSIncluded bool

	packets, captured, truncated int64
	counts                       map[int]int64 // frame length → frames
}

// Add counts one packet.
func (c *SizeCounter) Add(p *Packet) {
	c.AddLen(len(p.Data), p.OrigLen())
}

// AddLen counts one packet of capLen captured bytes from a frame of frameLen
// bytes.
func (c *SizeCounter) AddLen(capLen, frameLen int) {
	if c.counts == nil {
		c.counts = make(map[int]int64)
	}
	c.packets++
	c.captured += int64(capLen)
	if frameLen > capLen {
		c.truncated++
	}
	c.counts[max(frameLen, capLen)]++
}

// Summary returns the summary of the packets counted so far.
func (c *SizeCounter) Summary() SizeSummary {
	s := SizeSummary{Packets: c.packets, CapturedBytes: c.captured, Truncated: c.truncated}
	fcs := FCSLen
	if c.FCSIncluded {
		fcs = 0
	}
	s.Histogram = make([]SizeBucket, len(SizeBuckets))
	lo := 0
	for i, hi := range SizeBuckets {
		s.Histogram[i] = SizeBucket{Lo: lo, Hi: hi}
		lo = hi + 1
	}
	if c.packets == 0 {
		return s
	}

	// The distinct frame lengths, sorted and weighted by their counts, are
	// what gonum's statistics need.
	lens := make([]int, 0, len(c.counts))
	for l := range c.counts {
		lens = append(lens, l)
	}
	slices.Sort(lens)
	x := make([]float64, len(lens))
	w := make([]float64, len(lens))
	for i, l := range lens {
		n := c.counts[l]
		x[i], w[i] = float64(l), float64(n)
		s.FrameBytes += int64(l) * n
		s.WireBytes += int64(WireBytes(l, c.FCSIncluded)) * n
	}
	s.Min, s.Max = lens[0], lens[len(lens)-1]
	s.Mean = stat.Mean(x, w)
	s.Median = stat.Quantile(0.5, stat.Empirical, x, w)
	s.P99 = stat.Quantile(0.99, stat.Empirical, x, w)

	// Histogram of sizes including the FCS; gonum's dividers are lower
	// bounds, inclusive, and the last must exceed every value.
	withFCS := make([]float64, len(x))
	for i := range x {
		withFCS[i] = x[i] + float64(fcs)
	}
	dividers := make([]float64, 0, len(SizeBuckets)+1)
	dividers = append(dividers, math.Min(0, withFCS[0]))
	for _, hi := range SizeBuckets[:len(SizeBuckets)-1] {
		dividers = append(dividers, float64(hi+1))
	}
	dividers = append(dividers, math.Max(float64(math.MaxInt32), withFCS[len(withFCS)-1]+1))
	counts := stat.Histogram(nil, dividers, withFCS, w)
	for i := range counts {
		s.Histogram[i].Count = int64(counts[i])
	}
	return s
}

// SummarizeSizes summarises the sizes of packets captured without their FCS,
// the usual case; use a [SizeCounter] for captures that include it.
func SummarizeSizes(packets []Packet) SizeSummary {
	var c SizeCounter
	for i := range packets {
		c.Add(&packets[i])
	}
	return c.Summary()
}
