// Package archive keeps executions that are removed from the store, in
// files of JSON lines: one execution, with its tasks and its definition
// snapshot, per line, in Conductor's Workflow shape, so that jq, grep or a
// data warehouse loader can read them. Task logs and history are not
// archived.
//
// Files are named executions-YYYY-MM-DD.jsonl after the UTC day their
// lines were written; when a file reaches Config.MaxFileBytes the day goes
// on in executions-YYYY-MM-DD.1.jsonl, .2.jsonl and so on. Write returns
// only once its lines are fsynced, so an execution archived and then
// removed from the store is never lost, and no line is ever appended to
// half a line: a write that fails is cut off the file again, and a file
// found ending in one (a crash before the sync) is left for a new part.
package archive

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/batonhq/baton/sdk/workflow"
)

// DefaultMaxFileBytes is the default of Config.MaxFileBytes.
const DefaultMaxFileBytes = 256 << 20

// Config configures a Writer.
type Config struct {
	// Dir is the directory of the archive files, created if needed.
	// Required.
	Dir string
	// MaxFileBytes is the size at which a file is closed and the next one
	// started (a file holds at least one line, however long). Default
	// DefaultMaxFileBytes.
	MaxFileBytes int64
	// Clock tells the day, which names the file. Default time.Now.
	Clock func() time.Time
}

// Writer appends executions to the archive files of a directory. It is
// safe for concurrent use; one process at a time may write a directory.
type Writer struct {
	cfg Config

	mu   sync.Mutex
	f    *os.File
	day  string // the UTC day of f, YYYY-MM-DD
	part int    // f is the part-th file of the day (0 has no number)
	size int64  // f's size
}

// Open returns a writer for cfg.Dir. It opens no file until the first
// Write.
func Open(cfg Config) (*Writer, error) {
	if cfg.Dir == "" {
		return nil, errors.New("archive: a directory is required")
	}
	if cfg.MaxFileBytes < 0 {
		return nil, fmt.Errorf("archive: MaxFileBytes must not be negative, got %d", cfg.MaxFileBytes)
	}
	if cfg.MaxFileBytes == 0 {
		cfg.MaxFileBytes = DefaultMaxFileBytes
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("archive: create directory %s: %w", cfg.Dir, err)
	}
	return &Writer{cfg: cfg}, nil
}

// Dir is the archive directory.
func (w *Writer) Dir() string { return w.cfg.Dir }

// Write appends the executions, one line each, and returns once they are
// on disk. On error nothing of them is in the archive.
func (w *Writer) Write(execs ...*workflow.Workflow) error {
	var buf []byte
	for _, ex := range execs {
		data, err := json.Marshal(ex)
		if err != nil {
			return fmt.Errorf("archive workflow %s: encode: %w", ex.WorkflowID, err)
		}
		buf = append(append(buf, data...), '\n')
	}
	if len(buf) == 0 {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.rotate(int64(len(buf))); err != nil {
		return err
	}
	if _, err := w.f.Write(buf); err != nil {
		return w.undo(fmt.Errorf("archive: write %s: %w", w.f.Name(), err))
	}
	if err := w.f.Sync(); err != nil {
		return w.undo(fmt.Errorf("archive: sync %s: %w", w.f.Name(), err))
	}
	w.size += int64(len(buf))
	return nil
}

// undo cuts what a failed write may have left after the last whole line.
// If even that fails, the file is closed; the next write opens it again,
// finds the broken line at its end and moves on to a new part.
func (w *Writer) undo(err error) error {
	if terr := w.f.Truncate(w.size); terr != nil {
		w.f.Close()
		w.f = nil
		return errors.Join(err, terr)
	}
	return err
}

// rotate makes w.f the file that the next n bytes go to.
func (w *Writer) rotate(n int64) error {
	day := w.cfg.Clock().UTC().Format(time.DateOnly)
	switch {
	case w.f == nil || day != w.day:
		part, err := lastPart(w.cfg.Dir, day)
		if err != nil {
			return err
		}
		return w.open(day, part)
	case w.size > 0 && w.size+n > w.cfg.MaxFileBytes:
		return w.open(day, w.part+1)
	}
	return nil
}

// open closes the current file and opens (or creates) the part-th of day.
// An existing file that is full already moves on to the next part.
func (w *Writer) open(day string, part int) error {
	if w.f != nil {
		if err := w.f.Close(); err != nil {
			return fmt.Errorf("archive: close %s: %w", w.f.Name(), err)
		}
		w.f = nil
	}
	for {
		path := filepath.Join(w.cfg.Dir, fileName(day, part))
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("archive: open %s: %w", path, err)
		}
		info, err := f.Stat()
		if err != nil {
			f.Close()
			return fmt.Errorf("archive: stat %s: %w", path, err)
		}
		if info.Size() > 0 && info.Size() >= w.cfg.MaxFileBytes {
			f.Close()
			part++
			continue
		}
		if info.Size() > 0 {
			// A write cut short (a crash before its sync, a failed undo)
			// leaves a part line at the end: never append after it.
			whole, err := endsWithNewline(path, info.Size())
			if err != nil {
				f.Close()
				return err
			}
			if !whole {
				f.Close()
				part++
				continue
			}
		}
		if info.Size() == 0 {
			// The new file's name must survive a power cut too.
			if err := syncDir(w.cfg.Dir); err != nil {
				f.Close()
				return err
			}
		}
		w.f, w.day, w.part, w.size = f, day, part, info.Size()
		return nil
	}
}

// endsWithNewline reports whether the file of size bytes at path ends a
// line.
func endsWithNewline(path string, size int64) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, fmt.Errorf("archive: open %s: %w", path, err)
	}
	defer f.Close()
	last := make([]byte, 1)
	if _, err := f.ReadAt(last, size-1); err != nil {
		return false, fmt.Errorf("archive: read %s: %w", path, err)
	}
	return last[0] == '\n', nil
}

// Close closes the current file.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}

func fileName(day string, part int) string {
	if part == 0 {
		return "executions-" + day + ".jsonl"
	}
	return "executions-" + day + "." + strconv.Itoa(part) + ".jsonl"
}

var namePattern = regexp.MustCompile(`^executions-(\d{4}-\d{2}-\d{2})(?:\.(\d+))?\.jsonl$`)

// lastPart returns the highest part of day's files in dir, 0 if none.
func lastPart(dir, day string) (int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("archive: read directory %s: %w", dir, err)
	}
	last := 0
	for _, e := range entries {
		m := namePattern.FindStringSubmatch(e.Name())
		if m == nil || m[1] != day || m[2] == "" {
			continue
		}
		if n, err := strconv.Atoi(m[2]); err == nil && n > last {
			last = n
		}
	}
	return last, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("archive: open directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("archive: sync directory %s: %w", dir, err)
	}
	return nil
}
