package packets

import (
	"math"
	"testing"
)

func TestWireBytes(t *testing.T) {
	for _, tc := range []struct {
		frame int
		fcs   bool
		want  int
	}{
		{60, false, 84},
		{64, true, 84},
		{0, false, 84},
		{14, false, 84},
		{61, false, 85},
		{1514, false, 1538},
		{1518, true, 1538},
		{9014, false, 9038},
	} {
		if got := WireBytes(tc.frame, tc.fcs); got != tc.want {
			t.Errorf("WireBytes(%d, %v) = %d, want %d", tc.frame, tc.fcs, got, tc.want)
		}
	}
}

func TestSummarizeSizes(t *testing.T) {
	mk := func(capLen, length int) Packet { return Packet{Data: make([]byte, capLen), Length: length} }
	ps := []Packet{mk(20, 20), mk(60, 60), mk(60, 0), mk(100, 100), mk(96, 1514), mk(566, 566), mk(1514, 1514), mk(9014, 9014)}
	s := SummarizeSizes(ps)
	if s.Packets != 8 || s.Truncated != 1 {
		t.Errorf("packets %d, truncated %d", s.Packets, s.Truncated)
	}
	if want := int64(20 + 60 + 60 + 100 + 96 + 566 + 1514 + 9014); s.CapturedBytes != want {
		t.Errorf("captured %d, want %d", s.CapturedBytes, want)
	}
	if want := int64(20 + 60 + 60 + 100 + 1514 + 566 + 1514 + 9014); s.FrameBytes != want {
		t.Errorf("frame bytes %d, want %d", s.FrameBytes, want)
	}
	if want := int64(84 + 84 + 84 + 124 + 1538 + 590 + 1538 + 9038); s.WireBytes != want {
		t.Errorf("wire bytes %d, want %d", s.WireBytes, want)
	}
	if s.Min != 20 || s.Max != 9014 {
		t.Errorf("min %d max %d", s.Min, s.Max)
	}
	if want := float64(s.FrameBytes) / 8; math.Abs(s.Mean-want) > 1e-9 {
		t.Errorf("mean %v, want %v", s.Mean, want)
	}
	// Sizes with FCS: 24, 64, 64, 104, 1518, 570, 1518, 9018.
	want := []int64{1, 2, 1, 0, 0, 1, 2, 1}
	for i, b := range s.Histogram {
		if b.Count != want[i] {
			t.Errorf("bucket %s: %d, want %d", b, b.Count, want[i])
		}
	}
	if got := s.Histogram[0].String() + " " + s.Histogram[1].String() + " " + s.Histogram[7].String(); got != "0-63 64 1519+" {
		t.Errorf("bucket names %q", got)
	}

	if s := SummarizeSizes(nil); s.Packets != 0 || len(s.Histogram) != len(SizeBuckets) || s.LineRatePPS(10e9) != 0 || s.MeanWireBytes() != 0 {
		t.Errorf("empty summary %+v", s)
	}
}

func TestSizeCounterWithFCS(t *testing.T) {
	c := SizeCounter{FCSIncluded: true}
	c.AddLen(64, 64)
	c.AddLen(1518, 1518)
	s := c.Summary()
	if s.WireBytes != 84+1538 || s.Histogram[1].Count != 1 || s.Histogram[6].Count != 1 {
		t.Errorf("%+v", s)
	}
}

func TestLineRate(t *testing.T) {
	s := SummarizeSizes(mustGenerate(t, "min", 100, 1))
	if pps := s.LineRatePPS(10e9); math.Abs(pps-14880952.38) > 1 {
		t.Errorf("64-byte line rate %.0f pps, want 14880952", pps)
	}
	s = SummarizeSizes(mustGenerate(t, "imix", 1200, 1))
	// Simple IMIX: 353.83 bytes + 20 of overhead per frame.
	if pps := s.LineRatePPS(10e9); math.Abs(pps-10e9/8/((7*84+4*590+1538)/12.0)) > 1 {
		t.Errorf("IMIX line rate %.0f pps", pps)
	}
	if s.Median != 60 {
		t.Errorf("IMIX median %v", s.Median)
	}
}
