package ameide

import (
	"os"
	"regexp"
	"runtime/debug"
	"testing"
)

func TestBuildInfoInTheWorkspace(t *testing.T) {
	got := BuildInfo()
	if got != (Info{Module: "github.com/ameideio/ameide-sdk-go", Version: "(devel)", SourceSHA: "unknown"}) {
		t.Fatalf("BuildInfo() = %+v", got)
	}
}

func TestBuildInfoVersionAsADependency(t *testing.T) {
	bi := &debug.BuildInfo{
		Main: debug.Module{Path: "example.com/app", Version: "(devel)"},
		Deps: []*debug.Module{{Path: "golang.org/x/other", Version: "v0.1.0"}, {Path: ModulePath, Version: "v1.4.2"}},
	}
	if v := moduleVersion(bi, true); v != "v1.4.2" {
		t.Fatalf("dependency version %q", v)
	}
	bi.Deps[1].Replace = &debug.Module{Path: "../ameide-sdk-go"}
	if v := moduleVersion(bi, true); v != "(devel)" {
		t.Fatalf("replaced by a directory: %q", v)
	}
	if v := moduleVersion(nil, false); v != "(devel)" {
		t.Fatalf("no build info: %q", v)
	}
}

// The release pack step rewrites this exact line; keep it greppable.
func TestSourceSHALineIsTheOneThePackStepRewrites(t *testing.T) {
	src, err := os.ReadFile("buildinfo.go")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(regexp.MustCompile(`(?m)^const sourceSHA = "unknown"$`).FindAll(src, -1)); n != 1 {
		t.Fatalf("want exactly one `const sourceSHA = \"unknown\"` line, found %d", n)
	}
}
