// Package introspection stands in for github.com/vito/dang/v2/pkg/introspection (refused by the module proxy):
// the names Dagger's Dang v2 SDK compiles against, taken from Dang v1 (github.com/vito/dang),
// which the proxy serves. See ../../../README.md.
package introspection

import introspection "github.com/vito/dang/pkg/introspection"

type Response = introspection.Response
type Schema = introspection.Schema

const TypeKindNonNull = introspection.TypeKindNonNull
const TypeKindObject = introspection.TypeKindObject

type TypeRef = introspection.TypeRef
