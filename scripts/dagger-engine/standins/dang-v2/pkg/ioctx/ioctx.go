// Package ioctx stands in for github.com/vito/dang/v2/pkg/ioctx (refused by the module proxy):
// the names Dagger's Dang v2 SDK compiles against, taken from Dang v1 (github.com/vito/dang),
// which the proxy serves. See ../../../README.md.
package ioctx

import ioctx "github.com/vito/dang/pkg/ioctx"

var StderrToContext = ioctx.StderrToContext
var StdoutToContext = ioctx.StdoutToContext
