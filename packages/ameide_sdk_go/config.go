package ameide

import (
	"math"
	"time"
)

// Client defaults: the same values as @ameideio/configuration.
const (
	DefaultBaseURL = "https://api.ameide.io"
	DefaultTimeout = 5 * time.Second
)

// RetryPolicy is exponential backoff with jitter. MaxAttempts counts the first attempt.
type RetryPolicy struct {
	MaxAttempts    int
	InitialBackoff time.Duration
	Multiplier     float64
	MaxBackoff     time.Duration
	JitterMin      float64
	JitterMax      float64
	RetryableCodes []Code
}

// DefaultRetryPolicy returns a fresh copy of the default policy (3 attempts, 250ms ×2, 5s cap, jitter 0.5–1.5×).
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{
		MaxAttempts:    3,
		InitialBackoff: 250 * time.Millisecond,
		Multiplier:     2,
		MaxBackoff:     5 * time.Second,
		JitterMin:      0.5,
		JitterMax:      1.5,
		RetryableCodes: []Code{CodeUnavailable, CodeDeadlineExceeded, CodeAborted, CodeResourceExhausted},
	}
}

// Delay is the wait before retry number retry (1 = first retry) for a random number in [0, 1):
// base = min(cap, initial × multiplier^(retry-1)); delay = min(cap, base × jitter).
func (p RetryPolicy) Delay(retry int, random float64) time.Duration {
	base := math.Min(float64(p.MaxBackoff), float64(p.InitialBackoff)*math.Pow(p.Multiplier, float64(retry-1)))
	factor := p.JitterMin + random*(p.JitterMax-p.JitterMin)
	return time.Duration(math.Min(float64(p.MaxBackoff), base*factor))
}

func (p RetryPolicy) retryable(code Code) bool {
	for _, c := range p.RetryableCodes {
		if c == code {
			return true
		}
	}
	return false
}
