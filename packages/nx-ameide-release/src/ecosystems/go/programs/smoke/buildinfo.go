package main

import sdk "example.com/sdk-under-test"

// The SDK's build facts (its tag and the source SHA that pack stamped), printed by main.
func init() {
	buildInfo = func() any { return sdk.BuildInfo() }
}
