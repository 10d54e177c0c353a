package store

import (
	"sync/atomic"
	"time"
)

// Periodic says when a clean-up of ended rows (expired sessions, ceremonies) is due: at most
// once per Period by the caller's clock, instead of at every request. Issue 21: a DELETE
// over a whole table in every login or begin was a statement more each time and, on
// PostgreSQL, made concurrent SERIALIZABLE transactions conflict with each other (40001)
// until they gave up; the rows it leaves meanwhile are refused by their readers as ended
// anyway. The zero value with Period 0 is due every time.
type Periodic struct {
	Period time.Duration
	last   atomic.Int64 // Unix nanoseconds of the last clean-up due, 0 for none
}

// Due reports whether the clean-up is due at now and, if it is, counts it as done (so that
// concurrent callers do not all run it). A clock that went backwards makes it due.
func (p *Periodic) Due(now time.Time) bool {
	last := p.last.Load()
	if last != 0 {
		if since := now.UnixNano() - last; since >= 0 && since < int64(p.Period) {
			return false
		}
	}
	return p.last.CompareAndSwap(last, now.UnixNano())
}
