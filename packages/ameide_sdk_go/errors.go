package ameide

import (
	"errors"
	"fmt"
)

// Code is a Connect error code (https://connectrpc.com/docs/protocol#error-codes).
type Code string

const (
	CodeCanceled           Code = "canceled"
	CodeUnknown            Code = "unknown"
	CodeInvalidArgument    Code = "invalid_argument"
	CodeDeadlineExceeded   Code = "deadline_exceeded"
	CodeNotFound           Code = "not_found"
	CodeAlreadyExists      Code = "already_exists"
	CodePermissionDenied   Code = "permission_denied"
	CodeResourceExhausted  Code = "resource_exhausted"
	CodeFailedPrecondition Code = "failed_precondition"
	CodeAborted            Code = "aborted"
	CodeOutOfRange         Code = "out_of_range"
	CodeUnimplemented      Code = "unimplemented"
	CodeInternal           Code = "internal"
	CodeUnavailable        Code = "unavailable"
	CodeDataLoss           Code = "data_loss"
	CodeUnauthenticated    Code = "unauthenticated"
)

// Error is what a call returns (token provider errors excepted: they are returned as the provider made them).
type Error struct {
	Code       Code
	Message    string
	HTTPStatus int // 0 when no response was received
	Details    any
	cause      error
}

func (e *Error) Error() string { return fmt.Sprintf("[%s] %s", e.Code, e.Message) }

func (e *Error) Unwrap() error { return e.cause }

// CodeOf returns the Code of an *Error in err's chain, or CodeUnknown.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeUnknown
}

// CodeFromHTTPStatus is Connect's mapping for responses that carry no error JSON of their own.
func CodeFromHTTPStatus(status int) Code {
	switch status {
	case 400:
		return CodeInternal
	case 401:
		return CodeUnauthenticated
	case 403:
		return CodePermissionDenied
	case 404:
		return CodeUnimplemented
	case 408:
		return CodeDeadlineExceeded
	case 409:
		return CodeAborted
	case 429, 502, 503, 504:
		return CodeUnavailable
	default:
		return CodeUnknown
	}
}
