package blueprint

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplitCapacity(t *testing.T) {
	cases := map[string]struct {
		total CapacitySpec
		zones int
		want  []ZoneCapacity
	}{
		"Even":      {CapacitySpec{3, 3, 9}, 3, []ZoneCapacity{{1, 1, 3}, {1, 1, 3}, {1, 1, 3}}},
		"Remainder": {CapacitySpec{4, 5, 10}, 3, []ZoneCapacity{{2, 2, 4}, {1, 2, 3}, {1, 1, 3}}},
		"TwoZones":  {CapacitySpec{2, 3, 5}, 2, []ZoneCapacity{{1, 2, 3}, {1, 1, 2}}},
		"NoZones":   {CapacitySpec{1, 1, 1}, 0, nil},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := SplitCapacity(tc.total, tc.zones)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			var lo, des, hi int32
			for _, z := range got {
				lo, des, hi = lo+z.Min, des+z.Desired, hi+z.Max
			}
			if tc.zones > 0 && (lo != tc.total.Min || des != tc.total.Desired || hi != tc.total.Max) {
				t.Errorf("split sums to %d/%d/%d, want %v", lo, des, hi, tc.total)
			}
		})
	}
}

func TestCapacityAfterZoneLoss(t *testing.T) {
	cases := map[string]struct {
		total CapacitySpec
		zones int
		want  int32
	}{
		"ThreeOfThree": {CapacitySpec{3, 3, 9}, 3, 2},
		"FiveOfThree":  {CapacitySpec{3, 5, 9}, 3, 3},
		"TwoOfTwo":     {CapacitySpec{2, 2, 4}, 2, 1},
	}
	for name, tc := range cases {
		if got := CapacityAfterZoneLoss(tc.total, tc.zones); got != tc.want {
			t.Errorf("%s: got %d, want %d", name, got, tc.want)
		}
	}
}
