// Package distconsts stands in for github.com/dagger/dagger/engine/distconsts, which the Go
// module proxy does not serve. It names where things live in the engine image that
// scripts/build-dagger-engine.sh assembles, and the image references the engine falls back on;
// the names are the ones Dagger's code imports, the values describe our image.
package distconsts

// The engine container and its socket.
const (
	EngineContainerName   = "dagger-engine.dev"
	DefaultEngineSockAddr = "unix:///run/dagger/engine.sock"
)

// Paths inside the engine image.
const (
	RuncPath                         = "/usr/local/bin/runc"
	DaggerInitPath                   = "/usr/local/bin/dagger-init"
	EngineDefaultStateDir            = "/var/lib/dagger"
	EngineContainerBuiltinContentDir = "/usr/local/share/dagger/content"
	EngineCustomCACertsDir           = "/usr/local/share/ca-certificates"
)

// Environment variables naming the SDK runtimes bundled into the image (we bundle none).
const (
	GoSDKManifestDigestEnvName         = "DAGGER_GO_SDK_MANIFEST_DIGEST"
	PythonSDKManifestDigestEnvName     = "DAGGER_PYTHON_SDK_MANIFEST_DIGEST"
	TypescriptSDKManifestDigestEnvName = "DAGGER_TYPESCRIPT_SDK_MANIFEST_DIGEST"
)

// Images the engine pulls for its own helper containers (through the registry mirror).
const (
	AlpineVersion  = "3.22.1"
	AlpineImage    = "alpine:" + AlpineVersion
	GolangVersion  = "1.25.3"
	GolangImage    = "golang:" + GolangVersion + "-alpine"
	BusyboxVersion = "1.37.0"
	BusyboxImage   = "busybox:" + BusyboxVersion
)

// OCIVersionAnnotation is the standard image version annotation.
const OCIVersionAnnotation = "org.opencontainers.image.version"
