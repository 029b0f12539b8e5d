// Package hm stands in for github.com/vito/dang/v2/pkg/hm (refused by the module proxy):
// the names Dagger's Dang v2 SDK compiles against, taken from Dang v1 (github.com/vito/dang),
// which the proxy serves. See ../../../README.md.
package hm

import hm "github.com/vito/dang/pkg/hm"

type FunctionType = hm.FunctionType
type NonNullType = hm.NonNullType
type Type = hm.Type
