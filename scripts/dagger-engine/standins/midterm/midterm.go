// Package midterm stands in for github.com/vito/midterm (refused by the module proxy): an
// inert terminal that accepts writes and holds no content. See ../README.md.
package midterm

import "io"

// Format is a text format; Reset is the one Dagger renders (the SGR reset sequence).
type Format struct{ reset bool }

// Reset is the format that clears all attributes.
var Reset = Format{reset: true}

// Render returns the escape sequence for the format.
func (f Format) Render() string {
	if f.reset {
		return "\x1b[0m"
	}
	return ""
}

// Line is one row of the screen.
type Line []rune

// SearchMatch is a match of Search.
type SearchMatch struct{ Row, Col, Len int }

// Terminal is an inert terminal: writes are accepted and dropped.
type Terminal struct {
	AutoResizeX   bool
	Content       []Line
	SearchMatches []SearchMatch
}

// NewAutoResizingTerminal returns an empty terminal.
func NewAutoResizingTerminal() *Terminal { return &Terminal{AutoResizeX: true} }

func (t *Terminal) Write(p []byte) (int, error)                   { return len(p), nil }
func (t *Terminal) UsedHeight() int                               { return 0 }
func (t *Terminal) ResizeX(int)                                   {}
func (t *Terminal) Search(string) int                             { return 0 }
func (t *Terminal) SearchMatchRows() []int                        { return nil }
func (t *Terminal) SearchClear()                                  {}
func (t *Terminal) SearchSetCurrent(int) (int, int)               { return 0, 0 }
func (t *Terminal) RenderLine(io.Writer, int) error               { return nil }
func (t *Terminal) RenderLineFgBg(io.Writer, int, any, any) error { return nil }
