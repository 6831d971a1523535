package bench

// RefreshBudget is the most AWS calls a no-change plan may make per stack.
const RefreshBudget = 12
