package ameide

import "runtime/debug"

// ModulePath is this module's import path.
const ModulePath = "github.com/ameideio/ameide-sdk-go"

// sourceSHA is rewritten by the release pack step to the monorepo commit the module was cut from.
const sourceSHA = "unknown"

// Info says which build of the SDK is running.
type Info struct {
	Module    string
	Version   string // the module version a consumer depends on, e.g. v1.2.3; "(devel)" in the workspace
	SourceSHA string // monorepo git SHA of the release; "unknown" in the workspace
}

// BuildInfo reports the SDK's version from the binary's build information (runtime/debug.ReadBuildInfo):
// the required version of this module when it is a dependency, the main module version otherwise.
func BuildInfo() Info {
	return Info{Module: ModulePath, Version: moduleVersion(debug.ReadBuildInfo()), SourceSHA: sourceSHA}
}

func moduleVersion(bi *debug.BuildInfo, ok bool) string {
	const devel = "(devel)"
	if !ok || bi == nil {
		return devel
	}
	for _, dep := range bi.Deps {
		if dep.Path != ModulePath {
			continue
		}
		if dep.Replace != nil {
			dep = dep.Replace
		}
		if dep.Version != "" {
			return dep.Version
		}
		return devel
	}
	if bi.Main.Path == ModulePath && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return devel
}
