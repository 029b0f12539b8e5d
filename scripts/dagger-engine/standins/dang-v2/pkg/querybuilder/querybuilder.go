// Package querybuilder stands in for github.com/vito/dang/v2/pkg/querybuilder (refused by the module proxy):
// the names Dagger's Dang v2 SDK compiles against, taken from Dang v1 (github.com/vito/dang),
// which the proxy serves. See ../../../README.md.
package querybuilder

import querybuilder "github.com/vito/dang/pkg/querybuilder"

var Query = querybuilder.Query
