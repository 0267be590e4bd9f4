// Package cron parses cron expressions and computes when they fire. It
// follows the syntax and meaning of Spring's CronExpression (Spring Framework
// 5.3 and later), which Netflix Conductor's workflow scheduler uses, so that a
// schedule moved from Conductor to Baton fires at the same instants.
//
// # Syntax
//
// An expression has six fields separated by spaces (or is a macro):
//
//	┌───────────── second        0-59
//	│ ┌─────────── minute        0-59
//	│ │ ┌───────── hour          0-23
//	│ │ │ ┌─────── day-of-month  1-31
//	│ │ │ │ ┌───── month         1-12 or JAN-DEC
//	│ │ │ │ │ ┌─── day-of-week   0-7 or SUN-SAT (0 and 7 are Sunday)
//	│ │ │ │ │ │
//	* * * * * *
//
// Five fields (minute hour day-of-month month day-of-week, as in Unix cron)
// are also accepted, as a convenience Spring does not offer; the second is
// then 0. Only the field count is borrowed from Unix cron: the five fields
// mean what they mean here, so day-of-month and day-of-week are still both
// required to match (see below) and */2 in day-of-week still starts on
// Monday.
//
// A field is a comma-separated list of elements; it matches a value when
// any element does:
//
//	Element  Fields                     Meaning
//	*        all                        every value of the field
//	?        day-of-month, day-of-week  same as *; must be the whole field
//	a        all                        the value a
//	a-b      all                        a to b inclusive; a <= b, ranges do not wrap
//	*/n      all                        every n-th value from the field's first
//	a/n      all                        a, a+n, a+2n ... up to the field's last value
//	a-b/n    all                        a, a+n, a+2n ... up to b
//	L        day-of-month               the last day of the month
//	L-n      day-of-month               n days before the last day (1 <= n <= 30)
//	LW       day-of-month               the last weekday (Monday-Friday) of the month
//	nW       day-of-month               the weekday nearest to day n (see below)
//	dL       day-of-week                the last weekday d of the month: 5L, FRIL
//	d#k      day-of-week                the k-th weekday d of the month (1 <= k <= 5): MON#2
//
// Names are the first three letters of a month or a day. Names, L, W and
// macros may be written in any case.
//
// Macros stand for a whole expression:
//
//	@yearly, @annually  0 0 0 1 1 *
//	@monthly            0 0 0 1 * *
//	@weekly             0 0 0 * * 0
//	@daily, @midnight   0 0 0 * * *
//	@hourly             0 0 * * * *
//
// # Details taken from Spring
//
// Day-of-month and day-of-week must both match. "0 0 0 13 * FRI" fires on
// Friday the 13th only; "0 0 0 1 * MON" fires only when the 1st is a Monday.
// Vixie cron fires when either matches if both are restricted; Spring, and
// so this package, does not. Use ? or * in one of them to restrict by the
// other alone.
//
// In day-of-week, * stands for 1-7 (Monday to Sunday) when stepped, so
// "*/2" is Monday, Wednesday, Friday and Sunday, while "0/2" is Sunday,
// Tuesday, Thursday and Saturday. A range that starts at Sunday written as
// 7 or SUN is read as starting at 0, so SUN-TUE is Sunday to Tuesday.
//
// nW is the weekday nearest to day n within the month: n itself if it is a
// weekday, Friday n-1 if n is a Saturday (but Monday the 3rd for 1W when the
// 1st is a Saturday), and Monday n+1 if n is a Sunday. If n is a Sunday that
// is also the last day of the month, Monday would fall in the next month, and
// the month has no match, as in Spring. A month shorter than n has no match
// either.
//
// d#k in a month without a k-th weekday d (MON#5 in most months) does not
// match in that month, and L-n does not match in a month shorter than n+1
// days.
//
// # Differences from Spring
//
// Spring rejects five fields and a lower-case l or w in day-of-month; this
// package accepts both. It rejects some input that Spring accepts but
// handles oddly: d#k with k above 5 and L-n with n above 30, which reach into
// another month in Spring, and signed numbers such as +5. The range 7-7
// (SUN-SUN), which Spring reads as every day, means Sunday here. Spring's d#k
// can match a day of a month that has no k-th weekday d, as it looks for that
// weekday in the following month and can land on the same day of the month;
// this package matches only the k-th weekday d itself.
//
// # Time zones and daylight saving
//
// An expression describes wall-clock times. Next works in the location of
// the time it is given: it returns the first instant after it whose local
// date and time in that location match. Therefore:
//
//   - A wall-clock time skipped by a spring-forward transition never happens
//     and does not fire. "0 30 2 * * *" in America/New_York does not fire on
//     2026-03-08, when clocks go from 02:00 to 03:00; it fires at 02:30 on the
//     7th and the 9th. This is Spring's behaviour too (its own tests pin it),
//     not a shift to 03:30; a scheduler that must not lose that run has to
//     catch it up itself.
//   - A wall-clock time repeated by a fall-back transition fires once for
//     each time it happens. "0 30 1 * * *" in America/New_York fires at 01:30
//     EDT and again at 01:30 EST on 2026-11-01, an hour apart, as Spring does.
//     Each of those instants is returned once: Next is strictly increasing, so
//     a scheduler that fires Next(last fire) fires every slot exactly once.
//   - Expressions that fire every so often keep firing through both passes
//     of a repeated hour, and resume at the first matching time after a gap.
//
// Times have second precision: Next drops t's fraction of a second and
// returns a time strictly after that, with no fraction.
//
// Next looks at most 400 years ahead, a whole cycle of the Gregorian
// calendar, so an expression that finds no date in that span never fires;
// Next then returns the zero Time ("0 0 0 30 2 *", "0 0 0 31 4 *").
//
// An Expr is immutable and safe for concurrent use.
package cron
