package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/hbpf/hbpf/hbpf/packets"
	"github.com/hbpf/hbpf/internal/progress"
)

func genPcapCommand() *cli.Command {
	return &cli.Command{
		Name:      "gen-pcap",
		Usage:     "generate a deterministic packet trace (sets: " + strings.Join(packets.Sets(), ", ") + ")",
		ArgsUsage: " ",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "set", Value: "mixed", Usage: "packet `SET` (" + strings.Join(packets.Sets(), ", ") + ")"},
			&cli.IntFlag{Name: "count", Aliases: []string{"n"}, Value: 1000, Usage: "number of packets `N`"},
			&cli.Int64Flag{Name: "seed", Value: 1, Usage: "generator seed"},
			&cli.StringFlag{Name: "o", Aliases: []string{"output"}, Required: true, Usage: "output file `OUT` (.pcap or .pcapng)"},
		},
		Action: func(c *cli.Context) error {
			if c.Int("count") <= 0 {
				return usageErr("gen-pcap: --count must be positive")
			}
			g, err := packets.NewGenerator(c.String("set"), c.Int64("seed"))
			if err != nil {
				return withCode(exitUsage, err)
			}
			w, err := packets.Create(c.String("o"))
			if err != nil {
				return err
			}
			bar := progress.New(os.Stderr, "generating", int64(c.Int("count")))
			for i := 0; i < c.Int("count"); i++ {
				p, err := g.Next()
				if err != nil {
					w.Close()
					return err
				}
				if err := w.WritePacket(p); err != nil {
					w.Close()
					return err
				}
				bar.Add(1)
			}
			bar.Done()
			if err := w.Close(); err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "wrote %d %s packets to %s\n", c.Int("count"), c.String("set"), c.String("o"))
			return nil
		},
	}
}
