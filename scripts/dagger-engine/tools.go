//go:build tools

// Package tools pins the Dagger commands this module builds, so `go mod tidy` keeps them.
package tools

import (
	_ "github.com/dagger/dagger/cmd/dagger"
	_ "github.com/dagger/dagger/cmd/dialstdio"
	_ "github.com/dagger/dagger/cmd/dnsname"
	_ "github.com/dagger/dagger/cmd/engine"
	_ "github.com/dagger/dagger/cmd/init"
)
