//go:build race

package designer_test

// raceDetector tells whether the tests run with -race.
const raceDetector = true
