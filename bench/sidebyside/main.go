// Command sidebyside times commands against each other in one run,
// alternating blocks of their runs so machine noise hits them alike, and
// prints the median and p90 wall time of each and its ratio to the first.
//
//	go run ./bench/sidebyside [-n RUNS] [-in FILE] NAME=COMMAND...
//
// Each COMMAND runs under "sh -c" unless -direct is given, in which case it
// is split on spaces and exec'd without a shell (for start-up figures).
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"time"
)

type cmd struct {
	name, line string
	times      []time.Duration
}

func main() {
	n := flag.Int("n", 100, "runs per command")
	in := flag.String("in", "", "file fed to each command's stdin")
	direct := flag.Bool("direct", false, "exec commands without a shell")
	warm := flag.Int("warmup", 3, "untimed runs per command first")
	block := flag.Int("block", 10, "consecutive runs of one command before the next command's")
	flag.Parse()
	var cmds []*cmd
	for _, a := range flag.Args() {
		name, line, ok := strings.Cut(a, "=")
		if !ok {
			fmt.Fprintf(os.Stderr, "sidebyside: want NAME=COMMAND, got %q\n", a)
			os.Exit(2)
		}
		cmds = append(cmds, &cmd{name: name, line: line})
	}
	if len(cmds) == 0 {
		fmt.Fprintln(os.Stderr, "usage: sidebyside [-n RUNS] [-in FILE] [-direct] NAME=COMMAND...")
		os.Exit(2)
	}
	run := func(c *cmd, keep bool) {
		d, err := once(c.line, *in, *direct)
		if err != nil {
			fmt.Fprintf(os.Stderr, "sidebyside: %s: %v\n", c.name, err)
			os.Exit(1)
		}
		if keep {
			c.times = append(c.times, d)
		}
	}
	for i := 0; i < *warm; i++ {
		for _, c := range cmds {
			run(c, false)
		}
	}
	// Blocks of consecutive runs of one command, as hyperfine runs all of
	// one command's runs in a row: a 2 ms command timed right after a
	// 40 ms Ruby start-up pays for the caches Ruby evicted, which is not
	// its own start-up. The blocks alternate, so drift in the machine's
	// load still hits every command alike.
	for done := 0; done < *n; done += *block {
		for _, c := range cmds {
			for j := 0; j < *block && done+j < *n; j++ {
				run(c, true)
			}
		}
	}
	base := median(cmds[0].times)
	fmt.Printf("%-28s %12s %12s %10s\n", "command", "median", "p90", "ratio")
	for _, c := range cmds {
		m := median(c.times)
		fmt.Printf("%-28s %12s %12s %9.2fx\n", c.name, round(m), round(pct(c.times, 0.9)), float64(m)/float64(base))
	}
}

func once(line, in string, direct bool) (time.Duration, error) {
	var c *exec.Cmd
	if direct {
		f := strings.Fields(line)
		c = exec.Command(f[0], f[1:]...)
	} else {
		c = exec.Command("sh", "-c", line)
	}
	// A real /dev/null, not io.Discard: for a writer that is not a file
	// os/exec copies the output through a pipe, which would time the copy.
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return 0, err
	}
	defer null.Close()
	c.Stdout = null
	c.Stderr = os.Stderr
	if in != "" {
		f, err := os.Open(in)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		c.Stdin = f
	}
	t := time.Now()
	err = c.Run()
	return time.Since(t), err
}

func median(d []time.Duration) time.Duration { return pct(d, 0.5) }

func pct(d []time.Duration, p float64) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[int(p*float64(len(s)-1))]
}

func round(d time.Duration) string {
	return fmt.Sprintf("%.3fms", float64(d)/1e6)
}
