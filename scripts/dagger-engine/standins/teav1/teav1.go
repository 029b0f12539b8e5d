// Package teav1 stands in for github.com/vito/tuist/teav1 (refused by the module proxy): an
// inert adapter for bubbletea v1 models. See ../README.md.
package teav1

import "github.com/vito/tuist"

// Wrap adapts a model into a component; inert.
type Wrap struct{ tuist.Compo }

// New wraps a model.
func New(any) *Wrap { return &Wrap{} }

// OnQuit registers what runs when the model quits; never called.
func (w *Wrap) OnQuit(func()) {}

// Render renders nothing.
func (w *Wrap) Render(tuist.Context) {}
