// Package tuist stands in for github.com/vito/tuist (refused by the module proxy): the
// component and TUI types Dagger's terminal frontend compiles against, all inert. See
// ../README.md.
package tuist

import (
	"context"
	"io"

	uv "github.com/charmbracelet/ultraviolet"
)

// Context is what a component renders into.
type Context struct {
	context.Context
	Width, Height int
	lines         []string
}

// Lines appends lines to the output.
func (c *Context) Lines(lines ...string) { c.lines = append(c.lines, lines...) }

// Line appends one line to the output.
func (c *Context) Line(line string) { c.lines = append(c.lines, line) }

// SetFocus moves the focus to a component.
func (c Context) SetFocus(Component) {}

// ScreenHeight is the height of the screen.
func (c Context) ScreenHeight() int { return c.Height }

// Resize returns a context of another size.
func (c Context) Resize(width, height int) Context {
	c.Width, c.Height, c.lines = width, height, nil
	return c
}

// Component renders itself into a Context.
type Component interface{ Render(Context) }

// Focusable, Dismounter, Mounter, Interactive, MouseEnabled and Hoverable are optional
// component capabilities; nothing here calls them.
type (
	Focusable    interface{}
	Dismounter   interface{}
	Mounter      interface{}
	Interactive  interface{}
	MouseEnabled interface{}
	Hoverable    interface{}
)

// MouseEvent is a mouse event at a row of a component.
type MouseEvent struct {
	uv.MouseEvent
	Row, Col int
}

// RenderResult is a rendered child.
type RenderResult struct{ Lines []string }

// Compo is embedded by components.
type Compo struct{}

func (*Compo) Update()                                           {}
func (*Compo) RenderChild(Context, Component) []string           { return nil }
func (*Compo) RenderChildResult(Context, Component) RenderResult { return RenderResult{} }
func (*Compo) RenderChildInline(Context, Component) string       { return "" }

// Container holds child components.
type Container struct {
	Compo
	Children []Component
}

func (c *Container) AddChild(child Component) { c.Children = append(c.Children, child) }
func (c *Container) Render(Context)           {}

// Terminal is a terminal the TUI draws on.
type Terminal struct{}

// NewStdTerminal is the process's terminal.
func NewStdTerminal() *Terminal { return &Terminal{} }

// TUI runs components on a terminal; inert.
type TUI struct{}

// New returns an inert TUI.
func New(*Terminal) *TUI { return &TUI{} }

func (*TUI) AddChild(Component)                                                   {}
func (*TUI) RemoveChild(Component)                                                {}
func (*TUI) SetFocus(Component)                                                   {}
func (*TUI) SetShowHardwareCursor(bool)                                           {}
func (*TUI) Start() error                                                         { return nil }
func (*TUI) Stop()                                                                {}
func (*TUI) Dispatch(func())                                                      {}
func (*TUI) RequestRender(bool)                                                   {}
func (*TUI) RenderLines() []string                                                { return nil }
func (*TUI) SetDebugWriter(io.Writer)                                             {}
func (*TUI) ShowOverlay(Component, *OverlayOptions) *OverlayHandle                { return &OverlayHandle{} }
func (*TUI) Exec(func(in io.Reader, out io.Writer, errOut io.Writer) error) error { return nil }

// Size is an overlay size.
type Size int

// SizeAbs is an absolute size.
func SizeAbs(n int) Size { return Size(n) }

// Anchor places an overlay.
type Anchor int

// AnchorTopRight anchors an overlay at the top right.
const AnchorTopRight Anchor = 1

// OverlayMargin is an overlay's margin.
type OverlayMargin struct{ Top, Right, Bottom, Left int }

// OverlayOptions place an overlay.
type OverlayOptions struct {
	Width  Size
	Anchor Anchor
	Margin OverlayMargin
}

// OverlayHandle removes an overlay.
type OverlayHandle struct{}

func (*OverlayHandle) Remove() {}

// Spinner is an animated status icon.
type Spinner struct {
	Compo
	Epoch any
}

// NewSpinner returns a spinner.
func NewSpinner() *Spinner { return &Spinner{} }

func (*Spinner) Render(Context) {}

// TextInput is a line editor.
type TextInput struct {
	Compo
	Prompt         string
	OnSubmit       func(Context, string) bool
	KeyInterceptor any
	value          string
}

// NewTextInput returns a text input holding value.
func NewTextInput(value string) *TextInput { return &TextInput{value: value} }

func (t *TextInput) Value() string     { return t.value }
func (t *TextInput) SetValue(v string) { t.value = v }
func (t *TextInput) InsertRune(r rune) { t.value += string(r) }
func (t *TextInput) Render(Context)    {}

// Completion is one completion candidate.
type Completion struct {
	Label       string
	Detail      string
	Description string
}

// CompletionResult is the candidates for an input.
type CompletionResult struct {
	Items       []Completion
	ReplaceFrom int
}

// CompletionMenu shows completions for a text input.
type CompletionMenu struct{}

// NewCompletionMenu returns an inert menu.
func NewCompletionMenu(*TextInput, func(string, int) CompletionResult) *CompletionMenu {
	return &CompletionMenu{}
}

func (*CompletionMenu) HandleKeyPress(Context, any) bool { return false }
