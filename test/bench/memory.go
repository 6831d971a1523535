package bench

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// memSampler watches the terraform-provider-* processes that a terraform
// process starts and keeps the highest VmHWM (peak resident set) seen for
// each provider binary. It only reads /proc; it never signals anything.
type memSampler struct {
	parent int
	stop   chan struct{}
	done   chan struct{}

	mu   sync.Mutex
	peak map[string]int64 // provider binary name -> peak kB
	pids map[int]bool
}

const samplePeriod = 50 * time.Millisecond

func startMemSampler(parent int) *memSampler {
	m := &memSampler{parent: parent, stop: make(chan struct{}), done: make(chan struct{}), peak: map[string]int64{}, pids: map[int]bool{}}
	go m.loop()
	return m
}

func (m *memSampler) loop() {
	defer close(m.done)
	t := time.NewTicker(samplePeriod)
	defer t.Stop()
	for {
		m.sample()
		select {
		case <-m.stop:
			return
		case <-t.C:
		}
	}
}

// Stop ends sampling and returns the peaks in MB by provider binary, and
// how many provider processes were seen.
func (m *memSampler) Stop() (map[string]float64, int) {
	close(m.stop)
	<-m.done
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]float64{}
	for k, v := range m.peak {
		out[k] = float64(v) / 1024
	}
	return out, len(m.pids)
}

func (m *memSampler) sample() {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || parentOf(pid) != m.parent {
			continue
		}
		name := providerName(pid)
		if name == "" {
			continue
		}
		if kb := vmHWM(pid); kb > 0 {
			m.mu.Lock()
			m.pids[pid] = true
			m.peak[name] = max(m.peak[name], kb)
			m.mu.Unlock()
		}
	}
}

// parentOf reads the parent PID from /proc/<pid>/stat (-1 if unreadable).
func parentOf(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return -1
	}
	// The command name is in parentheses and may hold spaces: parse after it.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 2 {
		return -1
	}
	ppid, err := strconv.Atoi(f[1])
	if err != nil {
		return -1
	}
	return ppid
}

// providerName is "hawebapp" or "aws" for a terraform-provider-<name>[_vX]
// process, or "".
func providerName(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return ""
	}
	argv0, _, _ := bytes.Cut(b, []byte{0})
	base := filepath.Base(string(argv0))
	name, ok := strings.CutPrefix(base, "terraform-provider-")
	if !ok {
		return ""
	}
	name, _, _ = strings.Cut(name, "_")
	return name
}

// vmHWM is the process's peak resident set size in kB (0 if unreadable).
func vmHWM(pid int) int64 {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb
		}
	}
	return 0
}
