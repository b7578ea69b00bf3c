// Command ameide-referrers-registry serves an OCI registry WITH the OCI 1.1 referrers API on
// loopback, for the sandbox (tools/sandbox/sigstore.js, service ociReferrers).
//
// The registry is go-containerregistry's (pkg/registry: the implementation crane and cosign run
// their own tests against), with referrers switched on; this file only starts it. It exists because
// no registry with the referrers API builds here: distribution v3.1.2 has none (its router has no
// /referrers route; docker-registry 2.8 neither) and zot's module host is not reachable. Manifests
// live in memory, blobs in -blobs: the data does not survive a restart.
package main

import (
	"flag"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:5000", "host:port to listen on (loopback)")
	blobs := flag.String("blobs", "", "folder for blobs (default: in memory)")
	flag.Parse()
	opts := []registry.Option{registry.WithReferrersSupport(true), registry.Logger(log.New(os.Stderr, "", log.LstdFlags))}
	if *blobs != "" {
		if err := os.MkdirAll(*blobs, 0o700); err != nil {
			log.Fatal(err)
		}
		opts = append(opts, registry.WithBlobHandler(registry.NewDiskBlobHandler(*blobs)))
	}
	listener, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	server := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: registry.New(opts...)}
	log.Fatal(server.Serve(listener))
}
