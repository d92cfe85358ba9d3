package offload

import (
	"math"
	"sort"

	"github.com/hbpf/hbpf/hbpf/isa"
	"github.com/hbpf/hbpf/hbpf/packets"
	"github.com/hbpf/hbpf/hbpf/xdp"
)

// Rate is one core's throughput at one clock in one profile.
type Rate struct {
	Profile  string  `json:"profile"`
	ClockMHz float64 `json:"clock_mhz"`
	PPS      float64 `json:"pps"`        // packets per second, one core
	Gbps     float64 `json:"gbps"`       // frame bits per second, one core (trace sizes)
	NsPerPkt float64 `json:"ns_per_pkt"` // occupancy per packet in ns
}

func throughput(r *Report, cfg Config) []Rate {
	var rs []Rate
	meanBytes := r.Sizes.Mean
	for _, ps := range r.Profiles {
		for _, mhz := range cfg.ClocksMHz {
			pps := mhz * 1e6 / ps.Occupancy
			rs = append(rs, Rate{Profile: ps.Profile, ClockMHz: mhz, PPS: pps, Gbps: pps * meanBytes * 8 / 1e9, NsPerPkt: ps.Occupancy * 1e3 / mhz})
		}
	}
	return rs
}

// LineRate is what one Ethernet speed demands and how many cores meet it.
type LineRate struct {
	Gbps      float64 `json:"gbps"`
	Frames    string  `json:"frames"` // "trace" (this trace's sizes) or "64B"
	PPS       float64 `json:"pps"`    // packets per second at line rate
	CoresNeed []Cores `json:"cores"`  // per profile and clock
}

// Cores is the number of cores that reach a line rate.
type Cores struct {
	Profile  string  `json:"profile"`
	ClockMHz float64 `json:"clock_mhz"`
	N        int     `json:"n"` // 0: more than Config.MaxCores
}

var ethernetSpeeds = []float64{10, 25, 40, 100}

func lineRates(r *Report, cfg Config) []LineRate {
	var out []LineRate
	traceWire := r.Sizes.MeanWireBytes()
	minWire := float64(packets.WireBytes(60, false)) // 84
	// Occupancy of a 64-byte frame: cycles as measured (mean over the trace's
	// short frames if any, else the trace mean), ingest of 60 bytes.
	for _, speed := range ethernetSpeeds {
		for _, kind := range []string{"trace", "64B"} {
			wire := traceWire
			if kind == "64B" {
				wire = minWire
			}
			lr := LineRate{Gbps: speed, Frames: kind, PPS: speed * 1e9 / (8 * wire)}
			for _, rate := range r.Throughput {
				pps := rate.PPS
				if kind == "64B" {
					occ := r.shortOccupancy(rate.Profile, cfg)
					pps = rate.ClockMHz * 1e6 / occ
				}
				n := int(math.Ceil(lr.PPS / pps))
				if n > cfg.MaxCores {
					n = 0
				}
				lr.CoresNeed = append(lr.CoresNeed, Cores{Profile: rate.Profile, ClockMHz: rate.ClockMHz, N: n})
			}
			out = append(out, lr)
		}
	}
	return out
}

// shortOccupancy is the mean occupancy of the trace's frames of at most 64
// bytes (the cycles the program spends on minimum-size frames), or of the whole
// trace if it has none.
func (r *Report) shortOccupancy(profile string, cfg Config) float64 {
	run := r.perPacket
	if r.classic != nil && r.classic.prof.Name == profile {
		run = r.classic
	}
	var sum float64
	var n int
	for i, l := range run.length {
		if l <= 64 {
			sum += occupancy(run.cycles[i], 60, cfg)
			n++
		}
	}
	if n == 0 {
		for _, ps := range r.Profiles {
			if ps.Profile == profile {
				return ps.Occupancy
			}
		}
	}
	return sum / float64(n)
}

// KernelBaseline is the kernel's software speed for the program on this host.
type KernelBaseline struct {
	Available bool    `json:"available"`
	Reason    string  `json:"reason,omitempty"` // why it is not available
	Packets   int     `json:"packets"`          // packets timed
	Repeat    int     `json:"repeat"`           // runs per packet
	NsMean    float64 `json:"ns_mean"`
	NsP50     float64 `json:"ns_p50"`
	NsP99     float64 `json:"ns_p99"`
}

func kernelBaseline(obj *isa.Object, cfg Config, tf *traceFile) *KernelBaseline {
	kb := &KernelBaseline{Repeat: cfg.KernelRepeat}
	k, err := xdp.NewKernel(obj, cfg.Prog)
	if err != nil {
		kb.Reason = err.Error()
		return kb
	}
	defer k.Close()
	k.Repeat = cfg.KernelRepeat
	rd, err := tf.open()
	if err != nil {
		kb.Reason = err.Error()
		return kb
	}
	defer rd.Close()
	var ns []float64
	for len(ns) < cfg.KernelSample {
		p, err := rd.Next()
		if err != nil {
			break
		}
		if len(p.Data) < xdp.MinFrame {
			continue
		}
		res := k.Run(&p)
		if res.Error != "" {
			kb.Reason = res.Error
			return kb
		}
		if res.Ns > 0 {
			ns = append(ns, res.Ns)
		}
	}
	if len(ns) == 0 {
		kb.Reason = "the kernel reported no timing"
		return kb
	}
	d := distOf(ns)
	kb.Available, kb.Packets, kb.NsMean, kb.NsP50, kb.NsP99 = true, len(ns), d.Mean, d.P50, d.P99
	return kb
}

// Logic is the synthesis cost of the core.
type Logic struct {
	Generic     []Resources `json:"generic"`     // per target (ice40, xc7)
	Specialised []Resources `json:"specialised"` // the core specialised to the program
	Notes       []string    `json:"notes,omitempty"`
}

// Resources is one synthesis result.
type Resources struct {
	Target    string  `json:"target"` // "ice40", "xc7"
	LUT       int     `json:"lut"`
	FF        int     `json:"ff"`
	BRAM      int     `json:"bram"`
	DSP       int     `json:"dsp"`
	FmaxMHz   float64 `json:"fmax_mhz,omitempty"`    // nextpnr estimate, when placed
	Depth     int     `json:"logic_depth,omitempty"` // longest path in cells, when not placed
	FromCache bool    `json:"from_cache,omitempty"`
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
