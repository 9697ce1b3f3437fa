"""How fast simulated time runs in tests."""

# Retry back-off (IntervalSeconds 1, BackoffRate 2) and Wait states of executions on the local
# cloud run this many times faster than real time, so that faults and waits stay cheap.
TEST_TIME_SCALE = 0.01
