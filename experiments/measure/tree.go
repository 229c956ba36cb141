package measure

import (
	"fmt"
	"slices"
	"time"
)

// transferSlack is how far a parent's reaped time may fall short of a
// vanished child's last reading and still be taken to include it: the two
// are rounded to clock ticks apart.
const transferSlack = 30 * time.Millisecond

// procTree follows a process and its descendants from one reading to the
// next, and accounts their CPU time so that no process is counted twice and
// one that exits is not lost:
//
//   - a live process counts its own CPU time and its reaped children's
//     (utime + stime + cutime + cstime), so a child that lived and died
//     between two readings is still counted, in its parent's reaped time;
//   - a process that vanished was either reaped by a parent in the tree,
//     whose reaped time has grown by it (then it is already counted), or
//     not (the root reaped by its own parent, an orphan reaped by init):
//     then its last reading is kept;
//   - a process reparented away from the tree (an orphan) is still
//     followed, by its pid and start time.
type procTree struct {
	root int
	// known is the last reading of every process of the tree.
	known map[int]procStat
	// goneCPU and goneDelay keep the last readings of processes that left
	// the tree's accounts.
	goneCPU, goneDelay time.Duration
	// high is the most CPU time read so far: readings are monotonic.
	high, highDelay time.Duration
}

func newProcTree(root int) *procTree {
	return &procTree{root: root, known: map[int]procStat{}}
}

// treeReading is one reading of the whole tree.
type treeReading struct {
	cpu, delay time.Duration
	procs      int
	// threads are the live threads of every process of the tree.
	threads []threadStat
}

// read takes a reading. It fails only if the root cannot be read the first
// time.
func (t *procTree) read() (treeReading, error) {
	cur, err := t.members()
	if err != nil {
		return treeReading{}, err
	}
	t.settle(cur)
	var r treeReading
	for _, s := range cur {
		r.cpu += s.total()
		r.delay += s.delay
		r.procs++
		r.threads = append(r.threads, s.threads...)
	}
	r.cpu += t.goneCPU
	r.delay += t.goneDelay
	t.high, t.highDelay = max(t.high, r.cpu), max(t.highDelay, r.delay)
	r.cpu, r.delay = t.high, t.highDelay
	t.known = cur
	return r, nil
}

// members reads the root and its descendants, and the known processes
// that have left the tree but still live.
func (t *procTree) members() (map[int]procStat, error) {
	cur := map[int]procStat{}
	root, err := readProc(t.root)
	if err != nil {
		if len(t.known) == 0 {
			return nil, fmt.Errorf("sample process %d: %w", t.root, err)
		}
	} else if same(t.known, root) {
		cur[t.root] = root
	}
	var scan map[int][]int // the fallback: every process's children
	queue := []procStat{}
	if _, ok := cur[t.root]; ok {
		queue = append(queue, root)
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		kids := s.kids
		if !s.kidsOK {
			if scan == nil {
				scan = parents()
			}
			kids = scan[s.pid]
		}
		for _, c := range kids {
			if _, seen := cur[c]; seen {
				continue
			}
			k, err := readProc(c)
			if err != nil {
				continue
			}
			cur[c] = k
			queue = append(queue, k)
		}
	}
	// Orphans: known processes no longer below the root, still alive.
	for pid := range t.known {
		if _, ok := cur[pid]; ok {
			continue
		}
		k, err := readProc(pid)
		if err == nil && same(t.known, k) {
			cur[pid] = k
			// Its children are the tree's too.
			for _, c := range k.kids {
				if _, ok := cur[c]; !ok {
					if kc, err := readProc(c); err == nil {
						cur[c] = kc
					}
				}
			}
		}
	}
	return cur, nil
}

// same reports whether s is the process known by its pid (not a new
// process that reuses a pid), or is new.
func same(known map[int]procStat, s procStat) bool {
	k, ok := known[s.pid]
	return !ok || k.start == s.start
}

// settle accounts the processes that vanished since the last reading. A
// vanished process was reaped by its parent; if the parent vanished too,
// the parent's time, this one's included, went on to its own parent, and
// so on: the time of everything that vanished below a surviving process
// is in that process's reaped time, as far as its growth covers it. What
// has no surviving ancestor in the tree (the root; an orphan reaped by
// init), or more than its ancestor's growth, keeps its last reading.
func (t *procTree) settle(cur map[int]procStat) {
	var gone []procStat
	for pid, s := range t.known {
		if c, ok := cur[pid]; !ok || c.start != s.start {
			gone = append(gone, s)
		}
	}
	slices.SortFunc(gone, func(a, b procStat) int { return a.pid - b.pid })
	// survivor is the nearest ancestor of s, by the last readings, that
	// is still there.
	survivor := func(s procStat) (procStat, bool) {
		for range len(t.known) + 1 {
			was, known := t.known[s.ppid]
			if !known {
				return procStat{}, false
			}
			if p, ok := cur[s.ppid]; ok && p.start == was.start {
				return p, true
			}
			s = was
		}
		return procStat{}, false
	}
	// budget is how much each survivor's reaped time has grown: what its
	// reaped children brought in.
	budget := map[int]time.Duration{}
	for _, s := range gone {
		t.goneDelay += s.delay
		p, ok := survivor(s)
		if !ok {
			t.goneCPU += s.total()
			continue
		}
		if _, ok := budget[p.pid]; !ok {
			budget[p.pid] = p.reaped - t.known[p.pid].reaped
		}
		if budget[p.pid] >= s.total()-transferSlack {
			budget[p.pid] = max(0, budget[p.pid]-s.total())
			continue
		}
		t.goneCPU += s.total()
	}
}
