package main

import sdk "example.com/sdk-under-test"

// A client constructed as the SDK's users do. Nothing is sent: port 9 (discard) is never called.
func init() {
	newClient = func() (any, error) { return sdk.New(sdk.Options{BaseURL: "http://127.0.0.1:9"}) }
}
