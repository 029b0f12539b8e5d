// Package dang stands in for github.com/vito/dang/v2/pkg/dang (refused by the module proxy):
// the names Dagger's Dang v2 SDK compiles against, taken from Dang v1 (github.com/vito/dang),
// which the proxy serves. See ../../../README.md.
package dang

import (
	"context"
	"errors"

	dang "github.com/vito/dang/pkg/dang"
)

const BindingOriginLocal = dang.BindingOriginLocal

type BoolValue = dang.BoolValue
type ConstructorFunction = dang.ConstructorFunction

var ContextWithImportConfigs = dang.ContextWithImportConfigs
var CreateOverlayValueScope = dang.CreateOverlayValueScope

type DirectiveApplication = dang.DirectiveApplication

const EnumKind = dang.EnumKind

type EnumValue = dang.EnumValue

var EvalNode = dang.EvalNode
var EvaluateFormsWithPhases = dang.EvaluateFormsWithPhases

type FieldDecl = dang.FieldDecl
type FunCall = dang.FunCall
type GraphQLFunction = dang.GraphQLFunction
type GraphQLValue = dang.GraphQLValue
type ImportConfig = dang.ImportConfig
type IntValue = dang.IntValue

const InterfaceKind = dang.InterfaceKind

type Keyed[T any] = dang.Keyed[T]
type ListType = dang.ListType
type ListValue = dang.ListValue
type MapType = dang.MapType
type MapValue = dang.MapValue

var NewObject = dang.NewObject

type Node = dang.Node
type NullValue = dang.NullValue
type Object = dang.Object

const PrivateVisibility = dang.PrivateVisibility
const PublicVisibility = dang.PublicVisibility

type Record = dang.Record
type RecordType = dang.RecordType

const ScalarKind = dang.ScalarKind

type ScalarValue = dang.ScalarValue
type Select = dang.Select

var StringType = dang.StringType

type StringValue = dang.StringValue
type Symbol = dang.Symbol
type Type = dang.Type
type TypeScope = dang.TypeScope
type Value = dang.Value
type ValueNode = dang.ValueNode
type ValueScope = dang.ValueScope

// ErrUnavailable is what loading a Dang v2 module returns: the real Dang v2 is not in this build.
var ErrUnavailable = errors.New("the Dang v2 SDK is not part of this engine build (github.com/vito/dang/v2 is not on the Go module proxy)")

// RunDir fails with ErrUnavailable.
func RunDir(context.Context, string, bool) (ValueScope, error) { return nil, ErrUnavailable }

// DeclareDir fails with ErrUnavailable.
func DeclareDir(context.Context, string, bool) (ValueScope, error) { return nil, ErrUnavailable }
