package blueprint

// ZoneCapacity is one zonal group's share of the stack's capacity.
type ZoneCapacity struct {
	Min, Desired, Max int32
}

// SplitCapacity spreads total capacity over n zones as evenly as possible,
// the remainder going to the first zones. Callers validate that each total is
// at least n, so every zone gets at least one instance.
func SplitCapacity(c CapacitySpec, n int) []ZoneCapacity {
	if n <= 0 {
		return nil
	}
	out := make([]ZoneCapacity, n)
	for i := range out {
		out[i] = ZoneCapacity{Min: share(c.Min, n, i), Desired: share(c.Desired, n, i), Max: share(c.Max, n, i)}
	}
	return out
}

func share(total int32, n, i int) int32 {
	s := total / int32(n)
	if int32(i) < total%int32(n) {
		s++
	}
	return s
}

// CapacityAfterZoneLoss is the desired capacity left when the zone with the
// largest share is lost, before autoscaling reacts.
func CapacityAfterZoneLoss(c CapacitySpec, n int) int32 {
	split := SplitCapacity(c, n)
	if len(split) == 0 {
		return 0
	}
	largest := split[0].Desired // the first zones get the remainder
	return c.Desired - largest
}
