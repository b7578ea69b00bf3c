// The consumer program of the Go smoke (src/ecosystems/go/smoke.ts), built in a temp module that
// requires the released module straight from its mirror, as a user's program would.
//
// The smoke copies this folder's go.mod and main.go always, client.go only when the SDK declares
// `func New(opts Options) (*Client, error)`, buildinfo.go only when it declares `func BuildInfo()`,
// and replaces the placeholder import path "example.com/sdk-under-test" with the module's path.
package main

import (
	"fmt"
	"io"
	"os"

	_ "example.com/sdk-under-test"
)

const module = "example.com/sdk-under-test"

// Set by client.go and buildinfo.go when they are part of the program.
var (
	newClient func() (any, error)
	buildInfo func() any
)

func main() {
	if newClient != nil {
		c, err := newClient()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if closer, ok := c.(io.Closer); ok {
			defer closer.Close()
		}
	}
	switch {
	case buildInfo != nil:
		fmt.Printf("%+v\n", buildInfo())
	case newClient != nil:
		fmt.Println("constructed a " + module + " client")
	default:
		fmt.Println("imported " + module)
	}
}
