package isa

import (
	"os"
	"testing"
)

// FuzzLoadELF feeds arbitrary bytes to the ELF loader, starting from the test
// objects: it must return an ErrInvalid error naming the input, or an object
// whose programs decode and whose references are consistent, and never panic.
func FuzzLoadELF(f *testing.F) {
	for _, file := range elfTestFiles(f) {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte{})
	f.Add([]byte("\x7fELF\x02\x01\x01"))
	f.Fuzz(func(t *testing.T, data []byte) {
		elfCheckLoad(t, data)
	})
}
