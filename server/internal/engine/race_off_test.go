//go:build !race

package engine_test

// raceDetector tells whether the tests run with -race.
const raceDetector = false
