package experiments

import "slices"

// firstWhere is the first of xs that match holds for, and whether there is
// one: a result's point, cell or verdict looked up by what it is of.
func firstWhere[T any](xs []T, match func(T) bool) (T, bool) {
	if i := slices.IndexFunc(xs, match); i >= 0 {
		return xs[i], true
	}
	var zero T
	return zero, false
}

// sortedWhere are the xs that keep holds for, in order of count, those of
// the same count in their order in xs: a series' points by task count,
// concurrency or round.
func sortedWhere[T any](xs []T, keep func(T) bool, count func(T) int) []T {
	var out []T
	for _, x := range xs {
		if keep(x) {
			out = append(out, x)
		}
	}
	slices.SortStableFunc(out, func(a, b T) int { return count(a) - count(b) })
	return out
}
