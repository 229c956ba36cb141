package model

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
)

// ErrKind classifies why a task failed, so that a run can count its errors
// by kind.
type ErrKind string

// The kinds of error. A call's error is one of the first four, or other.
const (
	// ErrTooManyFiles: the process or the system ran out of file
	// descriptors (EMFILE, ENFILE), opening a socket or accepting one.
	ErrTooManyFiles ErrKind = "too-many-open-files"
	// ErrRefused: nothing was listening (ECONNREFUSED). A listener whose
	// accept queue is full does not refuse: Linux drops the SYN.
	ErrRefused ErrKind = "refused"
	// ErrTimeout: the call's timeout passed, connecting (a SYN the server
	// dropped is retried after 1 s, 3 s, ...) or waiting for the answer.
	ErrTimeout ErrKind = "timeout"
	// ErrReset: the connection was reset or closed by the server before
	// it answered (ECONNRESET, EPIPE, an early end of stream).
	ErrReset ErrKind = "reset"
	// ErrOther is any other error.
	ErrOther ErrKind = "other"
)

// ErrKinds lists the kinds in the order results show them.
func ErrKinds() []ErrKind {
	return []ErrKind{ErrTooManyFiles, ErrRefused, ErrTimeout, ErrReset, ErrOther}
}

// Describe says what the kind is in a few words, e.g. "too many open files".
func (k ErrKind) Describe() string {
	switch k {
	case ErrTooManyFiles:
		return "too many open files"
	case ErrRefused:
		return "connection refused"
	case ErrTimeout:
		return "timeout"
	case ErrReset:
		return "connection reset"
	case ErrOther:
		return "other error"
	}
	return string(k)
}

// DescribeErrors writes error counts by kind in the order of ErrKinds,
// e.g. "742 too many open files, 12 timeout"; it returns none when no
// count is above zero.
func DescribeErrors(errs map[ErrKind]int, none string) string {
	s := ""
	for _, k := range ErrKinds() {
		if n := errs[k]; n > 0 {
			if s != "" {
				s += ", "
			}
			s += fmt.Sprintf("%d %s", n, k.Describe())
		}
	}
	if s == "" {
		return none
	}
	return s
}

// KindError is an error whose kind is known where it happens (in a worker
// process, on CPython, or an early end of stream).
type KindError struct {
	Kind ErrKind
	Err  error
}

// Error is the underlying error's message.
func (e *KindError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *KindError) Unwrap() error { return e.Err }

// kindError rebuilds an error reported as text with its kind, as worker
// processes and CPython report them; an empty kind is ErrOther.
func kindError(kind ErrKind, msg string) error {
	if kind == "" {
		kind = ErrOther
	}
	return &KindError{Kind: kind, Err: errors.New(msg)}
}

// Classify says what kind of error err is: a KindError's own kind, or the
// kind of the system error or timeout inside it.
func Classify(err error) ErrKind {
	if err == nil {
		return ""
	}
	var ke *KindError
	if errors.As(err, &ke) && ke.Kind != "" {
		return ke.Kind
	}
	var ne net.Error
	switch {
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return ErrTooManyFiles
	case errors.Is(err, syscall.ECONNREFUSED):
		return ErrRefused
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, syscall.ETIMEDOUT),
		errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return ErrTimeout
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return ErrReset
	}
	return ErrOther
}

// errorCounts counts the failed spans by kind, or returns nil if none
// failed.
func errorCounts(spans []Span) map[ErrKind]int {
	var m map[ErrKind]int
	for _, s := range spans {
		if s.Err == "" {
			continue
		}
		if m == nil {
			m = map[ErrKind]int{}
		}
		k := s.ErrKind
		if k == "" {
			k = ErrOther
		}
		m[k]++
	}
	return m
}
