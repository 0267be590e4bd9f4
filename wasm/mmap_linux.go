package wasm

import "syscall"

// mapMemory reserves n bytes of zeroed memory outside the Go heap: a
// private anonymous mapping that takes no swap reservation, whose pages
// become resident only as the guest touches them. ok is false when the
// system refuses the mapping.
func mapMemory(n uint64) (b []byte, ok bool) {
	if n == 0 || n > 1<<40 {
		return nil, false
	}
	b, err := syscall.Mmap(-1, 0, int(n), syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS|syscall.MAP_NORESERVE)
	return b, err == nil
}

// dropMemory gives the pages of a mapping back to the system at once. The
// mapping stays valid (its pages read as zero again), so that a call still
// running in a closed instance sees zeros until its next check stops it
// rather than a fault.
func dropMemory(b []byte) { _ = syscall.Madvise(b, syscall.MADV_DONTNEED) }

// unmapMemory removes a mapping of mapMemory.
func unmapMemory(b []byte) { _ = syscall.Munmap(b) }
